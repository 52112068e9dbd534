from django.urls import include, path

from . import views_home

app_name = "field"

urlpatterns: list = [
    path("", views_home.home, name="home"),
    path("", include("tiejun.field.urls_reports")),
    path("", include("tiejun.field.urls_visits")),
    path("", include("tiejun.field.urls_plans")),
]
