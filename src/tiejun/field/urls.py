"""The field pages under /field/: the rep's day, visit plans, check-ins, daily reports, notes."""

from django.urls import path

from .views import home, notes, plans, reports, visits

app_name = "field"

urlpatterns = [
    path("", home.home, name="home"),
    # daily reports (日报) and field notes (晚分享)
    path("reports/mine/", reports.report_mine, name="report_mine"),
    path("reports/team/", reports.report_board, name="report_board"),
    path("reports/<int:pk>/", reports.report_detail, name="report_detail"),
    path("notes/", notes.notes, name="notes"),
    path("notes/<int:pk>/star/", notes.note_star, name="note_star"),
    # check-ins (外勤签到)
    path("checkin/", visits.checkin, name="checkin"),
    path("checkin/<str:visit_id>/checkout/", visits.checkout, name="checkout"),
    path("checkin/approvals/", visits.approvals, name="visit-approvals"),
    path("checkin/<str:visit_id>/approval/", visits.approval, name="visit-approval"),
    path("sw.js", visits.service_worker, name="visits-sw"),
    # visit plans (拜访计划)
    path("plans/", plans.plan_home, name="plans"),
    path("plans/<str:employee_no>/<str:day>/", plans.plan_page, name="plan"),
    path("plans/<str:employee_no>/<str:day>/sheet/", plans.plan_sheet, name="plan-sheet"),
    path("plans/<str:employee_no>/<str:day>/sheet.pdf", plans.plan_pdf, name="plan-pdf"),
]
