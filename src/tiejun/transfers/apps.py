from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    """Transfer orders (调令) and the move checks that need the apps above org (targets,
    customers, visit plans, open orders)."""

    name = "tiejun.transfers"
    label = "transfers"
    verbose_name = _("Transfer orders")

    def ready(self) -> None:
        # Reporting in is a check-in on the order's own page (the phone's position against the
        # office's geofence), not a listener on ``field.signals.visit_checked_in``: a customer
        # check-in is the busiest write and its queries are pinned, and an office is no customer.
        from .checks import register_checks

        register_checks()
        from . import tasks  # noqa: F401  (the periodic overdue sweep)
