"""Incentive plans (提成方案), their milestones, frozen statements (提成单) and milestones reached."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiejun.metrics import METRIC_CHOICES
from tiejun.org.models import Person, Unit


class Plan(models.Model):
    """One version of a plan: ``code`` from ``effective_from`` to ``effective_to`` (inclusive;
    open when null). Loading the same code again closes the version before and replaces the
    versions from the new ``effective_from`` on."""

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    units = models.ManyToManyField(Unit, related_name="+", verbose_name=_("units"))
    roles = models.JSONField(_("roles"), default=list)
    metric = models.CharField(_("metric"), max_length=32, choices=METRIC_CHOICES, default="revenue")
    # Revenue of deals on these sales channels only (online or partner sales paid differently
    # from one-to-one visits); empty: every channel.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    tiers = models.JSONField(_("tiers"), default=list)
    cap = models.DecimalField(
        _("cap per month"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    override_rate = models.DecimalField(
        _("supervisor override rate"), max_digits=7, decimal_places=6, default=0
    )
    clawback = models.BooleanField(_("claw back corrected deals"), default=True)
    # A milestone a move or a leaver would forfeit may be kept by an exception (requested with a
    # reason, approved a level above the person's unit): only when the plan allows it.
    exception_allowed = models.BooleanField(_("exceptions allowed"), default=False)
    source = models.JSONField(_("as loaded"), default=dict, blank=True)
    loaded_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "effective_from"]
        verbose_name = _("incentive plan")
        verbose_name_plural = _("incentive plans")
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="plan_one_per_start"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="plan_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.effective_from})"


class PlanMilestone(models.Model):
    """A threshold on a metric over a period (the calendar year) with a reward in words."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="milestones")
    code = models.CharField(_("code"), max_length=40)
    metric = models.CharField(_("metric"), max_length=32, choices=METRIC_CHOICES, default="revenue")
    period = models.CharField(_("period"), max_length=16, default="year")
    threshold = models.DecimalField(_("threshold"), max_digits=16, decimal_places=2)
    reward = models.CharField(_("reward"), max_length=200)
    roles = models.JSONField(_("roles that count"), default=list)
    forfeit_on_promotion = models.BooleanField(_("forfeited on promotion"), default=False)
    forfeit_on_leaving = models.BooleanField(_("forfeited on leaving"), default=True)

    class Meta:
        ordering = ["plan_id", "code"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="milestone_one_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.plan.code}/{self.code}"


class Statement(models.Model):
    """A person's statement of one month as approved: frozen figures and lines."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    plan = models.ForeignKey(Plan, on_delete=models.SET_NULL, null=True, related_name="+")
    plan_code = models.CharField(_("plan"), max_length=40)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    achieved = models.DecimalField(_("achieved"), max_digits=16, decimal_places=2)
    clawback = models.DecimalField(_("clawback"), max_digits=16, decimal_places=2, default=0)
    adjustment = models.DecimalField(_("adjustment"), max_digits=16, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    approved_by = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"))

    class Meta:
        ordering = ["-month", "person_id"]
        verbose_name = _("incentive statement")
        verbose_name_plural = _("incentive statements")
        constraints = [
            models.UniqueConstraint(fields=["person", "month"], name="statement_one_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.month:%Y-%m} {self.total}"


class LineKind(models.TextChoices):
    TIER = "tier", _("Tier")
    OVERRIDE = "override", _("Supervisor override")
    CAP = "cap", _("Cap")
    CLAWBACK = "clawback", _("Clawback")
    ADJUSTMENT = "adjustment", _("Adjustment")


class StatementLine(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=LineKind.choices)
    lower = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    upper = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    base = models.DecimalField(_("base"), max_digits=16, decimal_places=2, default=0)
    rate = models.DecimalField(_("rate"), max_digits=7, decimal_places=6, default=0)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["statement_id", "position"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class MilestoneReached(models.Model):
    """A person reached a milestone on ``reached_on`` (written once, the day it is seen)."""

    milestone = models.ForeignKey(PlanMilestone, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    reached_on = models.DateField(_("reached on"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("milestone reached")
        verbose_name_plural = _("milestones reached")
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "person", "year"], name="milestone_reached_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.milestone_id} {self.person_id} {self.reached_on}"


class ExceptionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class MilestoneException(models.Model):
    """A person keeps a milestone a move (or leaving) would forfeit, once approved by a manager
    a level above the person's unit (never the one who asked)."""

    milestone = models.ForeignKey(PlanMilestone, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit left")
    )
    effective = models.DateField(_("effective date"))
    leaving = models.BooleanField(_("leaving"), default=False)
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ExceptionStatus.choices,
        default=ExceptionStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("milestone exception")
        verbose_name_plural = _("milestone exceptions")
        indexes = [models.Index(fields=["person", "year"], name="milestone_exc_person_year")]

    def __str__(self) -> str:
        return f"{self.milestone_id} {self.person_id} {self.year} {self.status}"
