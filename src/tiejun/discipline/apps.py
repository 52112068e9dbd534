from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisciplineConfig(AppConfig):
    name = "tiejun.discipline"
    label = "discipline"
    verbose_name = _("Red lines")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the nightly scan with Huey)
        from .checks import register_checks

        register_checks()
