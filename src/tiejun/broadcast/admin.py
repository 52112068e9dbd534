import logging

from django import forms
from django.contrib import admin
from django.template import TemplateSyntaxError
from django.utils.translation import gettext as _

from .models import Milestone, ReportTemplate, Subscription
from .renderers import compile_body, file_template_name

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

    def get_changeform_initial_data(self, request):
        """A new template starts from the shipped file of the kind and format asked for."""
        initial = super().get_changeform_initial_data(request)
        kind, fmt = str(initial.get("kind", "battle")), str(initial.get("format", "html"))
        try:
            from django.template import Engine

            template = Engine.get_default().get_template(file_template_name(kind, fmt))
            initial["body"] = (
                template.source.split("%}", 1)[1]
                if template.source.startswith("{% load")
                else template.source
            )
        except Exception:  # only a convenience: the admin starts from an empty body
            log.info("no shipped template for %s.%s", kind, fmt)
        return initial

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["unit", "report", "channel", "address", "active", "created_by", "created_at"]
    list_filter = ["report", "channel", "active"]
    search_fields = ["unit__code", "unit__name", "address"]
    list_select_related = ["unit", "created_by"]
    raw_id_fields = ["unit", "created_by"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["month", "person", "unit", "reached_on", "deal_no"]
    list_select_related = ["person", "unit"]
    readonly_fields = ["month", "person", "unit", "reached_on", "deal_no", "created_at"]
