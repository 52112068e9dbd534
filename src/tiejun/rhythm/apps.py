from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RhythmConfig(AppConfig):
    name = "tiejun.rhythm"
    label = "rhythm"
    verbose_name = _("Daily rhythm")

    def ready(self) -> None:
        from . import tv  # the kickoff and the review as panels of the wall screens

        tv.register()
