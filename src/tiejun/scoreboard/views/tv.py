"""TV mode: the boards of chosen units in large type, rotating page by page, each panel fetched
fresh; a win flash when a deal lands in the units on screen. A screen is chosen by URL
(``/tv/?units=HZ1,HZ2``) or saved in the app and opened by its code (``/tv/s/K7Q2/``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Person, Unit
from tiejun.org.selectors import default_unit, units_by_codes, visible_unit_ids

from ..models import PANEL_CHOICES, SavedScreen
from ..screens import (
    normalise_code,
    panel_kinds,
    panel_renderer,
    parse_cursor,
    screen_by_code,
    screen_units,
    wins_since,
)
from ..selectors import board_for_unit, parse_board_args
from .board import metric_code

# Rows on one page: at 16:9 (1920×1080, 1366×768) this many rows, the figures above them and the
# footer fit the screen; a longer list turns the page (pages balanced: 13 reps → 7 + 6).
TV_ROWS_PER_PAGE = 8
PANEL_TITLES = dict(PANEL_CHOICES)


@dataclass
class Rotation:
    """What a screen rotates through: units × panels, each in pages of rows."""

    units: list[Unit]
    metric: str
    interval: int
    panels: list[str] = field(default_factory=lambda: ["board"])
    screen: SavedScreen | None = None
    sound: bool = False

    @property
    def codes(self) -> list[str]:
        return [u.code for u in self.units]

    def steps(self) -> list[tuple[str, str]]:
        return [(u.code, p) for u in self.units for p in self.panels]

    def query(self, *, panel: str = "board", page: int = 1) -> str:
        params: dict[str, Any]
        if self.screen is not None:
            params = {"screen": self.screen.code}
        else:
            params = {"units": ",".join(self.codes), "metric": self.metric}
            params["interval"] = self.interval
            if self.panels != ["board"]:
                params["panels"] = ",".join(self.panels)
        if panel != "board":
            params["panel"] = panel
        if page > 1:
            params["page"] = page
        return urlencode(params)

    def panel_url(self, unit_code: str, *, panel: str = "board", page: int = 1) -> str:
        return (
            reverse("scoreboard:tv_panel", args=[unit_code])
            + "?"
            + self.query(panel=panel, page=page)
        )

    def wins_url(self) -> str:
        params = (
            {"screen": self.screen.code}
            if self.screen is not None
            else {"units": ",".join(self.codes)}
        )
        return reverse("scoreboard:tv_wins") + "?" + urlencode(params)


def pages_of(count: int, per_page: int = TV_ROWS_PER_PAGE) -> list[slice]:
    """Balanced pages: as few as fit ``per_page`` rows, the rows shared out evenly."""
    if count <= per_page:
        return [slice(0, count)]
    pages = math.ceil(count / per_page)
    size = math.ceil(count / pages)
    return [slice(i, min(i + size, count)) for i in range(0, count, size)]


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


def _interval(request: HttpRequest) -> int:
    try:
        interval = int(request.GET.get("interval") or settings.TV_ROTATE_SECONDS)
    except ValueError:
        interval = settings.TV_ROTATE_SECONDS
    return max(5, min(interval, 3600))


def _rotation(
    request: AuthedRequest, default_codes: list[str] | None = None, screen_code: str = ""
) -> Rotation:
    """The screen the request asks for: a saved one (``screen=CODE``) or one in the URL."""
    code = screen_code or request.GET.get("screen", "").strip()
    sound = request.GET.get("sound") == "1"
    if code:
        screen = screen_by_code(code)
        visible = visible_unit_ids(request.user)
        units = [u for u in screen_units(screen) if u.pk in visible]
        panels = [p for p in screen.panels if p in panel_kinds()] or ["board"]
        return Rotation(units, screen.metric, screen.seconds, panels, screen, sound or screen.sound)
    codes = [c.strip() for c in request.GET.get("units", "").split(",") if c.strip()]
    units = _tv_units(request.user, codes or default_codes or [])
    asked = {p.strip() for p in request.GET.get("panels", "").split(",")}
    panels = [p for p in panel_kinds() if p in asked] or ["board"]
    return Rotation(units, metric_code(request), _interval(request), panels, sound=sound)


def _seconds(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(int(request.GET.get(name) or default), high))
    except ValueError:
        return default


def _page(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


def _next(rotation: Rotation, unit: Unit, panel: str, page: int, pages: int) -> str:
    if page < pages:
        return rotation.panel_url(unit.code, panel=panel, page=page + 1)
    steps = rotation.steps()
    here = steps.index((unit.code, panel)) if (unit.code, panel) in steps else -1
    code, kind = steps[(here + 1) % len(steps)] if steps else (unit.code, panel)
    return rotation.panel_url(code, panel=kind)


def _board_panel(unit: Unit, metric: str) -> tuple[str, dict[str, Any], list[Any]]:
    month, as_of = parse_board_args(None, None)
    the_board = board_for_unit(unit, month=month, as_of=as_of, metric=metric)
    rows = [{"row": r, "pace": the_board.pace(r)} for r in the_board.rows]
    context = {
        "board": the_board,
        "pace": the_board.pace(the_board),
        "month": the_board.month,
        "as_of": the_board.as_of,
    }
    return "scoreboard/_tv_board.html", context, rows


def _tv_panel_context(
    unit: Unit, rotation: Rotation, *, panel: str = "board", page: int = 1
) -> dict[str, Any]:
    if panel == "board":
        template, context, rows = _board_panel(unit, rotation.metric)
    else:
        renderer = panel_renderer(panel)
        if renderer is None:
            raise Http404(panel)
        template, context, rows = renderer(unit, timezone.localdate(), rotation.metric)
    slices = pages_of(len(rows))
    page = min(page, len(slices))
    codes = rotation.codes
    position = codes.index(unit.code) if unit.code in codes else -1
    return {
        **context,
        "unit": unit,
        "kind": panel,
        "title": PANEL_TITLES.get(panel, ""),
        "metric": get_metric(rotation.metric),
        "template": template,
        "rows": rows[slices[page - 1]],
        "first_rank": slices[page - 1].start + 1,
        "page": page,
        "pages": len(slices),
        "page_range": range(1, len(slices) + 1),
        "next_url": _next(rotation, unit, panel, page, len(slices)),
        "interval": rotation.interval,
        "position": position + 1,
        "count": len(codes),
        "data_as_of": timezone.localtime(),
    }


def _screen_context(request: AuthedRequest, rotation: Rotation) -> dict[str, Any]:
    context: dict[str, Any] = {
        "units": rotation.units,
        "interval": rotation.interval,
        "metric_code": rotation.metric,
        "screen": rotation.screen,
        "time_zone": settings.TIME_ZONE,
        "wins_url": rotation.wins_url(),
        "sound": rotation.sound,
        "poll": _seconds(request, "poll", 10, 2, 120),
    }
    if rotation.units:
        context["panel"] = _tv_panel_context(rotation.units[0], rotation, panel=rotation.panels[0])
    return context


@login_required
@require_GET
def tv(request: AuthedRequest) -> HttpResponse:
    rotation = _rotation(request)
    return render(request, "scoreboard/tv.html", _screen_context(request, rotation))


@login_required
@require_GET
def tv_screen(request: AuthedRequest, code: str) -> HttpResponse:
    """A saved screen opened by its code: ``/tv/s/K7Q2/`` (any case, spaces ignored)."""
    if code != normalise_code(code):
        return redirect("scoreboard:tv_screen", code=normalise_code(code))
    rotation = _rotation(request, screen_code=code)
    return render(request, "scoreboard/tv.html", _screen_context(request, rotation))


@login_required
@require_GET
def tv_open(request: AuthedRequest) -> HttpResponse:
    """Type a screen's code on the TV: ``/tv/s/?code=k7q2`` opens ``/tv/s/K7Q2/``."""
    code = normalise_code(request.GET.get("code", ""))
    error = None
    if code:
        if SavedScreen.objects.filter(code=code).exists():
            return redirect("scoreboard:tv_screen", code=code)
        error = _("No screen has the code %(code)s.") % {"code": code}
    return render(
        request,
        "scoreboard/tv_open.html",
        {"code": code, "error": error},
        status=404 if error else 200,
    )


@login_required
@require_GET
def tv_panel(request: AuthedRequest, unit_code: str) -> HttpResponse:
    rotation = _rotation(request, [unit_code])
    unit = next((u for u in rotation.units if u.code == unit_code), None)
    panel = request.GET.get("panel") or "board"
    if unit is None or panel not in panel_kinds():
        raise Http404(unit_code)
    context = {"panel": _tv_panel_context(unit, rotation, panel=panel, page=_page(request))}
    return render(request, "scoreboard/_tv_panel.html", context)


@never_cache
@login_required
@require_GET
def tv_wins(request: AuthedRequest) -> JsonResponse:
    """The deals that landed in the screen's units since the cursor (``after``), as the viewer
    may see them: ``{"cursor": "…", "wins": […], "more": 0}``. Without ``after`` it only tells
    the cursor, so opening a screen flashes nothing old."""
    try:
        after = parse_cursor(request.GET.get("after"))
    except TiejunError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    rotation = _rotation(request)
    feed = wins_since(request.user, rotation.units, after, today=timezone.localdate())
    return JsonResponse(feed.to_json())
