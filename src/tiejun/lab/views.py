"""The sales-model lab's pages: efficiency (a thin view over ``efficiency_report``) and the mix
planner (current mix vs recommended, next quarter's inputs, what-if sliders)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from tiejun.crm.models import SalesChannel
from tiejun.dateinput import check_day
from tiejun.errors import NotFound, TiejunError
from tiejun.http import AuthedRequest
from tiejun.org.models import LEADER_ROLES, Person, Role, Unit
from tiejun.org.selectors import (
    access_unit,
    board_roots,
    default_unit,
    is_admin,
    membership_on,
    visible_unit_ids,
)
from tiejun.workdays import add_months, month_end, month_start

from .attribution import RULES
from .hooks import cost_panels
from .planner import parse_number, planner_for_unit
from .selectors.columns import DEFAULT_LOOKBACK_DAYS
from .selectors.efficiency import efficiency_report, headline

LAB_ROLES = LEADER_ROLES | {Role.COORDINATOR, Role.ADMIN}
# One colour per built-in model; models an admin adds take the spare ones in turn.
COLOURS: dict[str, str] = {
    SalesChannel.VISIT: "#c0392b",
    SalesChannel.SALON: "#2e86de",
    SalesChannel.ONLINE: "#16a085",
    SalesChannel.PARTNER: "#8e44ad",
    SalesChannel.COMMUNITY: "#d68910",
    SalesChannel.LIVESTREAM: "#e84393",
    SalesChannel.OTHER: "#7f8c8d",
}
SPARE_COLOURS = ("#34495e", "#27ae60", "#f39c12", "#2c3e50")
RULE_LABELS = {
    "last_touch": gettext_lazy("Last touch"),
    "first_touch": gettext_lazy("First touch"),
    "linear": gettext_lazy("Linear"),
    "position": gettext_lazy("Position-based 40/20/40"),
}
CHART_W, CHART_H, PAD_L, PAD_B, PAD_T = 640, 220, 56, 24, 12


def lab_unit(person: Person, code: str | None) -> Unit:
    """The unit whose lab ``person`` may open: managers, supervisors, coordinators and admin, for
    units whose board they may see; anyone else gets ``NotFound``, as for an unknown unit."""
    membership = membership_on(person, timezone.localdate()) if person.is_authenticated else None
    allowed = person.is_authenticated and (
        person.is_superuser or (membership is not None and membership.role in LAB_ROLES)
    )
    if not allowed:
        raise NotFound(_("the lab is for managers, coordinators and admins"))
    if not code:
        roots = board_roots(person)
        if not roots:
            raise NotFound(_("no unit to show"))
        return roots[0]
    return access_unit(person, code)


def _date(value: str | None, default: dt.date, field: str) -> dt.date:
    if not value:
        return default
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise TiejunError(
            _("%(value)s is not a date YYYY-MM-DD") % {"value": value}, field=field
        ) from None
    return check_day(day, field=field)


def _colour(code: str, i: int) -> str:
    return COLOURS.get(code) or SPARE_COLOURS[i % len(SPARE_COLOURS)]


def _bars(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    values = [r[key] for r in rows if r[key] is not None]
    top = max([Decimal(str(v)) for v in values], default=Decimal(0))
    return [
        {
            "row": r,
            "value": r[key],
            "width": (
                f"{max(0.0, float(Decimal(str(r[key])) / top)) * 100:.1f}%"
                if top > 0 and r[key] is not None
                else "0%"
            ),
        }
        for r in rows
    ]


def partial_months(months: list[dt.date], start: dt.date, end: dt.date) -> set[dt.date]:
    """The months the period covers only in part (it starts after the 1st or ends before the
    last day): their figures are not comparable with whole months."""
    return {m for m in months if start > m or end < month_end(m)}


def _trend_chart(
    report: dict[str, Any], colours: dict[str, str], partial: AbstractSet[dt.date] = frozenset()
) -> dict[str, Any]:
    """Revenue per rep-hour per month per model as SVG polylines (a month without hours breaks
    the line; a partial month is not plotted: a few days' figures would show as a spike)."""
    months = report["months"]

    def plotted(i: int, point: dict[str, Any]) -> Any:
        return None if months[i] in partial else point["revenue_per_hour"]

    series = [r for r in report["rows"] if any(plotted(i, p) for i, p in enumerate(r["trend"]))]
    top = max(
        (plotted(i, p) for r in series for i, p in enumerate(r["trend"]) if plotted(i, p)),
        default=Decimal(0),
    )
    plot_w, plot_h = CHART_W - PAD_L - 8, CHART_H - PAD_B - PAD_T
    step = plot_w / max(len(months) - 1, 1)

    def x(i: int) -> float:
        return round(PAD_L + i * step, 1)

    def y(value: Decimal) -> float:
        return round(PAD_T + plot_h - (float(value / top) * plot_h if top else 0), 1)

    lines = []
    for r in series:
        segments: list[list[str]] = [[]]
        for i, point in enumerate(r["trend"]):
            if plotted(i, point) is None:
                segments.append([])
            else:
                segments[-1].append(f"{x(i)},{y(point['revenue_per_hour'])}")
        lines.append(
            {
                "model": r["model"],
                "name": r["name"],
                "colour": colours[r["model"]],
                "segments": [" ".join(s) for s in segments if s],
                "dots": [
                    {"x": x(i), "y": y(p["revenue_per_hour"]), "month": p["month"], "value": p}
                    for i, p in enumerate(r["trend"])
                    if plotted(i, p) is not None
                ],
            }
        )
    every = max(1, len(months) // 8)
    return {
        "width": CHART_W,
        "height": CHART_H,
        "left": PAD_L,
        "bottom": CHART_H - PAD_B,
        "right": CHART_W - 8,
        "lines": lines,
        "labels": [
            {"x": x(i), "text": f"{m:%Y-%m}" + ("*" if m in partial else "")}
            for i, m in enumerate(months)
            if i % every == 0 or m in partial
        ],
        "ticks": [{"y": y(top * k / 4), "value": top * k / 4} for k in range(5) if top],
    }


@login_required
@require_GET
def efficiency(request: AuthedRequest) -> HttpResponse:
    person = request.user
    unit = lab_unit(person, request.GET.get("unit"))
    today = timezone.localdate()
    end = _date(request.GET.get("to"), today, "to")
    start = _date(request.GET.get("from"), add_months(month_start(end), -11), "from")
    attribution = request.GET.get("attribution") or "last_touch"
    try:
        lookback = int(request.GET.get("lookback_days") or DEFAULT_LOOKBACK_DAYS)
    except ValueError:
        raise TiejunError(
            _("the look-back is a whole number of days"), field="lookback_days"
        ) from None
    report = efficiency_report(
        start=start, end=end, unit=unit, attribution=attribution, lookback_days=lookback
    )
    rows = report["rows"]
    partial = partial_months(report["months"], start, end)
    colours = {r["model"]: _colour(r["model"], i) for i, r in enumerate(rows)}
    for r in rows:
        r["colour"] = colours[r["model"]]
    planner_url = reverse("lab:planner") + "?" + urlencode({"unit": unit.code})
    units = Unit.objects.filter(pk__in=visible_unit_ids(person)).exclude(kind="team")
    context = {
        "report": report,
        "unit": unit,
        "rows": rows,
        "active_rows": [r for r in rows if r["touches"] or r["revenue"] or r["rep_hours"]],
        "headline": headline(report),
        "rph_bars": _bars(rows, "revenue_per_hour"),
        "roc_bars": _bars(rows, "return_on_cost"),
        "chart": _trend_chart(report, colours, partial),
        "partial": partial,
        "rule_label": RULE_LABELS.get(report["attribution"], report["attribution"]),
        "rules": [(code, RULE_LABELS.get(code, code)) for code in RULES],
        "units": units.order_by("sort", "code") if person.is_authenticated else [],
        "planner_url": planner_url,
        "start": start,
        "end": end,
    }
    return render(request, "lab/efficiency.html", context)


# --- the mix planner ---------------------------------------------------------------------------


def _may_plan(person: Person) -> bool:
    """Managers and admin plan the mix (for the units they may see)."""
    if is_admin(person):
        return True
    membership = membership_on(person, timezone.localdate())
    return membership is not None and membership.role in (Role.MANAGER, Role.COORDINATOR)


@login_required
@require_GET
def planner(request: AuthedRequest) -> HttpResponse:
    person = request.user
    if not _may_plan(person):
        raise Http404("no planner for this user")
    code = str(request.GET.get("unit") or getattr(default_unit(person), "code", ""))
    unit = access_unit(person, code)
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for key in request.GET:
        if key.startswith(("min_", "max_")):
            model = key[4:]
            low, high = bounds.get(model, (None, None))
            value = parse_number(request.GET.get(key))
            bounds[model] = (value, high) if key.startswith("min_") else (low, value)
    result = planner_for_unit(
        unit,
        today=timezone.localdate(),
        total_hours=parse_number(request.GET.get("hours")),
        budget=parse_number(request.GET.get("budget")),
        bounds=bounds,
    )
    current = {r.code: r.current_hours for r in result.fitted_rows}
    slider_max = max([result.total_hours, *current.values(), 1.0])
    # The incentive cost of the mixes, from the apps above the lab (incentives registers one).
    cost_html = (
        [
            panel(
                unit=unit,
                current={r.code: r.current_revenue for r in result.fitted_rows},
                recommended={r.code: r.recommended_revenue for r in result.fitted_rows},
                names={r.code: r.name for r in result.fitted_rows},
                params=request.GET,
                today=timezone.localdate(),
            )
            for panel in cost_panels()
        ]
        if result.plan is not None
        else []
    )
    context = {
        "unit": unit,
        "result": result,
        "plan": result.plan,
        "slider_max": round(slider_max),
        "cost_panels": cost_html,  # rendered templates (safe strings)
        "curves": {
            "cells": result.cells,
            "curves": result.curves,
            "current": current,
            "recommended": {r.code: r.recommended_hours for r in result.fitted_rows},
        },
        # The efficiency page over the planner's "now" with its rule: the same per-hour figures.
        "efficiency_same_window": reverse("lab:efficiency")
        + "?"
        + urlencode(
            {
                "unit": unit.code,
                "from": result.quarter_from.isoformat(),
                "to": result.current_to.isoformat(),
                "attribution": "linear",
            }
        ),
    }
    return render(request, "lab/planner.html", context)
