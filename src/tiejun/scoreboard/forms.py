"""The split form of the targets page: a total and how to share it over the children (the target
cascade)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiejun.metrics import Metric
from tiejun.org.models import Person, Unit
from tiejun.targets.allocation import allocate
from tiejun.targets.services import MIN_REASON_CHARS, ChildKey

from .selectors import split_weights
from .services import target_cascade

Child = tuple[ChildKey, str, str]  # (scope, id), code, name

METHOD_CHOICES = [
    ("even", _("Evenly")),
    ("last_month", _("By last month's share")),
    ("last_3_months", _("By the last three months' share")),
    ("manual", _("By hand")),
]

ROUNDING_CHOICES = [
    ("", _("To the cent")),
    ("100", _("To 100")),
    ("1000", _("To 1,000")),
]

# Where a service error's field lands on this form.
SERVICE_FIELDS = {"value": "total", "reason": "reason", "method": "method", "scope": None}


def share_field_name(key: ChildKey) -> str:
    return f"share_{key[0]}_{key[1]}"


class SplitForm(forms.Form):
    total = forms.DecimalField(
        label=_("Total"), min_value=Decimal(0), max_digits=16, decimal_places=2
    )
    method = forms.ChoiceField(label=_("Split"), choices=METHOD_CHOICES, initial="even")
    rounding = forms.ChoiceField(
        label=_("Round shares"),
        choices=ROUNDING_CHOICES,
        required=False,
        help_text=_("Shares in round figures; what is left over goes to the largest share."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Needed to change the targets of a locked month."),
    )

    def __init__(self, *args: Any, children: list[Child], metric: Metric, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.children = children
        self.metric = metric
        self.fields["reason"].help_text = gettext(
            "Needed to change the targets of a locked month: at least %(min)s letters or digits, "
            "or half as many Chinese characters. Your own unit's targets are changed by the "
            "level above you."
        ) % {"min": MIN_REASON_CHARS}
        self.fields["reason"].widget.attrs["aria-describedby"] = "reason-help"
        step = "0.01" if metric.money else "1"
        self.fields["total"].widget.attrs["step"] = step
        if not metric.money:
            del self.fields["rounding"]
        for key, code, name in children:
            self.fields[share_field_name(key)] = forms.DecimalField(
                label=f"{name} ({code})",
                required=False,
                min_value=Decimal(0),
                max_digits=16,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": step}),
            )

    def share_fields(self) -> list[tuple[Child, forms.BoundField]]:
        return [(child, self[share_field_name(child[0])]) for child in self.children]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.metric.money:
            for name, value in list(data.items()):
                is_value = name == "total" or name.startswith("share_")
                if is_value and value is not None and value != value.to_integral_value():
                    self.add_error(
                        name, _("%(metric)s is a whole number") % {"metric": self.metric.label}
                    )
        if data.get("method") == "manual" and self.children and not self.manual_values(data):
            self.add_error(None, _("Enter a target for at least one of the children."))
        return data

    def manual_values(self, data: dict[str, Any] | None = None) -> dict[ChildKey, Decimal]:
        data = self.cleaned_data if data is None else data
        values: dict[ChildKey, Decimal] = {}
        for key, _code, _name in self.children:
            value = data.get(share_field_name(key))
            if value is not None:
                values[key] = value
        return values

    def rounding_step(self) -> Decimal | None:
        """The round figure the shares are made of, when one is chosen (money only)."""
        chosen = self.cleaned_data.get("rounding") or ""
        if chosen and self.cleaned_data["method"] != "manual":
            return Decimal(chosen)
        return None

    def shares(self, *, unit: Unit, month: dt.date) -> dict[ChildKey, Decimal]:
        """What each child would get; nothing is written."""
        method = self.cleaned_data["method"]
        if method == "manual":
            return self.manual_values()
        weights = split_weights(unit, month=month, metric=self.metric.code, method=method)
        total = self.metric.quantize(self.cleaned_data["total"])
        step = self.rounding_step()
        if step is not None:
            return rounded_shares(total, weights, step)
        return allocate(total, weights, Decimal("0.01") if self.metric.money else Decimal(1))

    def save(self, *, unit: Unit, month: dt.date, by: Person) -> None:
        """Set the unit's total and its children's shares, all or nothing."""
        data = self.cleaned_data
        rounded = self.rounding_step() is not None and bool(self.children)
        method = "manual" if rounded else data["method"]
        values = None
        if method == "manual":
            values = self.shares(unit=unit, month=month) if rounded else self.manual_values()
        target_cascade(
            unit=unit,
            month=month,
            metric=self.metric.code,
            total=data["total"],
            method=method,
            values=values,
            by=by,
            reason=data["reason"],
        )


def rounded_shares(
    total: Decimal, weights: Mapping[ChildKey, Decimal], step: Decimal
) -> dict[ChildKey, Decimal]:
    """Shares in multiples of ``step`` (largest remainder) that still add up to ``total``: the
    part of the total below one step goes to the largest share."""
    if not weights:
        return {}
    shares = allocate(total, weights, step)
    rest = total - sum(shares.values(), Decimal(0))
    if rest:
        largest = max(shares, key=lambda k: (shares[k], -list(shares).index(k)))
        shares[largest] += rest
    return shares
