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


# The panels a wall screen can rotate through: the board (this app) and the panels other apps
# register with ``scoreboard.screens.register_panel`` (the kickoff and the evening review).
PANEL_CHOICES = [
    ("board", _("Board")),
    ("kickoff", _("Morning kickoff")),
    ("review", _("Evening review")),
]


class SavedScreen(models.Model):
    """A wall screen saved in the app: which units, which metric, how long each page stays and
    which panels rotate; opened on the TV by its short ``code`` (``/tv/s/K7Q2/``)."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100)
    metric = models.CharField(_("metric"), max_length=32, choices=METRIC_CHOICES)
    seconds = models.PositiveIntegerField(_("seconds per page"), default=30)
    panels = models.JSONField(_("panels"), default=list)
    sound = models.BooleanField(_("chime on a win"), default=False)
    units = models.ManyToManyField(
        Unit, through="SavedScreenUnit", related_name="+", verbose_name=_("units")
    )
    created_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "code"]
        verbose_name = _("wall screen")
        verbose_name_plural = _("wall screens")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(seconds__gte=5, seconds__lte=3600), name="screen_seconds_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SavedScreenUnit(models.Model):
    """A unit on a saved screen, at its place in the rotation."""

    screen = models.ForeignKey(SavedScreen, on_delete=models.CASCADE, related_name="slots")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["screen", "unit"], name="screen_unit_once")]

    def __str__(self) -> str:
        return f"{self.screen_id}:{self.unit_id}@{self.position}"
