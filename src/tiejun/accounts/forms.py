from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ResetRequestForm(forms.Form):
    login = forms.CharField(
        label=_("Employee number, e-mail or mobile"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
