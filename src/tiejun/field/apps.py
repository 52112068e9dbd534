from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    name = "tiejun.field"
    label = "field"
    verbose_name = _("Field work")

    def ready(self) -> None:
        from tiejun.org.signals import membership_changed
        from tiejun.scoreboard.services import register_source

        from .services.visits import on_membership_changed, visits_recredit_all

        register_source("visits", visits_recredit_all)
        membership_changed.connect(on_membership_changed, dispatch_uid="field.visits")

        from .imports import register_kinds

        register_kinds()
