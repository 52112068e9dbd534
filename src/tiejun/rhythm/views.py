"""Kickoff, review and risk pages: thin views over the rhythm selectors."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tiejun.dateinput import check_day
from tiejun.errors import NotFound, TiejunError
from tiejun.metrics import metric as get_metric
from tiejun.org.selectors import access_unit

from .selectors import kickoff_for_unit, review_for_unit, risks_for_subtree

TV_REFRESH_SECONDS = 60


def _pages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, GET only; a unit the viewer may not see is a 404, bad input a 400 page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(str(error)) from None
        except TiejunError as error:
            return render(request, "web/error.html", {"error": error}, status=400)

    return login_required(require_GET(wrapper))


def _day(request: HttpRequest) -> dt.date:
    text = request.GET.get("date")
    if not text:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise TiejunError(_("date must be a date YYYY-MM-DD"), field="date") from None
    return check_day(day, field="date")


def _context(request: HttpRequest, unit_code: str) -> dict[str, Any]:
    unit = access_unit(request.user, unit_code)  # type: ignore[arg-type]
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
def kickoff(request: HttpRequest, unit_code: str) -> HttpResponse:
    context = _context(request, unit_code)
    context["kickoff"] = kickoff_for_unit(context["unit"], day=context["day"])
    return render(request, "rhythm/kickoff.html", context)


@_pages
def kickoff_tv(request: HttpRequest, unit_code: str) -> HttpResponse:
    context = _context(request, unit_code)
    context["kickoff"] = kickoff_for_unit(context["unit"], day=context["day"])
    # A TV left on shows today: only a date asked for explicitly stays fixed.
    context["refresh"] = TV_REFRESH_SECONDS
    return render(request, "rhythm/kickoff_tv.html", context)


@_pages
def review(request: HttpRequest, unit_code: str) -> HttpResponse:
    context = _context(request, unit_code)
    context["review"] = review_for_unit(context["unit"], day=context["day"])
    context["margin"] = settings.RISK_BEHIND_MARGIN
    context["idle_days"] = settings.RISK_IDLE_WORKDAYS
    return render(request, "rhythm/review.html", context)


@_pages
def risks(request: HttpRequest, unit_code: str) -> HttpResponse:
    context = _context(request, unit_code)
    context["risks"] = risks_for_subtree(context["unit"], day=context["day"])
    context["metric"] = get_metric("revenue")
    context["margin"] = settings.RISK_BEHIND_MARGIN
    context["idle_days"] = settings.RISK_IDLE_WORKDAYS
    return render(request, "rhythm/risks.html", context)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The evening review of the viewer's own unit (the kickoff and risks link from it)."""
    from django.shortcuts import redirect

    from tiejun.org.selectors import default_unit

    unit = default_unit(request.user)  # type: ignore[arg-type]
    if unit is None:
        raise Http404(_("No such unit."))
    return redirect("rhythm:review", unit_code=unit.code)
