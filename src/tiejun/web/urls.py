from django.urls import path

from . import health, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("board/<str:unit_code>/", views.board, name="board"),
    path("board/<str:unit_code>/export.xlsx", views.board_export, name="board_export"),
    path("me/", views.me, name="me"),
    path("people/<str:employee_no>/", views.person, name="person"),
    path("tv/", views.tv, name="tv"),
    path("tv/panel/<str:unit_code>/", views.tv_panel, name="tv_panel"),
    path("org/", views.org_tree, name="org"),
    path("org/<str:unit_code>/", views.unit_members, name="unit_members"),
]
