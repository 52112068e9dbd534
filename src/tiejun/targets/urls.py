from django.urls import path

from . import views

app_name = "targets"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:unit_code>/", views.unit_targets, name="unit"),
]
