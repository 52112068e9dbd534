"""The import page: upload a CSV or XLSX of units, people, moves, targets or deals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.http import AuthedRequest

from .registry import KINDS, kinds_for
from .services import run_import

MAX_UPLOAD = 20 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What"))
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


def _check_may_import(request: AuthedRequest) -> list[Any]:
    """The kinds the user may import; with none, the page does not exist for them."""
    kinds = kinds_for(request.user)
    if not kinds:
        raise Http404(_("No such page."))
    return kinds


@login_required
def upload(request: AuthedRequest) -> HttpResponse:
    allowed = _check_may_import(request)
    choices = [(k.name, k.label) for k in allowed]
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        form.fields["kind"].choices = choices  # type: ignore[attr-defined]
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
        form.fields["kind"].choices = choices  # type: ignore[attr-defined]
    kinds = [{"code": k.name, "label": k.label, "header": ",".join(k.columns)} for k in allowed]
    return render(request, "imports/upload.html", {"form": form, "result": result, "kinds": kinds})


@login_required
def template_csv(request: AuthedRequest, kind: str) -> HttpResponse:
    """An empty CSV with the header row of ``kind`` (UTF-8 with BOM, so Excel reads it right)."""
    allowed = {k.name for k in _check_may_import(request)}
    if kind not in allowed:
        raise Http404(_("No such import kind."))
    response = HttpResponse(
        "\ufeff" + ",".join(KINDS[kind].columns) + "\r\n", content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="tiejun-{kind}.csv"'
    return response
