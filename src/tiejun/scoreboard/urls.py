from django.urls import path

from .views import board, people, screens, targets, tv

app_name = "scoreboard"

urlpatterns = [
    path("board/<str:unit_code>/", board.board, name="board"),
    path("board/<str:unit_code>/export.xlsx", board.board_export, name="board_export"),
    path("me/", people.me, name="me"),
    path("people/<str:employee_no>/", people.person, name="person"),
    path("tv/", tv.tv, name="tv"),
    path("tv/panel/<str:unit_code>/", tv.tv_panel, name="tv_panel"),
    path("tv/wins/", tv.tv_wins, name="tv_wins"),
    path("tv/s/", tv.tv_open, name="tv_open"),
    path("tv/s/<str:code>/", tv.tv_screen, name="tv_screen"),
    path("tv/screens/", screens.screen_list, name="screens"),
    path("tv/screens/new/", screens.screen_new, name="screen_new"),
    path("tv/screens/<str:code>/", screens.screen_edit, name="screen_edit"),
    path("tv/screens/<str:code>/delete/", screens.screen_remove, name="screen_delete"),
    path("targets/", targets.index, name="targets"),
    path("targets/mine/", targets.mine, name="targets_mine"),
    path("targets/requests/", targets.requests_page, name="targets_requests"),
    path("targets/<str:unit_code>/", targets.unit_targets, name="targets_unit"),
    path("targets/<str:unit_code>/cascade/", targets.cascade_page, name="targets_cascade"),
    path("targets/<str:unit_code>/signoff/", targets.signoff_slot, name="targets_signoff"),
]
