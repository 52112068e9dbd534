from django.urls import path

from . import views_calendar

app_name = "calendar"

urlpatterns = [
    path("", views_calendar.this_year, name="this_year"),
    path("<int:year>/", views_calendar.year_page, name="year"),
]
