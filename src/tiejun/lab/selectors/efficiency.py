"""The efficiency report per sales model: effort, attributed revenue, yield (``tiejun lab``,
the lab page and its JSON contract)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import (
    Count,
)

from tiejun.crm.models import SalesChannel
from tiejun.org.models import Unit
from tiejun.org.selectors import subtree_ids

from ..models import Touch
from .columns import (
    DEFAULT_LOOKBACK_DAYS,
    attributed,
    check_args,
    from_cents,
    hourly_cost_default,
    months_between,
    to_money,
    touch_effort,
)


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
    check_args(start, end, attribution, lookback_days)
    hourly = hourly_cost_default() if hourly_cost is None else Decimal(hourly_cost)
    data = attributed(
        start=start, end=end, unit=unit, attribution=attribution, lookback_days=lookback_days
    )
    models = data.models
    n_models = len(models)
    index = {m.pk: i for i, m in enumerate(models)}
    months = months_between(start, end)
    month_pos = {m.strftime("%Y-%m"): i for i, m in enumerate(months)}

    touches = np.zeros(n_models, dtype=np.int64)
    hours = [Decimal(0)] * n_models
    cost = [Decimal(0)] * n_models
    month_hours = [[Decimal(0)] * len(months) for _i in range(n_models)]
    for row in touch_effort(start=start, end=end, unit=unit):
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
    # (no model at all: no key either; the modulus only must not be zero)
    customers_won = np.bincount(won_key % max(n_models, 1), minlength=n_models)
    first_month = (start.year - 1970) * 12 + start.month - 1
    share_month = data.deal_month[data.deal] - first_month
    month_revenue = np.zeros((n_models, len(months)))
    np.add.at(month_revenue, (data.model, share_month), data.share)
    cycle_ok = credited & data.touched

    rows = []
    for i, model in enumerate(models):
        revenue = from_cents(revenue_cents[i])
        h, direct = to_money(hours[i]), to_money(cost[i])
        full = to_money(direct + h * hourly)
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
                "revenue_per_hour": to_money(revenue / h) if h else None,
                "cost_per_customer": to_money(full / won) if won else None,
                "return_on_cost": round(float(revenue / full), 4) if full else None,
                "median_cycle_days": float(np.median(cycles)) if len(cycles) else None,
                "trend": [
                    {
                        "month": month,
                        "revenue": from_cents(month_revenue[i][j]),
                        "hours": to_money(month_hours[i][j]),
                        "revenue_per_hour": (
                            to_money(from_cents(month_revenue[i][j]) / month_hours[i][j])
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
