"""GET /api/v1/board/{unit_code}: the same JSON as ``tiejun board --json``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router

from tiejun.api_schemas import errors
from tiejun.dateinput import parse_day, parse_month
from tiejun.org.selectors import access_unit

from .selectors import board_for_unit, today

router = Router(tags=["board"])


def parse_board_args(month: str | None, as_of: str | None) -> tuple[dt.date, dt.date]:
    """Month and as-of day from their text; either may be left out (this month, today)."""
    as_of_day = parse_day(as_of, field="as_of")
    month_day = parse_month(month, field="month")
    if month_day is None:
        month_day = (as_of_day or today()).replace(day=1)
    if as_of_day is None:
        now = today()
        as_of_day = now if month_day <= now else month_day
        if as_of_day.replace(day=1) < month_day:
            as_of_day = month_day
    return month_day, as_of_day


@router.get(
    "/board/{unit_code}",
    response={200: dict[str, Any], **errors(400, 404)},
    summary="The board of a unit for a month as of a day",
)
def board(
    request: HttpRequest,
    unit_code: str,
    month: str | None = None,
    as_of: str | None = None,
    metric: str = "revenue",
) -> dict[str, Any]:
    unit = access_unit(request.user, unit_code)  # type: ignore[arg-type]
    month_day, as_of_day = parse_board_args(month, as_of)
    return board_for_unit(unit, month=month_day, as_of=as_of_day, metric=metric).to_json()
