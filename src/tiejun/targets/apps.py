from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "tiejun.targets"
    label = "targets"
    verbose_name = _("Targets")

    def ready(self) -> None:
        from .imports import register_kinds

        register_kinds()
