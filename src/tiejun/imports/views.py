"""The import page: upload a CSV or XLSX of units, people, moves, targets or deals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.http import AuthedRequest
from tiejun.org.models import Role
from tiejun.org.selectors import is_admin, membership_on

from .services import run_import

# The header row each kind expects (the contract of issue 2; columns in any order).
HEADERS: dict[str, tuple[str, ...]] = {
    "units": ("code", "name", "kind", "parent_code"),
    "people": ("employee_no", "name", "unit_code", "role", "start_date", "email", "phone"),
    "moves": ("employee_no", "unit_code", "role", "effective_date"),
    "targets": ("month", "scope", "code", "metric", "value"),
    "deals": (
        "deal_no",
        "employee_no",
        "customer_code",
        "customer_name",
        "amount",
        "won_date",
        "channel",
    ),
    "subscriptions": ("unit_code", "report", "channel", "address"),
    "activities": ("activity_id", "employee_no", "customer_code", "model", "date", "hours", "cost"),
    "events": ("event_id", "model", "unit_code", "date", "title", "hours", "cost"),
    "attendees": ("event_id", "customer_code"),
    "calendar": ("date", "kind", "name"),
}
KIND_LABELS = {
    "units": gettext_lazy("Units"),
    "people": gettext_lazy("People"),
    "moves": gettext_lazy("Transfers and promotions"),
    "targets": gettext_lazy("Targets"),
    "deals": gettext_lazy("Deals"),
    "subscriptions": gettext_lazy("Report subscriptions"),
    "activities": gettext_lazy("Sales activities (touches)"),
    "events": gettext_lazy("Events (salons, livestreams)"),
    "attendees": gettext_lazy("Event attendees"),
    "calendar": gettext_lazy("Calendar: a year's statutory holidays and make-up days"),
}
MAX_UPLOAD = 20 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What"), choices=list(KIND_LABELS.items()))
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check only, write nothing"), required=False, initial=True
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Needed to change the targets of a locked month."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


def _check_may_import(request: AuthedRequest) -> None:
    """Admin and managers only; everyone else is told the page does not exist."""
    user = request.user
    if is_admin(user):
        return
    membership = membership_on(user, timezone.localdate())
    if membership is None or membership.role != Role.MANAGER:
        raise Http404(_("No such page."))


@login_required
def upload(request: AuthedRequest) -> HttpResponse:
    _check_may_import(request)
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            result = run_import(
                data["kind"],
                upload.read(),
                upload.name,
                dry_run=data["dry_run"],
                by=request.user,
                reason=data["reason"],
            )
    else:
        form = ImportForm()
    kinds = [
        {"code": code, "label": label, "header": ",".join(HEADERS[code])}
        for code, label in KIND_LABELS.items()
    ]
    return render(request, "imports/upload.html", {"form": form, "result": result, "kinds": kinds})


@login_required
def template_csv(request: AuthedRequest, kind: str) -> HttpResponse:
    """An empty CSV with the header row of ``kind`` (UTF-8 with BOM, so Excel reads it right)."""
    _check_may_import(request)
    if kind not in HEADERS:
        raise Http404(_("No such import kind."))
    response = HttpResponse(
        "\ufeff" + ",".join(HEADERS[kind]) + "\r\n", content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="tiejun-{kind}.csv"'
    return response
