"""Forms of the deal pages (record a deal, correct one, filter the list) and of the customer
pages (a customer, a contact, an opportunity)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiejun.errors import TiejunError
from tiejun.org.models import Membership, Person
from tiejun.org.selectors import is_admin, led_unit_ids
from tiejun.text import name_problem

from .models import (
    Customer,
    CustomerStatus,
    Deal,
    Opportunity,
    OpportunityStage,
    Priority,
    SalesChannel,
)
from .selectors.deals import deal_visible
from .services.customers import validate_customer_code
from .services.deals import deal_number_unusable


def _name(value: str) -> str:
    problem = name_problem(value)
    if problem is not None:
        raise forms.ValidationError(problem)
    return value


def rep_choices(user: Person) -> list[tuple[str, str]]:
    """(employee_no, label) of the people ``user`` may record a deal for, in two queries.

    The same rule as ``can_record_deal_for``: oneself, the people whose current unit ``user``
    leads or coordinates, everyone for admin.
    """
    today = timezone.localdate()
    current = Membership.objects.on(today).select_related("person").order_by("person__employee_no")
    if not is_admin(user):
        led = led_unit_ids(user, today)
        current = current.filter(unit_id__in=led) if led else current.none()
    people = {ms.person.employee_no: ms.person for ms in current}
    people.setdefault(user.employee_no, user)
    return [(no, f"{p.name} ({no})") for no, p in sorted(people.items())]


class DealForm(forms.Form):
    deal_no = forms.CharField(label=_("Deal number"), max_length=40)
    rep = forms.ChoiceField(label=_("Rep"))
    customer_code = forms.CharField(label=_("Customer code"), max_length=32)
    customer_name = forms.CharField(label=_("Customer name"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("Amount"), min_value=Decimal("0.01"), max_digits=16, decimal_places=2
    )
    won_date = forms.DateField(
        label=_("Won date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=SalesChannel.choices, initial=SalesChannel.VISIT
    )
    client_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, user: Person, deal: Deal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deal = deal
        self.user = user
        choices = rep_choices(user)
        if deal is not None:
            current = deal.person
            if current.employee_no not in dict(choices):
                choices.append((current.employee_no, f"{current.name} ({current.employee_no})"))
            self.fields["deal_no"].disabled = True
            del self.fields["client_id"]
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the correction"), max_length=500
            )
        else:
            self.fields["won_date"].initial = timezone.localdate
            self.fields["client_id"].initial = uuid.uuid4().hex
        self.fields["rep"].choices = [("", "---------"), *choices]  # type: ignore[attr-defined]

    def clean_deal_no(self) -> str:
        deal_no = self.cleaned_data["deal_no"].strip()
        if self.deal is None:
            client_id = self.data.get(self.add_prefix("client_id")) or None
            taken = Deal.objects.filter(deal_no=deal_no)
            if client_id:
                taken = taken.exclude(client_id=client_id)
            found = taken.select_related("person").first()
            if found is not None:
                if not deal_visible(self.user, found):
                    # Out of the user's sight: the answer of a foreign id, nothing about the deal.
                    raise forms.ValidationError(str(deal_number_unusable(deal_no)))
                raise forms.ValidationError(
                    _("Deal number %(no)s is already used."), params={"no": deal_no}
                )
        return deal_no

    def clean_customer_code(self) -> str:
        try:
            return validate_customer_code(self.cleaned_data["customer_code"])
        except TiejunError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_customer_name(self) -> str:
        return _name(self.cleaned_data["customer_name"])

    def clean_won_date(self) -> dt.date:
        won = self.cleaned_data["won_date"]
        if won > timezone.localdate():
            raise forms.ValidationError(_("A deal cannot be won in the future."))
        return won

    def rep_person(self) -> Person:
        return Person.objects.get(employee_no=self.cleaned_data["rep"])


class DealFilterForm(forms.Form):
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    unit = forms.CharField(label=_("Unit code"), required=False, max_length=32)
    rep = forms.CharField(label=_("Employee number"), required=False, max_length=32)


# ---- customers ----------------------------------------------------------------------------


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class CustomerForm(forms.Form):
    """A customer's details; the service checks them again (code unique, ranges, choices)."""

    code = forms.CharField(label=_("Customer code"), max_length=32)
    name = forms.CharField(label=_("Customer name"), max_length=200)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    size = forms.CharField(label=_("Size"), max_length=50, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    lat = forms.DecimalField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        max_digits=9,
        decimal_places=6,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lon = forms.DecimalField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        max_digits=9,
        decimal_places=6,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=CustomerStatus.choices)
    priority = forms.ChoiceField(
        label=_("Visit priority"), choices=Priority.choices, initial=Priority.B
    )
    opens_at = forms.TimeField(label=_("Opens at"), required=False, widget=_time_input())
    closes_at = forms.TimeField(label=_("Closes at"), required=False, widget=_time_input())
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    pool = forms.BooleanField(
        label=_("Put it in the open pool instead of taking it myself"), required=False
    )

    def __init__(self, *args: Any, customer: Customer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        if customer is not None:
            del self.fields["code"]
            del self.fields["pool"]

    def clean_code(self) -> str:
        try:
            return validate_customer_code(self.cleaned_data["code"])
        except TiejunError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_name(self) -> str:
        return _name(self.cleaned_data["name"])

    def details(self) -> dict[str, Any]:
        """The cleaned fields the customer services take (not code, not pool)."""
        return {k: v for k, v in self.cleaned_data.items() if k not in ("code", "pool")}


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)

    def clean_name(self) -> str:
        return _name(self.cleaned_data["name"])


class OpportunityForm(forms.Form):
    """An opportunity; the probability is entered in percent and stored as a fraction."""

    title = forms.CharField(label=_("Title"), max_length=200)
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[(v, label) for v, label in OpportunityStage.choices if v not in ("won", "lost")],
        initial=OpportunityStage.LEAD,
    )
    amount = forms.DecimalField(
        label=_("Amount"), min_value=Decimal(0), max_digits=16, decimal_places=2
    )
    expected_close = forms.DateField(
        label=_("Expected close"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    probability = forms.IntegerField(
        label=_("Probability (%)"), min_value=0, max_value=100, initial=0
    )

    @classmethod
    def initial_for(cls, opportunity: Opportunity) -> dict[str, object]:
        return {
            "title": opportunity.title,
            "stage": opportunity.stage,
            "amount": opportunity.amount,
            "expected_close": opportunity.expected_close,
            "probability": int(opportunity.probability * 100),
        }

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["probability"] = Decimal(data["probability"]) / 100
        return data
