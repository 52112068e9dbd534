import logging
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.template import Engine, TemplateSyntaxError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.errors import TiejunError

from .models import Milestone, PersonalLine, PersonalPreference, ReportTemplate, Subscription
from .renderers import compile_body, file_template_name
from .services import check_address

log = logging.getLogger(__name__)


class ReportTemplateForm(forms.ModelForm):
    class Meta:
        model = ReportTemplate
        fields = ["kind", "format", "language", "body", "active"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 30, "cols": 120, "class": "vLargeTextField"})
        }

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        try:
            compile_body(body)
        except TemplateSyntaxError as exc:
            raise forms.ValidationError(
                _("The template does not compile: %(why)s") % {"why": exc}
            ) from None
        return body


@admin.register(ReportTemplate)
class ReportTemplateAdmin(admin.ModelAdmin):
    form = ReportTemplateForm
    list_display = ["kind", "format", "language", "active", "updated_at", "updated_by"]
    list_filter = ["kind", "format", "active"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A new template starts from the shipped file of the kind and format asked for."""
        initial = super().get_changeform_initial_data(request)
        kind, fmt = str(initial.get("kind", "battle")), str(initial.get("format", "html"))
        try:
            template = Engine.get_default().get_template(file_template_name(kind, fmt))
            initial["body"] = (
                template.source.split("%}", 1)[1]
                if template.source.startswith("{% load")
                else template.source
            )
        except Exception:  # only a convenience: the admin starts from an empty body
            log.info("no shipped template for %s.%s", kind, fmt)
        return initial

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class SubscriptionForm(forms.ModelForm):
    """The address passes the same checks as everywhere else (format, and for a robot or
    webhook the outbound rules). Once saved it is never shown again in full: the field starts
    empty, and left empty it keeps the saved address (shown masked beside it)."""

    class Meta:
        model = Subscription
        fields = ["unit", "report", "channel", "address", "language", "min_amount", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "address" in self.fields:
            self.fields["address"].required = False
            self.fields["address"].help_text = _("Leave empty to keep the current address.")
            self.initial["address"] = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        address = data.get("address") or (self.instance.address if self.instance.pk else "")
        if data.get("channel") and address:
            try:
                data["address"] = check_address(data["channel"], address)
            except TiejunError as exc:
                self.add_error("address", str(exc))
        return data


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = [
        "unit",
        "report",
        "channel",
        "display_address",
        "active",
        "created_by",
        "created_at",
    ]
    list_filter = ["report", "channel", "active"]
    search_fields = ["unit__code", "unit__name", "address"]
    list_select_related = ["unit", "created_by"]
    raw_id_fields = ["unit", "created_by"]

    @admin.display(description=gettext_lazy("current address"))
    def display_address(self, obj: Subscription) -> str:
        return obj.display_address

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["unit", "report", "channel", "address", "language", "min_amount", "active"]
        return fields if obj is None else [*fields[:3], "display_address", *fields[3:]]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["display_address"] if obj is not None else []


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["month", "person", "unit", "reached_on", "deal_no"]
    list_select_related = ["person", "unit"]
    readonly_fields = ["month", "person", "unit", "reached_on", "deal_no", "created_at"]


@admin.register(PersonalLine)
class PersonalLineAdmin(admin.ModelAdmin):
    """The lines of encouragement and comfort of the nightly personal message."""

    list_display = ["mood", "language", "text", "active", "updated_at"]
    list_filter = ["mood", "language", "active"]
    search_fields = ["text"]


@admin.register(PersonalPreference)
class PersonalPreferenceAdmin(admin.ModelAdmin):
    """Who opted out of the personal message or chose its channel: read-only here, since the
    choice is the person's own (their page, the e-mail link, an SMS reply), each audited."""

    list_display = ["person", "subscribed", "channel", "updated_at", "updated_by"]
    list_filter = ["subscribed", "channel"]
    search_fields = ["person__employee_no", "person__name"]
    list_select_related = ["person", "updated_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
