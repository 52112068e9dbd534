"""The org's pages: the tree with its headcounts, a unit's members on a day, and the calendar of
one year (its holidays, make-up days and company exceptions, with the provisional holidays on
offer while the year's schedule is not loaded: everyone signed in reads it, admins edit it,
every write through the services in ``holidays``, audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tiejun.access import is_admin
from tiejun.dateinput import check_day, parse_day
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest

from . import holidays
from .selectors import (
    TreeNode,
    access_unit,
    board_roots,
    can_manage_unit,
    unit_members_on,
    unit_tree,
    visible_ancestors,
)

# --- the org tree -------------------------------------------------------------------------


def _day_arg(request: HttpRequest, name: str) -> dt.date:
    text = request.GET.get(name)
    if not text:
        return timezone.localdate()
    return parse_day(text, field=name) or timezone.localdate()


def _with_totals(nodes: list[TreeNode]) -> list[dict[str, Any]]:
    """Each node of a depth-first tree with the headcount of its whole subtree beside its own."""
    totals = [node.headcount for node in nodes]
    open_nodes: list[int] = []  # indexes of the ancestors of the current node
    for i, node in enumerate(nodes):
        while open_nodes and nodes[open_nodes[-1]].depth >= node.depth:
            open_nodes.pop()
        for ancestor in open_nodes:
            totals[ancestor] += node.headcount
        open_nodes.append(i)
    return [{"node": node, "total": total} for node, total in zip(nodes, totals, strict=True)]


@login_required
@require_GET
def org_tree(request: AuthedRequest) -> HttpResponse:
    day = _day_arg(request, "on")
    trees = [_with_totals(unit_tree(root, day)) for root in board_roots(request.user, day)]
    return render(request, "org/tree.html", {"trees": trees, "day": day})


@login_required
@require_GET
def unit_members(request: AuthedRequest, unit_code: str) -> HttpResponse:
    day = _day_arg(request, "on")
    unit = access_unit(request.user, unit_code)
    members = unit_members_on(unit, day).order_by("role", "person__employee_no")
    context = {
        "unit": unit,
        "day": day,
        "members": members,
        "children": unit.children.order_by("sort", "code"),
        "breadcrumb": visible_ancestors(request.user, unit)[:-1],
        "can_manage": can_manage_unit(request.user, unit),
    }
    return render(request, "org/members.html", context)


# --- the calendar of a year ---------------------------------------------------------------


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


def _apply(request: AuthedRequest, year: int) -> str:
    """One edit from the page's forms; the message to show after it."""
    data, by = request.POST, request.user
    action = data.get("action", "")
    if action == "accept":
        added = holidays.provisional_accept(year=year, by=by)
        return _("%(n)d provisional holidays applied.") % {"n": added}
    day = _in_year(_day(data.get("date")), year)
    if action == "statutory_set":
        holidays.statutory_day_set(
            day=day, is_workday=_kind(data.get("kind")), name=data.get("name", ""), by=by
        )
    elif action == "statutory_delete":
        holidays.statutory_day_delete(day=day, by=by)
    elif action == "exception_set":
        holidays.override_set(
            day=day, is_workday=_kind(data.get("kind")), note=data.get("note", ""), by=by
        )
    elif action == "exception_delete":
        holidays.override_delete(day=day, by=by)
    else:
        raise TiejunError(_("Unknown action."))
    return _("Saved.")


@login_required
def year_page(request: AuthedRequest, year: int) -> HttpResponse:
    try:
        holidays.check_year(year)
    except TiejunError:
        raise Http404(_("No such page.")) from None
    may_edit = is_admin(request.user)
    error = message = ""
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise Http404(_("No such page."))
        try:
            message = _apply(request, year)
        except TiejunError as exc:  # shown on the page, beside the forms
            error, status = str(exc), 400
        else:
            request.session["calendar_message"] = message
            return redirect("org:calendar_year", year=year)
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
def this_year(request: AuthedRequest) -> HttpResponse:
    return redirect("org:calendar_year", year=timezone.localdate().year)
