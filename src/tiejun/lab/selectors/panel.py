"""The monthly panel: effort and attributed revenue per (branch, month, model), the planner's
input."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import numpy as np

from tiejun.org.models import Unit, UnitKind

from .columns import (
    DEFAULT_LOOKBACK_DAYS,
    attributed,
    check_args,
    from_cents,
    month_of,
    to_money,
    touch_effort,
)


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
    check_args(start, end, attribution, lookback_days)
    data = attributed(
        start=start, end=end, unit=unit, attribution=attribution, lookback_days=lookback_days
    )
    branch_of = _branch_codes()
    codes = {m.pk: m.code for m in data.models}
    cells: dict[tuple[str, dt.date, str], dict[str, Any]] = defaultdict(
        lambda: {"hours": Decimal(0), "cost": Decimal(0), "revenue": Decimal(0)}
    )
    for row in touch_effort(start=start, end=end, unit=unit, by_unit=True):
        if row["unit_id"] is None:
            continue
        cell = cells[(branch_of[row["unit_id"]], month_of(row["month"]), codes[row["model_id"]])]
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
            cells[(branch_of[unit_id], month, data.models[model_i].code)]["revenue"] += from_cents(
                cents
            )
    order = {m.code: i for i, m in enumerate(data.models)}
    return [
        {
            "unit_code": unit_code,
            "month": month,
            "model": model,
            "hours": to_money(cell["hours"]),
            "cost": to_money(cell["cost"]),
            "revenue": cell["revenue"],
        }
        for (unit_code, month, model), cell in sorted(
            cells.items(), key=lambda item: (item[0][0], item[0][1], order[item[0][2]])
        )
    ]
