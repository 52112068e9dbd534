"""TV mode: the boards of chosen units in large type, rotating, each panel fetched fresh."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tiejun.http import AuthedRequest
from tiejun.org.models import Person, Unit
from tiejun.org.selectors import default_unit, units_by_codes, visible_unit_ids

from ..selectors import board_for_unit, parse_board_args
from .board import metric_code

TV_MAX_ROWS = 15


def _tv_units(viewer: Person, codes: list[str]) -> list[Unit]:
    """The chosen units the viewer may see, in the order given; by default their own board
    and its children."""
    visible = visible_unit_ids(viewer)
    if codes:
        found = units_by_codes(codes)
        chosen = [found[c] for c in dict.fromkeys(codes) if c in found]
        return [u for u in chosen if u.pk in visible]
    root = default_unit(viewer)
    if root is None:
        return []
    children = Unit.objects.filter(parent=root, pk__in=visible).order_by("sort", "code")
    return [root, *children]


def _tv_args(request: HttpRequest) -> tuple[list[str], str, int]:
    codes = [c.strip() for c in request.GET.get("units", "").split(",") if c.strip()]
    code = metric_code(request)
    try:
        interval = int(request.GET.get("interval") or settings.TV_ROTATE_SECONDS)
    except ValueError:
        interval = settings.TV_ROTATE_SECONDS
    return codes, code, max(5, min(interval, 3600))


def _tv_panel_context(unit: Unit, units: list[Unit], code: str, interval: int) -> dict[str, Any]:
    month, as_of = parse_board_args(None, None)
    the_board = board_for_unit(unit, month=month, as_of=as_of, metric=code)
    codes = [u.code for u in units]
    position = codes.index(unit.code) if unit.code in codes else -1
    next_code = codes[(position + 1) % len(codes)] if codes else unit.code
    query = urlencode({"units": ",".join(codes), "metric": code, "interval": interval})
    return {
        "board": the_board,
        "pace": the_board.pace(the_board),
        "rows": [{"row": r, "pace": the_board.pace(r)} for r in the_board.rows[:TV_MAX_ROWS]],
        "more_rows": max(0, len(the_board.rows) - TV_MAX_ROWS),
        "next_url": reverse("scoreboard:tv_panel", args=[next_code]) + "?" + query,
        "interval": interval,
        "position": position + 1,
        "count": len(codes),
    }


@login_required
@require_GET
def tv(request: AuthedRequest) -> HttpResponse:
    codes, code, interval = _tv_args(request)
    units = _tv_units(request.user, codes)
    context: dict[str, Any] = {"units": units, "interval": interval, "metric_code": code}
    if units:
        context["panel"] = _tv_panel_context(units[0], units, code, interval)
    return render(request, "scoreboard/tv.html", context)


@login_required
@require_GET
def tv_panel(request: AuthedRequest, unit_code: str) -> HttpResponse:
    codes, code, interval = _tv_args(request)
    units = _tv_units(request.user, codes or [unit_code])
    unit = next((u for u in units if u.code == unit_code), None)
    if unit is None:
        raise Http404(unit_code)
    context = {"panel": _tv_panel_context(unit, units, code, interval)}
    return render(request, "scoreboard/_tv_panel.html", context)
