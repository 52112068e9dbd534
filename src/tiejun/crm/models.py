"""Customers and won deals."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiejun.org.models import Person, Unit


class SalesChannel(models.TextChoices):
    VISIT = "visit", _("One-to-one visit")
    SALON = "salon", _("Salon")
    ONLINE = "online", _("Online")
    PARTNER = "partner", _("Partner")
    COMMUNITY = "community", _("Community")
    LIVESTREAM = "livestream", _("Livestream")
    OTHER = "other", _("Other")


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    LOST = "lost", _("Lost")


class Priority(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class Customer(models.Model):
    """A company the force sells to. ``owner`` empty: the customer is in the open pool (公海)."""

    code = models.CharField(_("customer code"), max_length=32, unique=True)
    name = models.CharField(_("customer name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=100, blank=True, default="")
    size = models.CharField(_("size"), max_length=50, blank=True, default="")
    address = models.CharField(_("address"), max_length=300, blank=True, default="")
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    owner = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("owner"),
    )
    owned_since = models.DateTimeField(_("owned since"), null=True, blank=True)
    # Whose open pool the customer sits in when it has no owner: the team of its last owner, or
    # of whoever created it (a deal's rep). Leaders edit and hand over only their subtree's pool.
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.PROSPECT
    )
    priority = models.CharField(
        _("visit priority"), max_length=1, choices=Priority.choices, default=Priority.B
    )
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    last_activity_on = models.DateField(_("last visit or follow-up"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["owner", "status"], name="customer_owner"),
            models.Index(fields=["last_activity_on"], name="customer_activity"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class OpportunityStage(models.TextChoices):
    LEAD = "lead", _("Lead")
    QUALIFIED = "qualified", _("Qualified")
    PROPOSAL = "proposal", _("Proposal")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Opportunity(models.Model):
    """An open sales opportunity: the pipeline the evening review can count on."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="opportunities")
    owner = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="opportunities"
    )
    title = models.CharField(_("title"), max_length=200)
    stage = models.CharField(
        _("stage"), max_length=16, choices=OpportunityStage.choices, default=OpportunityStage.LEAD
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    probability = models.DecimalField(_("probability"), max_digits=4, decimal_places=3, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expected_close", "id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=1), name="opportunity_prob"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount"),
        ]

    def __str__(self) -> str:
        return self.title


class OpportunityStageChange(models.Model):
    """An opportunity moving from one stage to another (``from_stage`` empty when it was
    opened; equal to ``to_stage`` when only the amount or expected close was revised): the
    history the pipeline's stage-wise win rates are learned from. Never edited."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(_("from stage"), max_length=16, blank=True, default="")
    to_stage = models.CharField(_("to stage"), max_length=16, choices=OpportunityStage.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The estimate as it stood after this change (empty on rows older than these fields): a
    # replay reads the amount and expected close known on a past day, not today's.
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    expected_close = models.DateField(_("expected close"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("opportunity stage change")
        verbose_name_plural = _("opportunity stage changes")

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage or '-'} → {self.to_stage}"


class OwnershipChange(models.Model):
    """Who held a customer, who holds it now, why, and who did it. Never edited."""

    class Reason(models.TextChoices):
        CLAIM = "claim", _("Claimed from the open pool")
        HANDOVER = "handover", _("Handed over")
        RELEASE = "release", _("Released to the open pool")
        AUTO_RETURN = "auto_return", _("No follow-up: back to the open pool")
        LEAVER = "leaver", _("Owner left or moved")
        IMPORT = "import", _("Import")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ownership")
    from_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    changed_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("ownership change")
        verbose_name_plural = _("ownership changes")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_person_id} → {self.to_person_id}"


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
        _("channel"), max_length=16, choices=SalesChannel.choices, default=SalesChannel.VISIT
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
