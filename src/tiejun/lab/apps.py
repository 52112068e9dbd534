from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LabConfig(AppConfig):
    name = "tiejun.lab"
    label = "lab"
    verbose_name = _("Sales-model lab")

    def ready(self) -> None:
        from tiejun.field.signals import visit_checked_in, visit_checked_out, visits_imported

        from . import services

        visit_checked_in.connect(services.on_visit_checked_in, dispatch_uid="lab.checkin")
        visit_checked_out.connect(services.on_visit_checked_out, dispatch_uid="lab.checkout")
        visits_imported.connect(services.on_visits_imported, dispatch_uid="lab.visits_imported")

        from .imports import register_kinds

        register_kinds()
