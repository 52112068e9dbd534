from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "tiejun.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Here, not at the top: an app's modules with models load once the registry is ready.
        from . import services, tasks

        services.delivery_queue_set(tasks.deliver_later)
