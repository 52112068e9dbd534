"""Pre-aggregated facts: what boards, reports and forecasts read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tiejun.metrics import METRIC_CHOICES
from tiejun.org.models import Person, Unit


class Fact(models.Model):
    """The value credited on ``day`` for ``metric`` to ``person`` in ``unit`` (their team then).

    Written by the sources' services in the same transaction as the row that changes it.
    """

    day = models.DateField()
    metric = models.CharField(max_length=32, choices=METRIC_CHOICES)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    value = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("fact")
        verbose_name_plural = _("facts")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "day", "unit", "person"], name="fact_one_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["metric", "unit", "day", "person", "value"], name="fact_unit_day"),
            models.Index(fields=["person", "metric", "day"], name="fact_person_day"),
            # A month of every unit (the company board): read from the index alone.
            models.Index(fields=["metric", "day", "unit", "value"], name="fact_day_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} u{self.unit_id} p{self.person_id} = {self.value}"
