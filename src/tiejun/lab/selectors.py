"""Reads of the sales-model lab: the efficiency report per model and the monthly panel.

The heavy part is columnar: touch totals are aggregated in the database, and for attribution the
deals of the period and their customers' touches are read as plain integer columns (days as day
numbers, money in cents, through a bare cursor) and shared out by ``attribution.attribute`` with
numpy. The number of queries does not depend on the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    Func,
    OuterRef,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _

from tiejun.crm.models import Deal, SalesChannel
from tiejun.errors import TiejunError
from tiejun.org.models import Unit, UnitKind
from tiejun.org.selectors import subtree_ids
from tiejun.workdays import add_months, month_start

from .attribution import RULES, attribute
from .models import Attendee, Event, SalesModel, Touch

CENT = Decimal("0.01")
EPOCH = dt.date(1970, 1, 1)
DEFAULT_LOOKBACK_DAYS = 90
FALLBACK_MODEL = "other"


class EpochDay(Func):
    """A date column as whole days since 1970-01-01."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra
        )


class Cents(Func):
    """A money column in whole cents."""

    output_field = BigIntegerField()
    template = "CAST(ROUND(%(expressions)s * 100) AS BIGINT)"


class MonthKey(Func):
    """A date column as its month, ``YYYY-MM`` (no per-row Python function on SQLite)."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 7)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM')", **extra
        )


def _rows(qs: QuerySet) -> list[np.ndarray]:
    """The rows of an all-integer ``values_list`` queryset as int64 columns, read through a bare
    cursor: no model instances, no per-value converters, one flat array built in C."""
    sql, params = qs.query.sql_with_params()
    width = len(qs.query.values_select) + len(qs.query.annotation_select)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows) * width)
    table = flat.reshape(len(rows), width)
    return [table[:, i] for i in range(width)]


def _month(key: str) -> dt.date:
    return dt.date(int(key[:4]), int(key[5:7]), 1)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _cents(value: float) -> Decimal:
    return (Decimal(round(float(value))) * CENT).quantize(CENT)


def hourly_cost_default() -> Decimal:
    return Decimal(str(settings.LAB_HOURLY_COST))


@dataclass
class _Attributed:
    models: list[SalesModel]
    deal_customer: np.ndarray
    deal_unit: np.ndarray
    deal_month: np.ndarray  # months since 1970-01
    deal: np.ndarray  # per share row: index into the deal arrays
    model: np.ndarray  # per share row: index into ``models``
    share: np.ndarray  # per share row: cents (float)
    cycle_days: np.ndarray
    touched: np.ndarray


def _check_args(start: dt.date, end: dt.date, attribution: str, lookback_days: int) -> None:
    if start > end:
        raise TiejunError(_("the period ends before it starts"), field="to")
    if attribution not in RULES:
        raise TiejunError(
            _("unknown attribution %(rule)s; use one of %(choices)s")
            % {"rule": attribution, "choices": ", ".join(RULES)},
            field="attribution",
        )
    if not 0 <= lookback_days <= 3660:
        raise TiejunError(_("the look-back is 0 to 3660 days"), field="lookback_days")


def _attributed(
    *, start: dt.date, end: dt.date, unit: Unit | None, attribution: str, lookback_days: int
) -> _Attributed:
    """The deals won in [start, end] (of the unit's teams) shared among models: 3 queries."""
    models = list(SalesModel.objects.order_by("sort", "code"))
    index = {m.pk: i for i, m in enumerate(models)}
    by_code = {m.code: i for i, m in enumerate(models)}
    deals = Deal.objects.filter(won_date__gte=start, won_date__lte=end)
    if unit is not None:
        deals = deals.filter(unit_id__in=subtree_ids(unit))
    # Plain fields first, then expressions: the order the SQL selects them in. A deal's channel
    # comes back as the index of the model of the same code (unknown ones: ``other``).
    fallback = Case(
        *[When(channel=m.code, then=Value(i)) for i, m in enumerate(models)],
        default=Value(by_code.get(FALLBACK_MODEL, 0)),
        output_field=BigIntegerField(),
    )
    d_customer, d_unit, d_day, d_cents, d_fallback = _rows(
        deals.order_by().values_list(
            "customer_id", "unit_id", EpochDay("won_date"), Cents("amount"), fallback
        )
    )
    touches = Touch.objects.filter(
        customer_id__in=deals.order_by().values("customer_id"),
        date__gte=start - dt.timedelta(days=lookback_days),
        date__lte=end,
    )
    t_id, t_customer, t_model_id, t_day = _rows(
        touches.order_by().values_list("id", "customer_id", "model_id", EpochDay("date"))
    )
    model_lookup = np.zeros(max(index, default=0) + 1, dtype=np.int64)
    for pk, i in index.items():
        model_lookup[pk] = i
    shares = attribute(
        deal_customer=d_customer,
        deal_day=d_day,
        deal_amount=d_cents.astype(np.float64),
        deal_fallback=d_fallback,
        touch_id=t_id,
        touch_customer=t_customer,
        touch_day=t_day,
        touch_model=model_lookup[t_model_id],
        rule=attribution,
        lookback_days=lookback_days,
    )
    deal_month = d_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return _Attributed(
        models=models,
        deal_customer=d_customer,
        deal_unit=d_unit,
        deal_month=deal_month,
        deal=shares.deal,
        model=shares.model,
        share=shares.share,
        cycle_days=shares.cycle_days,
        touched=shares.touched,
    )


def _touch_effort(
    *, start: dt.date, end: dt.date, unit: Unit | None, by_unit: bool = False
) -> list[dict[str, Any]]:
    """Touches, rep-hours and direct cost per (month, model[, unit]) of touches dated in the
    period, plus the hours and cost of events nobody attended (spent all the same): 2 queries."""
    touches = Touch.objects.filter(date__gte=start, date__lte=end)
    events = Event.objects.filter(date__gte=start, date__lte=end).filter(
        ~Exists(Attendee.objects.filter(event=OuterRef("pk")))
    )
    if unit is not None:
        touches = touches.filter(unit_id__in=subtree_ids(unit))
        events = events.filter(unit_id__in=subtree_ids(unit))
    keys = ["month", "model_id", *(["unit_id"] if by_unit else [])]
    rows = list(
        touches.annotate(month=MonthKey("date"))
        .values(*keys)
        .annotate(touches=Count("id"), hours=Sum("hours"), cost=Sum("cost"))
        .order_by()
    )
    rows += [
        {**row, "touches": 0}
        for row in events.annotate(month=MonthKey("date"))
        .values(*keys)
        .annotate(hours=Sum("hours"), cost=Sum("cost"))
        .order_by()
    ]
    return rows


def efficiency_report(
    *,
    start: dt.date,
    end: dt.date,
    unit: Unit | None = None,
    attribution: str = "last_touch",
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    hourly_cost: Decimal | None = None,
) -> dict[str, Any]:
    """How each sales model performed in [start, end] for ``unit`` (default the whole company).

    Touches, rep-hours and costs are those dated in the period by people or units in the
    subtree; revenue is that of the deals won in the period by the subtree's teams, attributed
    to models by ``attribution`` over the customer's touches (any unit's) in the look-back.
    ``cost_per_customer`` is the full cost per won customer; ``median_cycle_days`` the median,
    over the deals credited to the model, of the days from the deal's first touch in its window
    to the win (deals that fell back to their channel have none). 6 queries, whatever the rows.
    """
    _check_args(start, end, attribution, lookback_days)
    hourly = hourly_cost_default() if hourly_cost is None else Decimal(hourly_cost)
    data = _attributed(
        start=start, end=end, unit=unit, attribution=attribution, lookback_days=lookback_days
    )
    models = data.models
    n_models = len(models)
    index = {m.pk: i for i, m in enumerate(models)}
    months = _months(start, end)
    month_pos = {m.strftime("%Y-%m"): i for i, m in enumerate(months)}

    touches = np.zeros(n_models, dtype=np.int64)
    hours = [Decimal(0)] * n_models
    cost = [Decimal(0)] * n_models
    month_hours = [[Decimal(0)] * len(months) for _i in range(n_models)]
    for row in _touch_effort(start=start, end=end, unit=unit):
        i = index[row["model_id"]]
        touches[i] += row["touches"]
        hours[i] += row["hours"] or 0
        cost[i] += row["cost"] or 0
        month_hours[i][month_pos[row["month"]]] += row["hours"] or 0
    customers_touched = np.zeros(n_models, dtype=np.int64)
    touched_qs = Touch.objects.filter(date__gte=start, date__lte=end)
    if unit is not None:
        touched_qs = touched_qs.filter(unit_id__in=subtree_ids(unit))
    for model_id, count in (
        touched_qs.values("model_id")
        .annotate(n=Count("customer_id", distinct=True))
        .values_list("model_id", "n")
        .order_by()
    ):
        customers_touched[index[model_id]] = count

    credited = data.share > 0
    revenue_cents = np.bincount(data.model, weights=data.share, minlength=n_models)
    won_key = np.unique(data.deal_customer[data.deal[credited]] * n_models + data.model[credited])
    customers_won = np.bincount(won_key % n_models, minlength=n_models)
    first_month = (start.year - 1970) * 12 + start.month - 1
    share_month = data.deal_month[data.deal] - first_month
    month_revenue = np.zeros((n_models, len(months)))
    np.add.at(month_revenue, (data.model, share_month), data.share)
    cycle_ok = credited & data.touched

    rows = []
    for i, model in enumerate(models):
        revenue = _cents(revenue_cents[i])
        h, direct = _money(hours[i]), _money(cost[i])
        full = _money(direct + h * hourly)
        won = int(customers_won[i])
        reached = int(customers_touched[i])
        cycles = data.cycle_days[cycle_ok & (data.model == i)]
        if not model.active and not (touches[i] or revenue or h or direct):
            continue
        rows.append(
            {
                "model": model.code,
                "name": model.name,
                "name_en": model.name_en,
                "one_to_many": model.one_to_many,
                "touches": int(touches[i]),
                "customers_touched": reached,
                "customers_won": won,
                "conversion": round(won / reached, 4) if reached else None,
                "revenue": revenue,
                "rep_hours": h,
                "direct_cost": direct,
                "full_cost": full,
                "revenue_per_hour": _money(revenue / h) if h else None,
                "cost_per_customer": _money(full / won) if won else None,
                "return_on_cost": round(float(revenue / full), 4) if full else None,
                "median_cycle_days": float(np.median(cycles)) if len(cycles) else None,
                "trend": [
                    {
                        "month": month,
                        "revenue": _cents(month_revenue[i][j]),
                        "hours": _money(month_hours[i][j]),
                        "revenue_per_hour": (
                            _money(_cents(month_revenue[i][j]) / month_hours[i][j])
                            if month_hours[i][j]
                            else None
                        ),
                    }
                    for j, month in enumerate(months)
                ],
            }
        )
    return {
        "from": start,
        "to": end,
        "unit": unit,
        "attribution": attribution,
        "lookback_days": lookback_days,
        "hourly_cost": hourly,
        "months": months,
        "rows": rows,
        "deals": len(data.deal_customer),
    }


CONTRACT_KEYS = (
    "model",
    "touches",
    "customers_touched",
    "customers_won",
    "revenue",
    "rep_hours",
    "direct_cost",
    "full_cost",
    "revenue_per_hour",
    "cost_per_customer",
    "conversion",
    "median_cycle_days",
)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def efficiency_json(report: dict[str, Any]) -> dict[str, Any]:
    """The contract JSON of ``tiejun lab efficiency --json``: money (and hours) as two-decimal
    strings, ratios rounded to 4 places, ``null`` where undefined."""
    unit = report["unit"]
    return {
        "from": report["from"].isoformat(),
        "to": report["to"].isoformat(),
        "unit": unit.code if unit is not None else None,
        "attribution": report["attribution"],
        "rows": [{key: _plain(row[key]) for key in CONTRACT_KEYS} for row in report["rows"]],
    }


def headline(report: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The model earning most per rep-hour, and the one it should be compared with: one-to-one
    visits when they are not the best, else the runner-up. None without two models to compare."""
    ranked = sorted(
        (r for r in report["rows"] if r["revenue_per_hour"] is not None),
        key=lambda r: r["revenue_per_hour"],
        reverse=True,
    )
    if len(ranked) < 2:
        return None
    best = ranked[0]
    other = next((r for r in ranked[1:] if r["model"] == SalesChannel.VISIT), ranked[1])
    return best, other


def _branch_codes() -> dict[int, str]:
    """Each unit's branch (a team's parent branch; a branch or anything above: itself): 1 query."""
    units = {u[0]: u for u in Unit.objects.values_list("id", "code", "kind", "parent_id")}
    out: dict[int, str] = {}
    for pk, (_pk, code, kind, _parent) in units.items():
        walk, chosen = units[pk], code
        if kind == UnitKind.TEAM:
            while walk[2] != UnitKind.BRANCH and walk[3] is not None:
                walk = units[walk[3]]
            chosen = walk[1] if walk[2] == UnitKind.BRANCH else code
        out[pk] = chosen
    return out


def model_monthly_panel(
    *,
    start: dt.date,
    end: dt.date,
    unit: Unit | None = None,
    attribution: str = "linear",
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> list[dict[str, Any]]:
    """Effort and attributed revenue per (branch, month, model): rows ``{unit_code, month,
    model, hours, cost, revenue}`` (Decimals; month the first day). Touches and events count for
    the branch of their unit, deals for the branch of their team. 6 queries."""
    _check_args(start, end, attribution, lookback_days)
    data = _attributed(
        start=start, end=end, unit=unit, attribution=attribution, lookback_days=lookback_days
    )
    branch_of = _branch_codes()
    codes = {m.pk: m.code for m in data.models}
    cells: dict[tuple[str, dt.date, str], dict[str, Any]] = defaultdict(
        lambda: {"hours": Decimal(0), "cost": Decimal(0), "revenue": Decimal(0)}
    )
    for row in _touch_effort(start=start, end=end, unit=unit, by_unit=True):
        if row["unit_id"] is None:
            continue
        cell = cells[(branch_of[row["unit_id"]], _month(row["month"]), codes[row["model_id"]])]
        cell["hours"] += row["hours"] or 0
        cell["cost"] += row["cost"] or 0
    if len(data.deal):
        unit_ids = np.unique(data.deal_unit)
        position = np.searchsorted(unit_ids, data.deal_unit[data.deal])
        n_months = int(data.deal_month.max()) + 1
        n_models = len(data.models)
        key = (position * n_months + data.deal_month[data.deal]) * n_models + data.model
        unique_key, inverse = np.unique(key, return_inverse=True)
        summed = np.bincount(inverse, weights=data.share)
        for k, cents in zip(unique_key.tolist(), summed.tolist(), strict=True):
            model_i = k % n_models
            month_i = (k // n_models) % n_months
            unit_id = int(unit_ids[k // n_models // n_months])
            month = dt.date(1970 + month_i // 12, month_i % 12 + 1, 1)
            cells[(branch_of[unit_id], month, data.models[model_i].code)]["revenue"] += _cents(
                cents
            )
    order = {m.code: i for i, m in enumerate(data.models)}
    return [
        {
            "unit_code": unit_code,
            "month": month,
            "model": model,
            "hours": _money(cell["hours"]),
            "cost": _money(cell["cost"]),
            "revenue": cell["revenue"],
        }
        for (unit_code, month, model), cell in sorted(
            cells.items(), key=lambda item: (item[0][0], item[0][1], order[item[0][2]])
        )
    ]
