from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoreboardConfig(AppConfig):
    name = "tiejun.scoreboard"
    label = "scoreboard"
    verbose_name = _("Scoreboard")
