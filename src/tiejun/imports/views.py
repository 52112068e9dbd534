"""The import pages: upload a file of any kind the user may import, check it, then import it.

An upload becomes a job (``services.job_start``) that a worker runs; its page shows the progress
(refreshed by ``web/imports.js`` from the job's JSON, or by a plain reload without script), then
the result, the errors and what comes next: "import this file now" after a passing check.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest

from . import exports
from .engine import Kind, Option, kind_options, optional_header
from .models import ImportJob
from .registry import KINDS, kinds_for
from .selectors import access_import_job, import_job_errors, import_jobs_recent, row_errors
from .services import MAX_FILE_BYTES, job_cancel, job_import_checked, job_start

CHECK, IMPORT = "check", "import"
TEMPLATE_LANGUAGES = ("en", "zh-hans")


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What"))
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Needed to change the targets of a locked month."),
    )

    def __init__(self, *args: Any, kinds: list[Kind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.name, k.label) for k in kinds]  # type: ignore[attr-defined]
        # The run options the kinds offer (a people import's "invite everyone created"): a
        # checkbox each, and a choice beside it when the option has several values.
        self.options: dict[str, Option] = {}
        self.option_kinds: dict[str, list[str]] = {}
        for kind in kinds:
            for name, option in kind_options(kind.name).items():
                self.options.setdefault(name, option)
                self.option_kinds.setdefault(name, []).append(kind.name)
        labels = {k.name: str(k.label) for k in kinds}
        for name, option in self.options.items():
            self.fields[f"option_{name}"] = forms.BooleanField(
                label=str(option.label),
                required=False,
                help_text=_("For: %(kinds)s.")
                % {"kinds": ", ".join(labels[k] for k in self.option_kinds[name])},
            )
            if len(option.choices) > 1:
                self.fields[f"option_{name}_choice"] = forms.ChoiceField(
                    label=str(option.choice_label or option.label),
                    choices=list(option.choices.items()),
                    initial=next(iter(option.choices)),
                    required=False,
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        for name in self.options:
            if data.get(f"option_{name}") and kind not in self.option_kinds[name]:
                self.add_error(f"option_{name}", _("This kind of file does not offer it."))
        return data

    def run_options(self) -> dict[str, str]:
        """The ticked options as the engine's run options (``{"invite": "email"}``)."""
        chosen = {}
        for name, option in self.options.items():
            if self.cleaned_data.get(f"option_{name}"):
                value = self.cleaned_data.get(f"option_{name}_choice")
                chosen[name] = value or next(iter(option.choices))
        return chosen

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(n)d MB.") % {"n": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


def _check_may_import(request: AuthedRequest) -> list[Kind]:
    """The kinds the user may import; with none, the page does not exist for them."""
    kinds = kinds_for(request.user)
    if not kinds:
        raise Http404(_("No such page."))
    return kinds


def _page_language() -> str:
    return "zh-hans" if (get_language() or "").lower().startswith("zh") else "en"


def _template_text(kind: str, language: str) -> str:
    """The template of ``kind`` with its header in ``language``."""
    return exports.template_csv(kind, language)


def _kind_rows(kinds: list[Kind]) -> list[dict[str, Any]]:
    language = _page_language()
    return [
        {
            "code": k.name,
            "label": k.label,
            "header": _template_text(k.name, language).strip(),
            "optional": ",".join(optional_header(k, language)),
            "lang": language,
        }
        for k in kinds
    ]


@login_required
def upload(request: AuthedRequest) -> HttpResponse:
    """The form (kind, file, reason; "Check" or "Import"), the kinds, the user's recent jobs."""
    allowed = _check_may_import(request)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, kinds=allowed)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = job_start(
                    by=request.user,
                    kind=data["kind"],
                    data=data["file"].read(),
                    filename=data["file"].name,
                    dry_run=request.POST.get("action") != IMPORT,
                    reason=data["reason"],
                    language=get_language() or "",
                    options=form.run_options(),
                )
            except TiejunError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                return redirect("imports:job", job_id=job.pk)
    else:
        form = ImportForm(kinds=allowed)
    labels = {k.name: k.label for k in allowed}
    jobs = [(job, labels.get(job.kind, job.kind)) for job in import_jobs_recent(request.user)]
    context = {"form": form, "kinds": _kind_rows(allowed), "jobs": jobs}
    return render(request, "imports/upload.html", context)


