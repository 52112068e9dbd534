"""Daily report and field note pages: thin views over field.reports and field.notes."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiejun.dateinput import check_day
from tiejun.errors import NotFound, TiejunError

from . import notes as field_notes
from . import reports


def _pages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in; a row the viewer may not see is a 404, bad input a 400 page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(str(error)) from None
        except TiejunError as error:
            return render(request, "web/error.html", {"error": error}, status=error.status)

    return login_required(wrapper)


def _day(text: str | None) -> dt.date:
    if not text:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise TiejunError(_("date must be a date YYYY-MM-DD"), field="date") from None
    return check_day(day, field="date")


def _plan_url(plan: Any, employee_no: str) -> str | None:
    """A link to the visit plan page (field.urls_plans), if it is mounted."""
    if plan is None:
        return None
    try:
        return reverse("field:plan", args=[employee_no, plan.date.isoformat()])
    except NoReverseMatch:
        return None


@_pages
@require_http_methods(["GET", "POST"])
def report_mine(request: HttpRequest) -> HttpResponse:
    """The signed-in rep's report for a day (today by default): pre-filled, save, file."""
    person = request.user
    day = _day(request.POST.get("date") if request.method == "POST" else request.GET.get("date"))
    error: TiejunError | None = None
    if request.method == "POST":
        submit = request.POST.get("action") == "file"
        texts = {name: request.POST.get(name, "") for name in reports.TEXT_FIELDS}
        try:
            reports.daily_report_save(person=person, day=day, texts=texts, submit=submit)  # type: ignore[arg-type]
        except TiejunError as exc:
            if exc.field == "date":
                raise
            error = exc
        else:
            if submit:
                messages.success(request, _("Your daily report is filed."))
            else:
                messages.success(request, _("Draft saved."))
            return redirect(f"{reverse('field:report_mine')}?date={day.isoformat()}")
    report, prefill = reports.report_for(person, day)  # type: ignore[arg-type]
    if error is not None:
        for name in reports.TEXT_FIELDS:
            setattr(report, name, request.POST.get(name, ""))
    context = {
        "report": report,
        "prefill": prefill,
        "day": day,
        "due_at": reports.due_at(day),
        "is_late": reports.is_late(report),
        "error": error,
        "comments": reports.report_comments(report) if report.pk else [],
        "next_plan_url": _plan_url(prefill.next_plan, person.employee_no),  # type: ignore[union-attr]
        "fields": [
            ("visited", _("Customers visited")),
            ("feedback", _("Key feedback")),
            ("problems", _("Problems")),
            ("won", _("What was won")),
            ("tomorrow", _("Tomorrow's plan")),
        ],
    }
    return render(request, "field/report_mine.html", context, status=400 if error else 200)


@_pages
@require_http_methods(["GET"])
def report_board(request: HttpRequest) -> HttpResponse:
    """For a team and a date: who has filed, who has not, who filed late."""
    unit, units = reports.report_board_scope(request.user, request.GET.get("unit"))  # type: ignore[arg-type]
    day = _day(request.GET.get("date"))
    board = reports.report_status_board(unit, day=day)
    return render(
        request,
        "field/report_board.html",
        {
            "board": board,
            "units": units,
            "day": day,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
        },
    )


@_pages
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A report with its comments; a reader may comment."""
    report = reports.access_report(request.user, pk)  # type: ignore[arg-type]
    error: TiejunError | None = None
    if request.method == "POST":
        try:
            reports.report_comment_add(
                author=request.user,  # type: ignore[arg-type]
                report=report,
                text=request.POST.get("text", ""),
            )
        except TiejunError as exc:
            error = exc
        else:
            messages.success(request, _("Comment added."))
            return redirect("field:report_detail", pk=report.pk)
    return render(
        request,
        "field/report_detail.html",
        {
            "report": report,
            "comments": reports.report_comments(report),
            "is_late": reports.is_late(report),
            "due_at": reports.due_at(report.date),
            "is_mine": report.person_id == request.user.pk,
            "error": error,
        },
        status=400 if error else 200,
    )


@_pages
@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest) -> HttpResponse:
    """The branch's field notes: the best first, then search by text and tag; post a note."""
    error: TiejunError | None = None
    if request.method == "POST":
        try:
            field_notes.note_post(
                person=request.user,  # type: ignore[arg-type]
                customer_type=request.POST.get("customer_type", ""),
                objection=request.POST.get("objection", ""),
                answer=request.POST.get("answer", ""),
                tags=request.POST.get("tags", ""),
            )
        except TiejunError as exc:
            error = exc
        else:
            messages.success(request, _("Thank you for sharing."))
            return redirect("field:notes")
    page = field_notes.notes_page(
        request.user,  # type: ignore[arg-type]
        query=request.GET.get("q", ""),
        tag=request.GET.get("tag", ""),
    )
    return render(
        request,
        "field/notes.html",
        {
            "page": page,
            "best": [(n, page.can_star(n)) for n in page.best],
            "notes": [(n, page.can_star(n)) for n in page.notes],
            "error": error,
            "form": request.POST if error else {},
        },
        status=400 if error else 200,
    )


@_pages
@require_POST
def note_star(request: HttpRequest, pk: int) -> HttpResponse:
    note = field_notes.access_note(request.user, pk)  # type: ignore[arg-type]
    field_notes.note_star(
        viewer=request.user,  # type: ignore[arg-type]
        note=note,
        starred=request.POST.get("starred", "1") != "0",
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("field:notes")
    return redirect(target)
