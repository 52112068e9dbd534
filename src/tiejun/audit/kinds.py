"""The names the trail uses: object types and actions, with the labels the page shows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

OBJECT_TYPES = {
    "target": _("Target"),
    "deal": _("Deal"),
    "membership": _("Membership"),
    "person": _("Person"),
    "unit": _("Unit"),
    "customer": _("Customer"),
    "subscription": _("Subscription"),
    "workday": _("Working-day override"),
    "report_template": _("Report template"),
    "sales_model": _("Sales model"),
    "api_token": _("API token"),
    "statutory_day": _("Statutory holiday or make-up day"),
}

ACTIONS = {
    "create": _("created"),
    "update": _("changed"),
    "delete": _("deleted"),
    "split": _("split over children"),
    "transfer": _("transferred"),
    "promote": _("role changed"),
    "claim": _("claimed from the pool"),
    "handover": _("handed over"),
    "release": _("released to the pool"),
    "auto_return": _("returned to the pool (idle)"),
    "leaver": _("passed on (owner left or moved)"),
    "assign": _("assigned"),
    "revoke": _("revoked"),
    "export": _("exported"),
    "deactivate": _("deactivated"),
    "reactivate": _("reactivated"),
}

SOURCES = {
    "web": _("web"),
    "api": _("API"),
    "cli": _("command line"),
    "import": _("import"),
    "job": _("scheduled job"),
    "admin": _("admin site"),
    "system": _("system"),
}

# Models edited in the Django admin, by the object type the services use for them.
MODEL_TYPES = {
    "org.workdayoverride": "workday",
    "broadcast.reporttemplate": "report_template",
    "lab.salesmodel": "sales_model",
    "broadcast.subscription": "subscription",
    "crm.customer": "customer",
    "crm.deal": "deal",
    "targets.target": "target",
    "org.membership": "membership",
    "org.person": "person",
    "org.unit": "unit",
    "org.apitoken": "api_token",
}

# Settings: tables with no service of their own, edited in the admin; every write is recorded.
SETTINGS_MODELS = ("org.workdayoverride", "broadcast.reporttemplate", "lab.salesmodel")
