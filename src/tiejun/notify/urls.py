from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("retry/", views.outbox_retry, name="retry"),
    path("sms/inbound/<str:provider>/<str:token>/", views.sms_inbound, name="sms_inbound"),
]
