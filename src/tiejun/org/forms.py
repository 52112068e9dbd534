"""The form of a person's move: transfer and/or promotion from an effective date."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tiejun.errors import TiejunError

from .checks import MoveWarning
from .models import Role, Unit


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name} ({obj.code})"


TARGET_CHOICES = [
    ("leave", _("Leave them as they are")),
    ("move", _("Move them with the person")),
    ("resplit", _("Re-split them over the old team")),
]


class ConfirmsMoves:
    """A form that shows a move's warnings with the confirmation and the target options."""

    fields: dict[str, forms.Field]
    move_warnings: list[MoveWarning] = []

    def show_warnings(self, warnings: list[MoveWarning]) -> None:
        """List ``warnings`` above the confirmation, offering only the options they offer."""
        self.move_warnings = warnings
        offered = {option for w in warnings for option in w.options}
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = [c for c in TARGET_CHOICES if c[0] in offered]


class MoveForm(ConfirmsMoves, forms.Form):
    """Transfer and/or promote a person from an effective date."""

    effective_date = forms.DateField(
        label=_("Effective date"),
        # An <input type="date"> takes ISO 8601 only: the localised 2026/12/04 would show empty.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    unit = UnitChoiceField(label=_("New unit"), queryset=Unit.objects.none())
    role = forms.ChoiceField(label=_("New role"), choices=Role.choices)
    # Shown with the move's warnings (``org.checks``): save it anyway, and what becomes of the
    # person's targets of the months from the effective date on.
    confirm = forms.BooleanField(label=_("Save the move despite these warnings"), required=False)
    target = forms.ChoiceField(
        label=_("Their targets"),
        required=False,
        choices=TARGET_CHOICES,
        widget=forms.RadioSelect,
    )

    # Where a TiejunError's field lands on this form.
    ERROR_FIELDS = {
        "effective_date": "effective_date",
        "unit_code": "unit",
        "role": "role",
        "target": "target",
    }
    # Fields shown only beside the warnings.
    CONFIRM_FIELDS = ("confirm", "target")

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("code")  # type: ignore[attr-defined]

    def add_tiejun_error(self, error: TiejunError) -> None:
        self.add_error(self.ERROR_FIELDS.get(error.field or ""), str(error.message))
