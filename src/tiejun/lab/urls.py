from django.urls import path

from . import views, views_planner

app_name = "lab"

urlpatterns = [
    path("", views.efficiency, name="index"),
    path("efficiency/", views.efficiency, name="efficiency"),
    path("planner/", views_planner.planner, name="planner"),
]
