from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("org/", views.org_tree, name="tree"),
    path("org/<str:unit_code>/", views.unit_members, name="unit_members"),
    path("calendar/", views.this_year, name="calendar"),
    path("calendar/<int:year>/", views.year_page, name="calendar_year"),
]
