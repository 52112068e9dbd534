from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "tiejun.targets"
    label = "targets"
    verbose_name = _("Targets")

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers the sign-off reminder with Huey
        from .imports import register_kinds

        register_kinds()
