"""Daily report pages: the rep's own report (pre-filled, saved, filed), the supervisor's status
board, a report with its comments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tiejun.dateinput import check_day
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest

from ..selectors.reports import (
    TEXT_FIELDS,
    access_report,
    due_at,
    is_late,
    report_board_scope,
    report_comments,
    report_for,
    report_status_board,
)
from ..services.reports import daily_report_save, report_comment_add


def _day(text: str | None) -> dt.date:
    if not text:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise TiejunError(_("date must be a date YYYY-MM-DD"), field="date") from None
    return check_day(day, field="date")


def _plan_url(plan: Any, employee_no: str) -> str | None:
    """A link to the visit plan page of ``plan``, if there is a plan."""
    if plan is None:
        return None
    return reverse("field:plan", args=[employee_no, plan.date.isoformat()])


@login_required
@require_http_methods(["GET", "POST"])
def report_mine(request: AuthedRequest) -> HttpResponse:
    """The signed-in rep's report for a day (today by default): pre-filled, save, file."""
    person = request.user
    day = _day(request.POST.get("date") if request.method == "POST" else request.GET.get("date"))
    error: TiejunError | None = None
    if request.method == "POST":
        submit = request.POST.get("action") == "file"
        texts = {name: request.POST.get(name, "") for name in TEXT_FIELDS}
        try:
            daily_report_save(person=person, day=day, texts=texts, submit=submit)
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
    report, prefill = report_for(person, day)
    if error is not None:
        for name in TEXT_FIELDS:
            setattr(report, name, request.POST.get(name, ""))
    context = {
        "report": report,
        "prefill": prefill,
        "day": day,
        "due_at": due_at(day),
        "is_late": is_late(report),
        "error": error,
        "comments": report_comments(report) if report.pk else [],
        "next_plan_url": _plan_url(prefill.next_plan, person.employee_no),
        "fields": [
            ("visited", _("Customers visited")),
            ("feedback", _("Key feedback")),
            ("problems", _("Problems")),
            ("won", _("What was won")),
            ("tomorrow", _("Tomorrow's plan")),
        ],
    }
    return render(request, "field/report_mine.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET"])
def report_board(request: AuthedRequest) -> HttpResponse:
    """For a team and a date: who has filed, who has not, who filed late."""
    unit, units = report_board_scope(request.user, request.GET.get("unit"))
    day = _day(request.GET.get("date"))
    board = report_status_board(unit, day=day)
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


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A report with its comments; a reader may comment."""
    report = access_report(request.user, pk)
    error: TiejunError | None = None
    if request.method == "POST":
        try:
            report_comment_add(
                author=request.user,
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
            "comments": report_comments(report),
            "is_late": is_late(report),
            "due_at": due_at(report.date),
            "is_mine": report.person_id == request.user.pk,
            "error": error,
        },
        status=400 if error else 200,
    )
