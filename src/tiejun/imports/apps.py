from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "tiejun.imports"
    label = "imports"
    verbose_name = _("Imports and exports")

    def ready(self) -> None:
        # Here, not at the top: an app's modules with models load once the registry is ready.
        from . import services, tasks

        services.job_queue_set(tasks.run_job_later)
