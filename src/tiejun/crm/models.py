"""Customers and won deals."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiejun.org.models import Person, Unit


class Channel(models.TextChoices):
    VISIT = "visit", _("One-to-one visit")
    SALON = "salon", _("Salon")
    ONLINE = "online", _("Online")
    PARTNER = "partner", _("Partner")
    COMMUNITY = "community", _("Community")
    LIVESTREAM = "livestream", _("Livestream")
    OTHER = "other", _("Other")


class Customer(models.Model):
    code = models.CharField(_("customer code"), max_length=32, unique=True)
    name = models.CharField(_("customer name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    """A won sale. ``unit`` is the team the rep belonged to on ``won_date`` (kept by services)."""

    deal_no = models.CharField(_("deal number"), max_length=40, unique=True)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="deals", verbose_name=_("rep")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="deals")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="deals", verbose_name=_("customer")
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    won_date = models.DateField(_("won date"))
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.VISIT
    )
    client_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-won_date", "-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deal_amount_positive")
        ]
        indexes = [
            models.Index(fields=["person", "won_date"], name="deal_person_day"),
            models.Index(fields=["customer", "won_date"], name="deal_customer_day"),
            models.Index(fields=["unit", "won_date"], name="deal_unit_day"),
        ]

    def __str__(self) -> str:
        return self.deal_no


class DealChange(models.Model):
    """A correction of a deal: who, when, the fields before and after, and why. Never edited."""

    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, related_name="changes")
    deal_no = models.CharField(_("deal number"), max_length=40, db_index=True)
    before = models.JSONField(_("before"), null=True)
    after = models.JSONField(_("after"))
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    changed_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("deal change")
        verbose_name_plural = _("deal changes")

    def __str__(self) -> str:
        return f"{self.deal_id} @ {self.changed_at}"
