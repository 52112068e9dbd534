"""The board of a unit, and its XLSX export: thin views over ``board_for_unit``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from tiejun.http import AuthedRequest
from tiejun.metrics import metric as get_metric
from tiejun.org.selectors import access_unit, visible_ancestors
from tiejun.workdays import add_months

from ..columns import board_columns
from ..exports import board_xlsx
from ..selectors import board_for_unit, parse_board_args

BOARD_METRICS = ("revenue", "new_customers", "visits")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def metric_code(request: HttpRequest) -> str:
    """The metric the query string asks for (revenue by default); an unknown one is a user
    error."""
    code = request.GET.get("metric") or "revenue"
    get_metric(code)
    return code


def kept_args(request: HttpRequest, **changes: str | None) -> str:
    """The board's query string (month, as_of, metric) with ``changes``; ``None`` drops one."""
    args = {k: request.GET[k] for k in ("month", "as_of", "metric") if request.GET.get(k)}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return "?" + urlencode(args) if args else ""


@login_required
@require_GET
def board(request: AuthedRequest, unit_code: str) -> HttpResponse:
    unit = access_unit(request.user, unit_code)
    month, as_of = parse_board_args(request.GET.get("month"), request.GET.get("as_of"))
    code = metric_code(request)
    the_board = board_for_unit(unit, month=month, as_of=as_of, metric=code)
    columns = board_columns(the_board)
    rows = [
        {
            "row": row,
            "pace": the_board.pace(row),
            "url": (
                reverse("scoreboard:board", args=[row.code]) + kept_args(request)
                if row.kind == "unit"
                else reverse("scoreboard:person", args=[row.code]) + kept_args(request, metric=None)
            ),
            "extra": [column.cells.get(row.code) for column in columns],
        }
        for row in the_board.rows
    ]
    context = {
        "board": the_board,
        "unit": unit,
        "pace": the_board.pace(the_board),
        "rows": rows,
        "extra_columns": columns,
        "has_people": any(r.kind == "person" for r in the_board.rows),
        "has_former": any(not r.current for r in the_board.rows),
        "breadcrumb": visible_ancestors(request.user, unit)[:-1],
        "metrics": [get_metric(c) for c in BOARD_METRICS],
        "metric_links": {c: kept_args(request, metric=c) for c in BOARD_METRICS},
        "prev_month": kept_args(request, month=f"{add_months(month, -1):%Y-%m}", as_of=None),
        "next_month": kept_args(request, month=f"{add_months(month, 1):%Y-%m}", as_of=None),
        "query": kept_args(request),
        "tv_query": urlencode({"units": unit.code, "metric": code}),
        "month_value": f"{month:%Y-%m}",
        "is_today": as_of == timezone.localdate(),
    }
    return render(request, "scoreboard/board.html", context)


@login_required
@require_GET
def board_export(request: AuthedRequest, unit_code: str) -> HttpResponse:
    unit = access_unit(request.user, unit_code)
    month, as_of = parse_board_args(request.GET.get("month"), request.GET.get("as_of"))
    the_board = board_for_unit(unit, month=month, as_of=as_of, metric=metric_code(request))
    response = HttpResponse(board_xlsx(the_board), content_type=XLSX)
    filename = f"board-{unit.code}-{month:%Y-%m}-{the_board.metric.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
