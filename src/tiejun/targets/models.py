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
