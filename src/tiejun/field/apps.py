from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    name = "tiejun.field"
    label = "field"
    verbose_name = _("Field work")

    def ready(self) -> None:
        from tiejun.org.signals import membership_changed
        from tiejun.scoreboard.services import register_source

        from . import visits

        register_source("visits", visits.visits_recredit_all)
        membership_changed.connect(visits.on_membership_changed, dispatch_uid="field.visits")
