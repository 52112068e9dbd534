from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LabConfig(AppConfig):
    name = "tiejun.lab"
    label = "lab"
    verbose_name = _("Sales-model lab")
