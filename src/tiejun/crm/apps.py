from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "tiejun.crm"
    label = "crm"
    verbose_name = _("Customers and deals")

    def ready(self) -> None:
        from tiejun.org.signals import membership_changed
        from tiejun.scoreboard.services import register_source

        from . import services

        register_source("deals", services.deals_recredit_all)
        membership_changed.connect(services.on_membership_changed, dispatch_uid="crm.recredit")
        from . import customers

        membership_changed.connect(customers.on_membership_changed, dispatch_uid="crm.customers")
