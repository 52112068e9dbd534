from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BroadcastConfig(AppConfig):
    name = "tiejun.broadcast"
    label = "broadcast"
    verbose_name = _("Broadcasts")

    def ready(self) -> None:
        from tiejun.crm.signals import deal_won

        from . import signals, tasks  # noqa: F401 - registers the Huey tasks and schedules

        deal_won.connect(signals.on_deal_won, dispatch_uid="broadcast.win_flash")
