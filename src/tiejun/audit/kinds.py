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

# The fields the services record, as the page names them; any other is shown as it is stored.
FIELD_LABELS = {
    "value": _("value"),
    "month_locked": _("month locked"),
    "total": _("total"),
    "shares": _("shares"),
    "owner": _("owner"),
    "name": _("name"),
    "kind": _("kind"),
    "parent": _("parent unit"),
    "email": _("e-mail"),
    "phone": _("phone"),
    "start_date": _("start date"),
    "unit": _("unit"),
    "role": _("role"),
    "valid_from": _("valid from"),
    "valid_to": _("valid to"),
    "is_active": _("active"),
    "active": _("active"),
    "prefix": _("token prefix"),
    "prefixes": _("token prefixes"),
    "deal_no": _("deal number"),
    "employee_no": _("employee number"),
    "customer_code": _("customer code"),
    "customer_name": _("customer name"),
    "amount": _("amount"),
    "won_date": _("won date"),
    "channel": _("channel"),
    "industry": _("industry"),
    "size": _("size"),
    "address": _("address"),
    "lat": _("latitude"),
    "lon": _("longitude"),
    "priority": _("priority"),
    "notes": _("notes"),
    "report": _("report"),
    "language": _("language"),
    "min_amount": _("minimum amount"),
    "count": _("count"),
    "format": _("format"),
    "filters": _("filters"),
    "date": _("date"),
    "is_workday": _("working day"),
    "provisional": _("provisional"),
    "code": _("code"),
    "label": _("label"),
    "sort": _("order"),
    "cost_per_hour": _("cost per hour"),
    "hours_per_touch": _("hours per touch"),
    "template": _("template"),
    "subject": _("subject"),
    "body": _("body"),
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
