"""Monthly targets per metric for a unit or a person, and their audit trail."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiejun.metrics import METRIC_CHOICES
from tiejun.org.models import Person, Unit


class Target(models.Model):
    """One value per (month, metric, unit or person); ``month`` is the first day of the month."""

    month = models.DateField(_("month"))
    metric = models.CharField(_("metric"), max_length=32, choices=METRIC_CHOICES)
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="targets"
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="targets"
    )
    value = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=True, person__isnull=False)
                | Q(unit__isnull=False, person__isnull=True),
                name="target_unit_xor_person",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_not_negative"),
            models.UniqueConstraint(
                fields=["month", "metric", "unit"],
                condition=Q(unit__isnull=False),
                name="target_one_per_unit",
            ),
            models.UniqueConstraint(
                fields=["month", "metric", "person"],
                condition=Q(person__isnull=False),
                name="target_one_per_person",
            ),
        ]
        indexes = [models.Index(fields=["month", "metric"], name="target_month_metric")]

    def __str__(self) -> str:
        owner = f"unit {self.unit_id}" if self.unit_id else f"person {self.person_id}"
        return f"{self.month:%Y-%m} {self.metric} {owner} = {self.value}"


class TargetChange(models.Model):
    """Who changed which target when, from what to what, and why. Never edited."""

    month = models.DateField(_("month"))
    metric = models.CharField(_("metric"), max_length=32, choices=METRIC_CHOICES)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, null=True, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, related_name="+")
    old_value = models.DecimalField(_("old"), max_digits=16, decimal_places=2, null=True)
    new_value = models.DecimalField(_("new"), max_digits=16, decimal_places=2)
    locked = models.BooleanField(_("month was locked"), default=False)
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    changed_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("target change")
        verbose_name_plural = _("target changes")
        indexes = [models.Index(fields=["month", "metric"], name="target_change_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.metric}: {self.old_value} → {self.new_value}"


class TargetConfirmation(models.Model):
    """A person's sign-off (目标确认) of the month's targets they hold: their own as a rep, their
    unit's as its head. ``values`` is what they saw and confirmed; when a target changes
    afterwards the confirmation no longer matches and is asked for again."""

    month = models.DateField(_("month"))
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    values = models.JSONField(_("confirmed targets"), default=dict)
    confirmed_at = models.DateTimeField(_("confirmed at"))

    class Meta:
        verbose_name = _("target confirmation")
        verbose_name_plural = _("target confirmations")
        constraints = [
            models.UniqueConstraint(fields=["month", "person"], name="target_confirm_once"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} person {self.person_id} confirmed"


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TargetChangeRequest(models.Model):
    """A change to a target of a locked month, asked with a reason and decided by the level
    above the unit or person it belongs to. One open request per target."""

    month = models.DateField(_("month"))
    metric = models.CharField(_("metric"), max_length=32, choices=METRIC_CHOICES)
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    old_value = models.DecimalField(_("old"), max_digits=16, decimal_places=2, null=True)
    new_value = models.DecimalField(_("new"), max_digits=16, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("target change request")
        verbose_name_plural = _("target change requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=True, person__isnull=False)
                | Q(unit__isnull=False, person__isnull=True),
                name="target_request_unit_xor_person",
            ),
            models.CheckConstraint(condition=Q(new_value__gte=0), name="target_request_not_neg"),
            models.UniqueConstraint(
                fields=["month", "metric", "unit"],
                condition=Q(unit__isnull=False, status="pending"),
                name="target_request_open_unit",
            ),
            models.UniqueConstraint(
                fields=["month", "metric", "person"],
                condition=Q(person__isnull=False, status="pending"),
                name="target_request_open_person",
            ),
        ]
        indexes = [models.Index(fields=["status", "month"], name="target_request_status")]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} {self.metric}: {self.old_value} → {self.new_value} ({self.status})"
        )
