from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "tiejun.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        import logging

        from django.core.signals import got_request_exception

        from .faults import DatabaseFaultLogFilter
        from .middleware import remember_database_fault

        got_request_exception.connect(remember_database_fault, dispatch_uid="tiejun.ops.fault")
        logging.getLogger("django.request").addFilter(DatabaseFaultLogFilter())
