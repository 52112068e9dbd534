"""A person's page: their month on every board metric, the chosen metric day by day, their
memberships, and (for whoever may move them) the transfer and promotion form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.metrics import metric as get_metric
from tiejun.org.checks import MoveNeedsConfirmation
from tiejun.org.forms import MoveForm
from tiejun.org.models import Membership, Person, Role
from tiejun.org.selectors import (
    access_person,
    can_move_person,
    current_or_last_membership,
    manageable_units,
    person_history,
    work_calendar,
)
from tiejun.org.services import membership_move_checked
from tiejun.workdays import MonthProgress, WorkCalendar, month_end

from ..selectors import daily_series, parse_board_args, person_board
from .board import BOARD_METRICS, kept_args, metric_code

PACE_HEADROOM = Decimal("1.2")


def _daily_bars(
    series: list[tuple[dt.date, Decimal]],
    *,
    month: dt.date,
    as_of: dt.date,
    pace: Decimal | None,
    is_workday: Callable[[dt.date], bool],
) -> dict[str, Any]:
    """The month day by day, each bar's height relative to the best day or to the line of
    ``pace`` (the card's "needed today", so card and chart show one figure), whichever is higher;
    the line stays below the top so its label never covers the tabs."""
    values = dict(series)
    top = max([*values.values(), (pace or Decimal(0)) * PACE_HEADROOM, Decimal(0)])
    days = []
    day = month
    while day <= month_end(month):
        value = values.get(day, Decimal(0))
        days.append(
            {
                "day": day,
                "value": value,
                "height": f"{float(value / top) * 100:.1f}%" if top and value > 0 else "0%",
                "workday": is_workday(day),
                "future": day > as_of,
                "hit": pace is not None and value >= pace,
            }
        )
        day += dt.timedelta(days=1)
    return {
        "days": days,
        "pace": pace,
        "pace_bottom": f"{float(pace / top) * 100:.1f}%" if pace and top else None,
    }


def _figures(
    person: Person,
    *,
    month: dt.date,
    as_of: dt.date,
    calendar: WorkCalendar,
    progress: MonthProgress,
) -> list[dict[str, Any]]:
    """The person's figures of each board metric, ahead or behind the month's time progress."""
    figures = []
    for code in BOARD_METRICS:
        f = person_board(person, month=month, as_of=as_of, metric=code, calendar=calendar)
        pace = None
        if f.completion is not None and progress.time_progress is not None:
            pace = "ahead" if f.completion + 1e-9 >= progress.time_progress else "behind"
        figures.append({"metric": get_metric(code), "f": f, "pace": pace})
    return figures


def _chart(
    person: Person,
    figures: list[dict[str, Any]],
    *,
    code: str,
    month: dt.date,
    as_of: dt.date,
    calendar: WorkCalendar,
) -> dict[str, Any]:
    """The chosen metric day by day against what is needed a day from now on: the same
    "needed today" figure as the metric's card (remaining ÷ working days left)."""
    shown = {figure["metric"].code: figure["f"] for figure in figures}
    f = shown.get(code) or person_board(
        person, month=month, as_of=as_of, metric=code, calendar=calendar
    )
    return _daily_bars(
        daily_series(metric=code, month=month, as_of=as_of, person=person),
        month=month,
        as_of=as_of,
        pace=f.required_daily,
        is_workday=calendar.is_workday,
    )


def _move(
    request: AuthedRequest, person: Person, current: Membership
) -> tuple[MoveForm, HttpResponse | None]:
    """The move form, bound on a POST; the redirect once the move is saved."""
    viewer = request.user
    units = manageable_units(viewer)
    if request.method != "POST":
        initial = {
            "effective_date": timezone.localdate(),
            "unit": current.unit,
            "role": current.role,
        }
        return MoveForm(units=units, initial=initial), None
    form = MoveForm(request.POST, units=units)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    if not can_move_person(viewer, person, current.unit, data["unit"], data["role"]):
        form.add_error("role", _("You may not give this role."))
        return form, None
    try:
        membership_move_checked(
            person=person,
            effective=data["effective_date"],
            unit=data["unit"],
            role=data["role"],
            by=viewer,
            confirm=data["confirm"],
            choices={"target": data["target"]},
        )
    except MoveNeedsConfirmation as refused:  # the page asks: listed above the confirmation
        form.show_warnings(refused.warnings)
        return form, None
    except TiejunError as error:  # shown on the form, beside the field at fault
        form.add_tiejun_error(error)
        return form, None
    messages.success(
        request,
        _("%(name)s moves to %(unit)s as %(role)s from %(day)s.")
        % {
            "name": person.name,
            "unit": data["unit"].name,
            "role": Role(data["role"]).label,
            "day": data["effective_date"].isoformat(),
        },
    )
    return form, redirect("scoreboard:person", employee_no=person.employee_no)


def _person_page(request: AuthedRequest, person: Person) -> HttpResponse:
    viewer = request.user
    month, as_of = parse_board_args(request.GET.get("month"), request.GET.get("as_of"))
    code = metric_code(request)
    current = current_or_last_membership(person, timezone.localdate())
    form = None
    if current is not None and can_move_person(viewer, person, current.unit, current.unit, None):
        form, moved = _move(request, person, current)
        if moved is not None:
            return moved
    elif request.method == "POST":
        raise PermissionDenied(_("You may not move this person."))
    calendar = work_calendar()
    progress = calendar.progress(month, as_of)
    figures = _figures(person, month=month, as_of=as_of, calendar=calendar, progress=progress)
    context = {
        "person": person,
        "is_me": person.pk == viewer.pk,
        "month": month,
        "as_of": as_of,
        "month_value": f"{month:%Y-%m}",
        "progress": progress,
        "time_progress": progress.time_progress,
        "figures": figures,
        "chart": _chart(
            person,
            figures,
            code=code,
            month=month,
            as_of=as_of,
            calendar=calendar,
        ),
        "chart_metric": get_metric(code),
        "metrics": [get_metric(c) for c in BOARD_METRICS],
        "metric_links": {c: kept_args(request, metric=c) for c in BOARD_METRICS},
        "history": person_history(person),
        "current": current,
        "form": form,
    }
    status = 400 if form is not None and form.is_bound else 200
    return render(request, "scoreboard/person.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def me(request: AuthedRequest) -> HttpResponse:
    return _person_page(request, request.user)


@login_required
@require_http_methods(["GET", "POST"])
def person(request: AuthedRequest, employee_no: str) -> HttpResponse:
    return _person_page(request, access_person(request.user, employee_no))