@login_required
def template_csv(request: AuthedRequest, kind: str) -> HttpResponse:
    """An empty CSV with the header row of ``kind`` (UTF-8 with BOM, so Excel reads it right);
    English unless ``?lang=zh-hans``."""
    allowed = {k.name for k in _check_may_import(request)}
    if kind not in allowed:
        raise Http404(_("No such import kind."))
    language = request.GET.get("lang", "en").lower()
    if language not in TEMPLATE_LANGUAGES:
        raise Http404(_("No such language."))
    response = HttpResponse(
        "\ufeff" + _template_text(kind, language).replace("\r\n", "\n").replace("\n", "\r\n"),
        content_type="text/csv; charset=utf-8",
    )
    suffix = "" if language == "en" else f"-{language}"
    response["Content-Disposition"] = f'attachment; filename="tiejun-{kind}{suffix}.csv"'
    return response


def _kind_label(job: ImportJob) -> Any:
    spec = KINDS.get(job.kind)
    return spec.label if spec is not None else job.kind


def _job_options(job: ImportJob) -> list[tuple[Any, Any]]:
    """The job's run options as (label, chosen value's label), for its page."""
    offered = kind_options(job.kind)
    shown = []
    for name, value in (job.options or {}).items():
        option = offered.get(name)
        if option is not None:
            shown.append((option.label, option.choices.get(value, value)))
    return shown


@login_required
def job(request: AuthedRequest, job_id: int) -> HttpResponse:
    """A job's progress while it runs; its result, errors and next step once it ends."""
    job = access_import_job(request.user, job_id)
    context = {
        "job": job,
        "label": _kind_label(job),
        "errors": [str(error) for error in row_errors(job.errors)],
        "more_errors": job.error_count > len(job.errors),
        "options": _job_options(job),
        "invited": (job.result or {}).get("invited"),
        "warnings": [str(w) for w in (job.result or {}).get("warnings", [])],
        "may_import_now": job.dry_run
        and job.state == "checked"
        and job.upload_id is not None
        and job.follow_up_id is None,
    }
    return render(request, "imports/job.html", context)


def job_progress(job: ImportJob) -> dict[str, Any]:
    """What the job page's script reads."""
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "finished": job.finished,
        "cancellable": job.cancellable,
        "percent": job.percent,
        "rows_read": job.rows_read,
        "rows_checked": job.rows_checked,
        "rows_written": job.rows_written,
    }


@login_required
def job_json(request: AuthedRequest, job_id: int) -> JsonResponse:
    job = access_import_job(request.user, job_id)
    response = JsonResponse(job_progress(job))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def job_errors_csv(request: AuthedRequest, job_id: int) -> HttpResponse:
    """Every error of a job as CSV (row, column, problem), the header in the page's language."""
    job = access_import_job(request.user, job_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("row"), _("column"), _("problem")])
    writer.writerows([e.row, e.shown_column, e.problem] for e in import_job_errors(job))
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tiejun-import-{job.pk}-errors.csv"'
    return response


@require_POST
@login_required
def job_cancel_view(request: AuthedRequest, job_id: int) -> HttpResponse:
    job = access_import_job(request.user, job_id)
    try:
        job_cancel(job=job)
    except TiejunError as exc:
        messages.error(request, str(exc))
    return redirect("imports:job", job_id=job.pk)


@require_POST
@login_required
def job_import_now(request: AuthedRequest, job_id: int) -> HttpResponse:
    """Import the file a passing check read: a new job on the same bytes."""
    job = access_import_job(request.user, job_id)
    try:
        follow_up = job_import_checked(job=job, by=request.user, language=get_language() or "")
    except TiejunError as exc:
        messages.error(request, str(exc))
        return redirect("imports:job", job_id=job.pk)
    return redirect("imports:job", job_id=follow_up.pk)
