"""The form of a person's move: transfer and/or promotion from an effective date."""

from __future__ import annotations

from typing import Any, cast

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


# A milestone the move forfeits (the promotion advisor, warning ``milestone.forfeit``). Postpone
# is a submit button of its own ("save the move from the suggested date instead": the service
# moves the date and records the choice); the others are radios with a reason.
MILESTONE_CHOICES = [
    ("postpone", _("Move the effective date to the suggested one")),
    ("exception", _("Ask for an exception (approved a level up)")),
    ("proceed", _("Go ahead: the milestone is forfeited")),
]


def milestone_field() -> forms.ChoiceField:
    """The advisor's choice: a form that confirms moves declares it (``MoveForm``)."""
    return forms.ChoiceField(
        label=_("The milestone"),
        required=False,
        choices=MILESTONE_CHOICES,
        widget=forms.RadioSelect,
    )


def milestone_reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConfirmsMoves:
    """A form that shows a move's warnings with the confirmation and the options they offer."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    move_warnings: list[MoveWarning] = []
    # The URL name of a page that saves the move with every choice, when the form's own view
    # passes on only some (``{% url ADVISOR_PAGE employee_no %}``); empty: the view passes all.
    ADVISOR_PAGE = ""

    def show_warnings(self, warnings: list[MoveWarning]) -> None:
        """List ``warnings`` above the confirmation, offering only the options they offer."""
        self.move_warnings = warnings
        offered = {option for w in warnings for option in w.options}
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = [c for c in TARGET_CHOICES if c[0] in offered]
        milestone = self.fields.get("milestone")
        if isinstance(milestone, forms.ChoiceField):
            milestone.choices = [c for c in MILESTONE_CHOICES if c[0] in offered]
            advised = any(w.code.startswith("milestone.") for w in warnings)
            data = getattr(self, "cleaned_data", {})
            if advised and data.get("confirm") and not data.get("milestone"):
                self.add_error(  # type: ignore[attr-defined]
                    "milestone",
                    _(
                        "Choose what to do about the milestone: move the date, ask for an "
                        "exception or go ahead with a reason."
                    ),
                )

    @property
    def has_milestone_radios(self) -> bool:
        """Whether the advisor offers a choice beside postponing (exception, go ahead)."""
        milestone = self.fields.get("milestone")
        if not isinstance(milestone, forms.ChoiceField):
            return False
        offered = cast(list[tuple[str, Any]], milestone.choices)  # set by show_warnings
        return any(value != "postpone" for value, _label in offered)

    @property
    def postpone_dates(self) -> list[str]:
        """The dates a ``postpone`` button refills the effective date with (the latest first)."""
        dates = {
            str(w.detail.get("suggested_effective_date"))
            for w in self.move_warnings
            if "postpone" in w.options and w.detail.get("suggested_effective_date")
        }
        return sorted(dates, reverse=True)[:1]

    def move_choices(self) -> dict[str, str]:
        """The options chosen on the form, as ``membership_move_checked`` takes them."""
        data = self.cleaned_data
        keys = ("target", "milestone", "milestone_reason")
        return {k: data[k] for k in keys if k in self.fields and data.get(k)}


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
    milestone = milestone_field()
    milestone_reason = milestone_reason_field()

    # Where a TiejunError's field lands on this form.
    ERROR_FIELDS = {
        "effective_date": "effective_date",
        "unit_code": "unit",
        "role": "role",
        "target": "target",
        "milestone": "milestone",
        "milestone_reason": "milestone_reason",
    }
    # Fields shown only beside the warnings.
    CONFIRM_FIELDS = ("confirm", "target", "milestone", "milestone_reason")
    # The person page's view passes on only the target choice: the milestone choice (exception,
    # proceed) is saved by the advisor's page of the incentives app (the same move, same checks).
    ADVISOR_PAGE = "incentives:advisor_move"

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("code")  # type: ignore[attr-defined]

    def add_tiejun_error(self, error: TiejunError) -> None:
        self.add_error(self.ERROR_FIELDS.get(error.field or ""), str(error.message))
