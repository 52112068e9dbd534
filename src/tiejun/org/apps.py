from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "tiejun.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .models import Person
        from .services import on_person_saved

        post_save.connect(on_person_saved, sender=Person, dispatch_uid="org.person_saved")

        from .checks import register_org_checks

        register_org_checks()

        from .imports import register_kinds

        register_kinds()
