from django.urls import path

from . import views

app_name = "redlines"

urlpatterns = [
    path("", views.index, name="index"),
    path("flags/", views.flags, name="flags"),
    path("flags/<int:pk>/", views.flag_detail, name="flag"),
    path("flags/<int:pk>/dismiss/", views.flag_dismiss_view, name="flag-dismiss"),
    path("flags/<int:pk>/case/", views.flag_case_view, name="flag-case"),
    path("cases/", views.cases, name="cases"),
    path("cases/new/", views.case_new, name="case-new"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/evidence/", views.case_evidence_view, name="case-evidence"),
    path("cases/<int:pk>/decision/", views.case_decide_view, name="case-decide"),
    path("cases/<int:pk>/evidence/<int:evidence_id>/", views.evidence_file, name="evidence-file"),
    path("mine/", views.mine, name="mine"),
]
