from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("template/<str:kind>.csv", views.template_csv, name="template"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("jobs/<int:job_id>.json", views.job_json, name="job_json"),
    path("jobs/<int:job_id>/errors.csv", views.job_errors_csv, name="job_errors"),
    path("jobs/<int:job_id>/cancel/", views.job_cancel_view, name="job_cancel"),
    path("jobs/<int:job_id>/import/", views.job_import_now, name="job_import"),
]
