from django.urls import path

from . import views

app_name = "incentives"

urlpatterns = [
    path("", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("statements/", views.statements, name="statements"),
    path("statements/<str:employee_no>/<str:month>/", views.statement, name="statement"),
    path(
        "statements/<str:employee_no>/<str:month>/approve/",
        views.statement_approve_view,
        name="approve",
    ),
    path(
        "statements/<str:employee_no>/<str:month>/export.xlsx",
        views.statement_export_xlsx,
        name="export-xlsx",
    ),
    path(
        "statements/<str:employee_no>/<str:month>/export.pdf",
        views.statement_export_pdf,
        name="export-pdf",
    ),
    path("people/<str:employee_no>/milestones/", views.milestones_card, name="milestones"),
    path("people/<str:employee_no>/advisor/move/", views.advisor_move, name="advisor_move"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path(
        "exceptions/<int:exception_id>/decide/",
        views.exception_decide_view,
        name="exception_decide",
    ),
]
