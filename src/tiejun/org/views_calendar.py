"""The calendar page of one year: its holidays, make-up days and company exceptions, with the
provisional holidays on offer while the year's schedule is not loaded. Everyone signed in reads
it; admins edit it (every write through the services in ``holidays``, audited)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.dateinput import check_day
from tiejun.errors import TiejunError

from . import holidays
from .selectors import is_admin


def _day(text: str | None) -> dt.date:
    try:
        day = dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise TiejunError(_("Give a date YYYY-MM-DD."), field="date") from None
    return check_day(day, field="date")


def _kind(text: str | None) -> bool:
    is_workday = holidays.parse_kind(text or "")
    if is_workday is None:
        raise TiejunError(_("The kind is off or work."), field="kind")
    return is_workday


def _in_year(day: dt.date, year: int) -> dt.date:
    if day.year != year:
        raise TiejunError(_("%(day)s is not in %(year)d.") % {"day": day, "year": year})
    return day


def _apply(request: HttpRequest, year: int) -> str:
    """One edit from the page's forms; the message to show after it."""
    data, by = request.POST, request.user
    action = data.get("action", "")
    if action == "accept":
        added = holidays.provisional_accept(year=year, by=by)  # type: ignore[arg-type]
        return _("%(n)d provisional holidays applied.") % {"n": added}
    day = _in_year(_day(data.get("date")), year)
    if action == "statutory_set":
        holidays.statutory_day_set(
            day=day,
            is_workday=_kind(data.get("kind")),
            name=data.get("name", ""),
            by=by,  # type: ignore[arg-type]
        )
    elif action == "statutory_delete":
        holidays.statutory_day_delete(day=day, by=by)  # type: ignore[arg-type]
    elif action == "exception_set":
        holidays.override_set(
            day=day,
            is_workday=_kind(data.get("kind")),
            note=data.get("note", ""),
            by=by,  # type: ignore[arg-type]
        )
    elif action == "exception_delete":
        holidays.override_delete(day=day, by=by)  # type: ignore[arg-type]
    else:
        raise TiejunError(_("Unknown action."))
    return _("Saved.")


@login_required
def year_page(request: HttpRequest, year: int) -> HttpResponse:
    try:
        holidays.check_year(year)
    except TiejunError:
        raise Http404(_("No such page.")) from None
    may_edit = is_admin(request.user)  # type: ignore[arg-type]
    error = message = ""
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise Http404(_("No such page."))
        try:
            message = _apply(request, year)
        except TiejunError as exc:
            error, status = str(exc), 400
        else:
            request.session["calendar_message"] = message
            return redirect("calendar:year", year=year)
    message = request.session.pop("calendar_message", "")
    context = {
        "calendar": holidays.calendar_year(year),
        "year": year,
        "may_edit": may_edit,
        "error": error,
        "message": message,
        "form": request.POST if error else {},
        "previous_year": year - 1,
        "next_year": year + 1,
    }
    return render(request, "org/calendar_year.html", context, status=status)


@login_required
def this_year(request: HttpRequest) -> HttpResponse:
    return redirect("calendar:year", year=timezone.localdate().year)
