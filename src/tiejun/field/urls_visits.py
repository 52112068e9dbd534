from django.urls import path

from . import views_visits

urlpatterns = [
    path("checkin/", views_visits.checkin, name="checkin"),
    path("checkin/<str:visit_id>/checkout/", views_visits.checkout, name="checkout"),
    path("checkin/approvals/", views_visits.approvals, name="visit-approvals"),
    path("checkin/<str:visit_id>/approval/", views_visits.approval, name="visit-approval"),
    path("sw.js", views_visits.service_worker, name="visits-sw"),
]
