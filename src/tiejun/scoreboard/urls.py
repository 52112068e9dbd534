from django.urls import path

from .views import board, people, targets, tv

app_name = "scoreboard"

urlpatterns = [
    path("board/<str:unit_code>/", board.board, name="board"),
    path("board/<str:unit_code>/export.xlsx", board.board_export, name="board_export"),
    path("me/", people.me, name="me"),
    path("people/<str:employee_no>/", people.person, name="person"),
    path("tv/", tv.tv, name="tv"),
    path("tv/panel/<str:unit_code>/", tv.tv_panel, name="tv_panel"),
    path("targets/", targets.index, name="targets"),
    path("targets/<str:unit_code>/", targets.unit_targets, name="targets_unit"),
]
