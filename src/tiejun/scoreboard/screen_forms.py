"""The form of a saved wall screen: name, units (those the editor may see), metric, seconds per
page and the panels it rotates through."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiejun.metrics import METRIC_CHOICES
from tiejun.org.models import Person, Unit
from tiejun.org.selectors import board_roots, unit_tree

from .models import PANEL_CHOICES
from .screens import MAX_SECONDS, MIN_SECONDS, panel_kinds


def unit_options(person: Person) -> list[tuple[Unit, int]]:
    """The units ``person`` may put on a screen, depth-first with their depth."""
    day = timezone.localdate()
    seen: set[int] = set()
    options: list[tuple[Unit, int]] = []
    for root in board_roots(person, day):
        for node in unit_tree(root, day):
            if node.unit.pk not in seen:
                seen.add(node.unit.pk)
                options.append((node.unit, node.depth))
    return options


class ScreenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    units = forms.MultipleChoiceField(
        label=_("Units"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The boards rotate in this order: the whole tree, top down."),
    )
    metric = forms.ChoiceField(label=_("Metric"), choices=METRIC_CHOICES, initial="revenue")
    seconds = forms.IntegerField(
        label=_("Seconds per page"),
        min_value=MIN_SECONDS,
        max_value=MAX_SECONDS,
        initial=30,
        help_text=_("A long team turns its page after this many seconds, then the next unit."),
    )
    panels = forms.MultipleChoiceField(
        label=_("Panels"),
        widget=forms.CheckboxSelectMultiple,
        initial=["board"],
        help_text=_("Each unit shows these in turn."),
    )
    sound = forms.BooleanField(
        label=_("Chime when a deal lands"),
        required=False,
        help_text=_("Where the TV's browser allows sound."),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = unit_options(person)
        units, panels = self.fields["units"], self.fields["panels"]
        assert isinstance(units, forms.MultipleChoiceField)
        assert isinstance(panels, forms.MultipleChoiceField)
        units.choices = [(u.code, u.name) for u, _depth in self.options]
        kinds = panel_kinds()
        panels.choices = [(k, label) for k, label in PANEL_CHOICES if k in kinds]

    def chosen_units(self) -> list[Unit]:
        """The checked units in tree order."""
        codes = set(self.cleaned_data["units"])
        return [u for u, _depth in self.options if u.code in codes]

    def unit_rows(self) -> list[dict[str, Any]]:
        """The checkboxes as the template draws them: indented by depth."""
        checked = set(self["units"].value() or [])
        return [
            {"unit": u, "depth": depth, "checked": u.code in checked} for u, depth in self.options
        ]
