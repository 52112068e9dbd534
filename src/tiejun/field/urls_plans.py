from django.urls import path

from . import views_plans

urlpatterns = [
    path("plans/", views_plans.plan_home, name="plans"),
    path("plans/<str:employee_no>/<str:day>/", views_plans.plan_page, name="plan"),
    path("plans/<str:employee_no>/<str:day>/sheet/", views_plans.plan_sheet, name="plan-sheet"),
    path("plans/<str:employee_no>/<str:day>/sheet.pdf", views_plans.plan_pdf, name="plan-pdf"),
]
