"""The crm pages: deals under /deals/ (namespace ``deals``), customers under /customers/
(namespace ``customers``); src/tiejun/urls.py mounts each."""

from django.urls import path

from .views import customers, deals

deal_patterns = [
    path("", deals.deal_list, name="list"),
    path("new", deals.deal_new, name="new"),
    path("<str:deal_no>/", deals.deal_detail, name="detail"),
    path("<str:deal_no>/edit", deals.deal_edit, name="edit"),
]

customer_patterns = [
    path("", customers.customer_list_page, name="list"),
    path("map/", customers.customer_map, name="map"),
    path("export/", customers.customer_export_page, name="export"),
    path("new/", customers.customer_new, name="new"),
    path("<str:code>/", customers.customer_detail_page, name="detail"),
    path("<str:code>/edit", customers.customer_edit, name="edit"),
    path("<str:code>/claim", customers.customer_claim_view, name="claim"),
    path("<str:code>/release", customers.customer_release_view, name="release"),
    path("<str:code>/handover", customers.customer_handover_view, name="handover"),
    path("<str:code>/contacts", customers.contact_new, name="contact-new"),
    path("<str:code>/contacts/<int:contact_id>", customers.contact_edit, name="contact-edit"),
    path(
        "<str:code>/contacts/<int:contact_id>/remove",
        customers.contact_remove_view,
        name="contact-remove",
    ),
    path("<str:code>/opportunities", customers.opportunity_new, name="opportunity-new"),
    path(
        "<str:code>/opportunities/<int:opportunity_id>",
        customers.opportunity_edit,
        name="opportunity-edit",
    ),
    path(
        "<str:code>/opportunities/<int:opportunity_id>/close",
        customers.opportunity_close_view,
        name="opportunity-close",
    ),
]

# (patterns, namespace) pairs for ``include``.
deal_urls = (deal_patterns, "deals")
customer_urls = (customer_patterns, "customers")
