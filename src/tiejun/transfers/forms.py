"""The form of a transfer order: the move, its report-by time and place, and a note."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tiejun.errors import TiejunError
from tiejun.org.forms import (
    TARGET_CHOICES,
    ConfirmsMoves,
    UnitChoiceField,
    milestone_field,
    milestone_reason_field,
)
from tiejun.org.models import Role, Unit

from .models import Office


class OrderForm(ConfirmsMoves, forms.Form):
    unit = UnitChoiceField(label=_("New unit"), queryset=Unit.objects.none())
    role = forms.ChoiceField(label=_("New role"), choices=Role.choices)
    effective_date = forms.DateField(
        label=_("Effective date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    report_by = forms.DateTimeField(
        label=_("Report by"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    office = forms.ModelChoiceField(label=_("Report at"), queryset=Office.objects.none())
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(label=_("Issue it despite these warnings"), required=False)
    target = forms.ChoiceField(
        label=_("Their targets"), required=False, choices=TARGET_CHOICES, widget=forms.RadioSelect
    )
    milestone = milestone_field()
    milestone_reason = milestone_reason_field()

    CONFIRM_FIELDS = ("confirm", "target", "milestone", "milestone_reason")
    ERROR_FIELDS = {
        "effective_date": "effective_date",
        "unit_code": "unit",
        "role": "role",
        "report_by": "report_by",
        "office": "office",
        "note": "note",
        "target": "target",
        "milestone": "milestone",
        "milestone_reason": "milestone_reason",
    }

    def __init__(
        self, *args: Any, units: QuerySet[Unit], offices: QuerySet[Office], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("code")  # type: ignore[attr-defined]
        self.fields["office"].queryset = offices  # type: ignore[attr-defined]

    def add_tiejun_error(self, error: TiejunError) -> None:
        self.add_error(self.ERROR_FIELDS.get(error.field or ""), str(error.message))
