from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiejun.dateinput import MAX_DAY, MIN_DAY
from tiejun.org.models import Person

from .models import Category
from .services import MAX_FACTS, MAX_NOTE, MAX_REASON


class DayField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value: Any) -> Any:
        day = super().to_python(value)
        if day is not None and not MIN_DAY <= day <= MAX_DAY:
            raise forms.ValidationError(_("Enter a valid date."))
        return day


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


class CaseOpenForm(forms.Form):
    employee_no = forms.ChoiceField(label=_("Person"))
    category = CategoryField(queryset=Category.objects.none(), label=_("Red line"))
    occurred_on = DayField(label=_("Occurred on"))
    facts = forms.CharField(
        label=_("Facts"), max_length=MAX_FACTS, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args: Any, people: list[Person] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if people is None:
            del self.fields["employee_no"]
        else:
            field = self.fields["employee_no"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "—")] + [
                (p.employee_no, f"{p.name} ({p.employee_no})") for p in people
            ]
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(active=True).order_by("sort", "code")


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    note = forms.CharField(label=_("Note"), max_length=MAX_NOTE, required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"))
    effective_date = DayField(label=_("Effective date"), required=False)
    reason = forms.CharField(
        label=_("Reason for the decision"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["decision"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this no concern?"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
