from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tiejun.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .appmessages import register as register_app_messages
        from .imports import register_extensions
        from .services import on_logged_in

        user_logged_in.connect(on_logged_in, dispatch_uid="accounts.logged_in")
        # The people import's platform id columns and its "invite everyone created".
        register_extensions()
        # The personal message as a WeCom/DingTalk/Feishu app message (notify and broadcast ask).
        register_app_messages()
