from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from tiejun.crm.signals import deal_won, deals_imported
from tiejun.notify.signals import sms_stop_received


class BroadcastConfig(AppConfig):
    name = "tiejun.broadcast"
    label = "broadcast"
    verbose_name = _("Broadcasts")

    def ready(self) -> None:
        # Here, not at the top: these modules import models, loaded once the registry is ready.
        from . import signals, tasks  # noqa: F401 - registers the Huey tasks and schedules
        from .imports import register_kinds

        register_kinds()

        from . import tv  # the wall screens' win feed

        tv.register()

        deal_won.connect(signals.on_deal_won, dispatch_uid="broadcast.win_flash")
        deals_imported.connect(signals.on_deals_imported, dispatch_uid="broadcast.import_summary")

        from .receivers import on_sms_stop

        sms_stop_received.connect(on_sms_stop, dispatch_uid="broadcast.sms_stop")

        # Incentives sits below broadcasts: its yearly milestones become milestone flashes.
        from tiejun.incentives.signals import milestone_reached

        from .milestone_flash import on_milestone_reached

        milestone_reached.connect(on_milestone_reached, dispatch_uid="broadcast.year_milestone")
