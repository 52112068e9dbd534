from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("template/<str:kind>.csv", views.template_csv, name="template"),
]
