from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "tiejun.crm"
    label = "crm"
    verbose_name = _("Customers and deals")

    def ready(self) -> None:
        from tiejun.org.signals import membership_changed
        from tiejun.scoreboard.services import register_source

        from .services import deal_facts, ownership

        register_source("deals", deal_facts.deals_recredit_all)
        membership_changed.connect(deal_facts.on_membership_changed, dispatch_uid="crm.recredit")
        membership_changed.connect(ownership.on_membership_changed, dispatch_uid="crm.customers")

        from .imports import register_kinds

        register_kinds()
