"""The kickoff and the evening review as panels of a wall screen
(``scoreboard.screens.register_panel``): large type, the rows paged by the screen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tiejun.org.models import Unit, UnitKind
from tiejun.scoreboard.screens import register_panel

from .selectors.kickoff import kickoff_for_unit
from .selectors.review import review_for_unit


def kickoff_panel(unit: Unit, day: dt.date, metric: str) -> tuple[str, dict[str, Any], list[Any]]:
    kickoff = kickoff_for_unit(unit, day=day, metric=metric)
    if unit.kind == UnitKind.TEAM or not kickoff.children:
        rows = [r for group in kickoff.groups for r in group.reps]
    else:
        rows = kickoff.children
    context = {"kickoff": kickoff, "month": kickoff.month, "as_of": day}
    return "rhythm/_tv_kickoff.html", context, rows


def review_panel(unit: Unit, day: dt.date, metric: str) -> tuple[str, dict[str, Any], list[Any]]:
    review = review_for_unit(unit, day=day, metric=metric)
    rows = review.rows or review.children
    context = {
        "review": review,
        "month": review.month,
        "as_of": day,
        "risks": review.risks[:3],
        "risk_count": len(review.risks),
    }
    return "rhythm/_tv_review.html", context, rows


def register() -> None:
    register_panel("kickoff", kickoff_panel)
    register_panel("review", review_panel)
