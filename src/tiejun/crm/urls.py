from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("", views.deal_list, name="list"),
    path("new", views.deal_new, name="new"),
    path("<str:deal_no>/", views.deal_detail, name="detail"),
    path("<str:deal_no>/edit", views.deal_edit, name="edit"),
]
