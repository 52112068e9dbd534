from django.urls import path

from . import customer_views as views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list_page, name="list"),
    path("map/", views.customer_map, name="map"),
    path("export/", views.customer_export_page, name="export"),
    path("new/", views.customer_new, name="new"),
    path("<str:code>/", views.customer_detail_page, name="detail"),
    path("<str:code>/edit", views.customer_edit, name="edit"),
    path("<str:code>/claim", views.customer_claim_view, name="claim"),
    path("<str:code>/release", views.customer_release_view, name="release"),
    path("<str:code>/handover", views.customer_handover_view, name="handover"),
    path("<str:code>/contacts", views.contact_new, name="contact-new"),
    path("<str:code>/contacts/<int:contact_id>", views.contact_edit, name="contact-edit"),
    path(
        "<str:code>/contacts/<int:contact_id>/remove",
        views.contact_remove_view,
        name="contact-remove",
    ),
    path("<str:code>/opportunities", views.opportunity_new, name="opportunity-new"),
    path(
        "<str:code>/opportunities/<int:opportunity_id>",
        views.opportunity_edit,
        name="opportunity-edit",
    ),
    path(
        "<str:code>/opportunities/<int:opportunity_id>/close",
        views.opportunity_close_view,
        name="opportunity-close",
    ),
]
