from django.urls import path

from . import views

app_name = "lab"

urlpatterns = [
    path("", views.efficiency, name="index"),
    path("efficiency/", views.efficiency, name="efficiency"),
    path("planner/", views.planner, name="planner"),
]
