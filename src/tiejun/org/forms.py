"""The form of a person's move: transfer and/or promotion from an effective date."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tiejun.errors import TiejunError

from .models import Role, Unit


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name} ({obj.code})"


class MoveForm(forms.Form):
    """Transfer and/or promote a person from an effective date."""

    effective_date = forms.DateField(
        label=_("Effective date"),
        # An <input type="date"> takes ISO 8601 only: the localised 2026/12/04 would show empty.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    unit = UnitChoiceField(label=_("New unit"), queryset=Unit.objects.none())
    role = forms.ChoiceField(label=_("New role"), choices=Role.choices)

    # Where a TiejunError's field lands on this form.
    ERROR_FIELDS = {"effective_date": "effective_date", "unit_code": "unit", "role": "role"}

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("code")  # type: ignore[attr-defined]

    def add_tiejun_error(self, error: TiejunError) -> None:
        self.add_error(self.ERROR_FIELDS.get(error.field or ""), str(error.message))
