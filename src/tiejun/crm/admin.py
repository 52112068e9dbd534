"""The admin site: customers can be repaired here (a code that breaks the pages, a wrong name).

Owners change through claims, handovers and releases (audited, with history), so the owner is
shown, not edited; deals change through their own pages and API, which credit the scoreboard.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from tiejun.errors import TiejunError
from tiejun.text import name_problem

from .models import Customer
from .services.customers import validate_customer_code


class CustomerAdminForm(forms.ModelForm):
    """The same checks as every other path: a code that fits a URL, a name without control
    characters (a bad code already stored can be corrected here)."""

    class Meta:
        model = Customer
        fields = [
            "code",
            "name",
            "industry",
            "size",
            "address",
            "lat",
            "lon",
            "phone",
            "unit",
            "status",
            "priority",
            "opens_at",
            "closes_at",
            "notes",
        ]

    def clean_code(self) -> str:
        try:
            return validate_customer_code(self.cleaned_data["code"])
        except TiejunError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        problem = name_problem(name)
        if problem is not None:
            raise forms.ValidationError(problem)
        return name


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ["code", "name", "owner", "unit", "status", "priority"]
    list_filter = ["status", "priority"]
    search_fields = ["code", "name", "address"]
    readonly_fields = ["owner", "owned_since", "last_activity_on", "created_at"]
    raw_id_fields = ["unit"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers are created by the pages, the API and imports

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deals, visits and history hang on a customer
