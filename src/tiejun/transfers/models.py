"""Offices (where people report) and transfer orders (调令)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiejun.org.models import Membership, Person, Role, Unit


def default_radius() -> int:
    return settings.GEOFENCE_M


class Office(models.Model):
    """A place people report to: a unit's office with its coordinates and geofence."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="offices")
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    radius_m = models.PositiveIntegerField(_("geofence (m)"), default=default_radius)

    class Meta:
        ordering = ["unit_id", "name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return self.name


class ReportedHow(models.TextChoices):
    CHECKIN = "checkin", _("Check-in at the office")
    MANAGER = "manager", _("Confirmed by the receiving manager")


class TransferOrder(models.Model):
    """An order to move ``person`` to ``to_unit`` as ``to_role`` from ``effective``, and to
    report at ``office`` by ``report_by``. The membership change is saved when the order is
    issued and takes effect on ``effective`` whatever the order's state."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="transfer_orders")
    from_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    from_role = models.CharField(_("from role"), max_length=16, choices=Role.choices)
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    to_role = models.CharField(_("new role"), max_length=16, choices=Role.choices)
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    effective = models.DateField(_("effective date"))
    report_by = models.DateTimeField(_("report by"))
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="orders")
    note = models.TextField(_("note"), blank=True, default="")
    issued_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reported_how = models.CharField(
        _("reported by"), max_length=16, choices=ReportedHow.choices, blank=True, default=""
    )
    reported_distance_m = models.PositiveIntegerField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("transfer order")
        verbose_name_plural = _("transfer orders")
        indexes = [
            models.Index(
                fields=["report_by"], name="order_open", condition=Q(reported_at__isnull=True)
            ),
            models.Index(fields=["person", "issued_at"], name="order_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.to_unit_id} {self.effective}"

    @property
    def on_time(self) -> bool | None:
        if self.reported_at is None:
            return None
        return self.reported_at <= self.report_by
