from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "tiejun.web"
    label = "web"
    verbose_name = _("Web pages")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .context_processors import remember_nav

        user_logged_in.connect(remember_nav, dispatch_uid="web.remember_nav")
