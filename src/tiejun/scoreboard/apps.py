from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoreboardConfig(AppConfig):
    name = "tiejun.scoreboard"
    label = "scoreboard"
    verbose_name = _("Scoreboard")

    def ready(self) -> None:
        # The target cascade "by share" reads past results through this (targets sits below).
        from tiejun.targets.bases import base_results_set

        from .selectors import cascade_base_results

        base_results_set(cascade_base_results)
