from django.urls import path

from . import customer_views as views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list_page, name="list"),
    path("map/", views.customer_map, name="map"),
    path("<str:code>/", views.customer_detail_page, name="detail"),
    path("<str:code>/claim", views.customer_claim_view, name="claim"),
    path("<str:code>/release", views.customer_release_view, name="release"),
    path("<str:code>/handover", views.customer_handover_view, name="handover"),
]
