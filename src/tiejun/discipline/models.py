"""Red lines (高压线): the categories, the cases with their evidence and decision, and the
suspicious-pattern flags the nightly scan raises for a supervisor to review."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiejun.org.models import Person, Role, Unit

# The default categories (a data migration loads them; the admin adds or retires others). Their
# names are translated from here; a category added in the admin shows the name typed there.
DEFAULT_CATEGORIES = {
    "false_visit": _("False visits or check-ins"),
    "false_deal": _("False or split deals"),
    "poaching": _("Customer poaching"),
    "kickback": _("Kickbacks"),
    "data_leak": _("Leaking customer data"),
    "values": _("Values violation"),
}


class Category(models.Model):
    """A kind of red line. Retired categories stay on their old cases but are not offered."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("red-line category")
        verbose_name_plural = _("red-line categories")

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        default = DEFAULT_CATEGORIES.get(self.code)
        return str(default) if default is not None else self.name


class Decision(models.TextChoices):
    WARNING = "warning", _("Warning")
    DEMOTION = "demotion", _("Demotion")
    DISMISSAL = "dismissal", _("Dismissal")
    CLEARED = "cleared", _("No violation found")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Under investigation")
    DECIDED = "decided", _("Decided")


class Case(models.Model):
    """A red-line case against one person: what happened, the evidence, and the decision.

    ``unit`` and ``role`` are the person's on the day the case was opened: the heads of the units
    above that unit (and above the person's unit now) may see it, besides the admins.
    """

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="redline_cases", verbose_name=_("person")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=Role.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("category")
    )
    occurred_on = models.DateField(_("occurred on"))
    facts = models.TextField(_("facts"))
    status = models.CharField(
        _("status"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    opened_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, blank=True, default=""
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True, default="")
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    decided_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # When a dismissal took effect (the person deactivated, their customers handed over).
    applied_at = models.DateTimeField(null=True, blank=True)
    customers_handed_over = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("red-line case")
        verbose_name_plural = _("red-line cases")
        indexes = [
            models.Index(fields=["unit", "status"], name="redline_case_unit"),
            models.Index(fields=["person", "status"], name="redline_case_person"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", decision="")
                | Q(status="decided", decided_at__isnull=False) & ~Q(decision=""),
                name="redline_case_decided",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"RL-{self.pk:06d}" if self.pk else "RL-new"

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN


def evidence_path(instance: Evidence, filename: str) -> str:
    """A random name under ``redlines/``: the original name is kept in the row, never on disk."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"redlines/{instance.case_id}/{uuid.uuid4().hex}.{extension}"


class Evidence(models.Model):
    """A file attached to a case, stored under TIEJUN_HOME and served only to those who may see
    the case (never through a public media URL)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.name}"


class FlagKind(models.TextChoices):
    OUTSIDE_GEOFENCE = "outside_geofence", _("Repeated check-ins outside the geofence")
    SHARED_POSITION = "shared_position", _("Many customers checked in from one position")
    IMPOSSIBLE_SPEED = "impossible_speed", _("Visits at an impossible travel speed")
    REVERSAL = "reversal", _("Deals reversed right after the month closed")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("To review")
    DISMISSED = "dismissed", _("Dismissed")
    CASE = "case", _("Case opened")


class Flag(models.Model):
    """A suspicious pattern found by the scan, for review: never a punishment by itself.

    One row per (kind, person, day); a scan run again updates an open flag in place and leaves a
    reviewed one as it is. ``evidence`` is what the scan saw (check-ins, positions, speeds, deal
    changes), as plain JSON, so the flag keeps it even if the rows change later.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=FlagKind.choices)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="redline_flags", verbose_name=_("person")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=Role.choices)
    day = models.DateField(_("day"))
    score = models.FloatField(_("score"), default=0)
    evidence = models.JSONField(_("evidence"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN
    )
    reviewed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.TextField(_("reason"), blank=True, default="")
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    created_at = models.DateTimeField(_("found at"))
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "kind", "person_id"]
        verbose_name = _("suspicious-pattern flag")
        verbose_name_plural = _("suspicious-pattern flags")
        constraints = [
            models.UniqueConstraint(fields=["kind", "person", "day"], name="redline_flag_once"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(reviewed_at__isnull=False),
                name="redline_flag_reviewed",
            ),
        ]
        indexes = [models.Index(fields=["unit", "status", "day"], name="redline_flag_unit")]

    def __str__(self) -> str:
        return f"{self.kind} {self.person_id} {self.day}"
