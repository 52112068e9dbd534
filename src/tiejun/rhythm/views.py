"""Kickoff, review and risk pages: thin views over the rhythm selectors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tiejun.dateinput import check_day
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.metrics import metric as get_metric
from tiejun.org.selectors import access_unit, default_unit

from .selectors.kickoff import kickoff_for_unit
from .selectors.review import review_for_unit
from .selectors.risks import RISK_KINDS, risk_board


def _pages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, GET only (a unit the viewer may not see is a 404 and bad input a 400 page,
    through ``UserErrorMiddleware``)."""
    return login_required(require_GET(view))


def _day(request: HttpRequest) -> dt.date:
    text = request.GET.get("date")
    if not text:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise TiejunError(_("date must be a date YYYY-MM-DD"), field="date") from None
    return check_day(day, field="date")


def _context(request: AuthedRequest, unit_code: str) -> dict[str, Any]:
    unit = access_unit(request.user, unit_code)
    day = _day(request)
    return {
        "unit": unit,
        "day": day,
        "date_value": day.isoformat(),
        "is_today": day == timezone.localdate(),
        "query": f"?date={day.isoformat()}",
        "board_query": f"?month={day:%Y-%m}&as_of={day.isoformat()}",
    }


@_pages
def kickoff(request: AuthedRequest, unit_code: str) -> HttpResponse:
    context = _context(request, unit_code)
    context["kickoff"] = kickoff_for_unit(context["unit"], day=context["day"])
    return render(request, "rhythm/kickoff.html", context)


@_pages
def kickoff_tv(request: AuthedRequest, unit_code: str) -> HttpResponse:
    """The old kickoff TV page: now the wall TV showing the unit's kickoff, paged, so a long
    team is not cut off. The rest of the query (``interval``, ``seconds``…) goes along."""
    unit = access_unit(request.user, unit_code)
    query = QueryDict(mutable=True)
    query.update({"units": unit.code, "panels": "kickoff"})
    for name, values in request.GET.lists():
        if name not in query:
            query.setlist(name, values)
    return redirect(reverse("scoreboard:tv") + "?" + query.urlencode(safe=","))


@_pages
def review(request: AuthedRequest, unit_code: str) -> HttpResponse:
    context = _context(request, unit_code)
    context["review"] = review_for_unit(context["unit"], day=context["day"])
    context.update(_legend())
    return render(request, "rhythm/review.html", context)


@_pages
def risks(request: AuthedRequest, unit_code: str) -> HttpResponse:
    context = _context(request, unit_code)
    board = risk_board(
        context["unit"],
        day=context["day"],
        kind=request.GET.get("kind", ""),
        within=request.GET.get("within", ""),
    )
    context["board"] = board
    context["risks"] = board.risks
    context["kinds"] = [(kind, board.counts[kind]) for kind in RISK_KINDS]
    context["metric"] = get_metric("revenue")
    context.update(_legend())
    return render(request, "rhythm/risks.html", context)


def _legend() -> dict[str, Any]:
    """The thresholds the legend of risk points names."""
    return {
        "margin": settings.RISK_BEHIND_MARGIN,
        "idle_days": settings.RISK_IDLE_WORKDAYS,
        "visits_per_day": settings.RISK_MIN_VISITS_PER_DAY,
        "visit_days": settings.RISK_VISIT_WORKDAYS,
    }


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    """The evening review of the viewer's own unit (the kickoff and risks link from it)."""
    unit = default_unit(request.user)
    if unit is None:
        raise Http404(_("No such unit."))
    return redirect("rhythm:review", unit_code=unit.code)
