"""Daily reports (日报) and field notes (晚分享) under /field/."""

from django.urls import path

from . import views_reports as views

urlpatterns = [
    path("reports/mine/", views.report_mine, name="report_mine"),
    path("reports/team/", views.report_board, name="report_board"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("notes/", views.notes, name="notes"),
    path("notes/<int:pk>/star/", views.note_star, name="note_star"),
]
