"""The mix planner on real data: read the (unit × month × model) panel, fit, plan the next quarter.

The maths is in ``tiejun.labmath``; this module only turns the database into its plain inputs and
its outputs into what the planner page shows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from tiejun import labmath
from tiejun.org.models import Unit
from tiejun.workdays import add_months, month_start

from .models import SalesModel
from .selectors.panel import model_monthly_panel

HISTORY_MONTHS = 24
QUARTER = 3
DRAWS = 200
# A rep's time in a quarter, to speak of hours as people: 8 hours × about 63 working days.
REP_HOURS_PER_QUARTER = 8 * 63


def _panel(*, start: dt.date, end: dt.date, unit: Unit) -> list[dict[str, Any]]:
    """The (branch × month × model) panel of the lab core, linear attribution."""
    return list(model_monthly_panel(start=start, end=end, unit=unit, attribution="linear"))


@dataclass
class ModelRow:
    code: str
    name: str
    fitted: bool
    cells: int = 0
    b: float | None = None
    cost_per_hour: float = 0.0
    current_hours: float = 0.0
    current_cost: float = 0.0
    current_revenue: float = 0.0
    recommended_hours: float = 0.0
    recommended_cost: float = 0.0
    recommended_revenue: float = 0.0
    revenue_per_hour: labmath.Interval | None = None
    marginal_now: labmath.Interval | None = None
    marginal_recommended: labmath.Interval | None = None
    low: float | None = None
    high: float | None = None
    default_cap: bool = False  # ``high`` is the planner's own cap, not one the user gave

    @property
    def shift(self) -> float:
        return self.recommended_hours - self.current_hours

    @property
    def at_cap(self) -> bool:
        """The recommendation stops at the model's maximum, not where the curve would have it."""
        if not self.fitted or self.high is None or self.high <= 0:
            return False
        return self.recommended_hours >= self.high - max(1.0, self.high * 0.005)


@dataclass
class PlannerResult:
    unit: Unit
    history_from: dt.date
    history_to: dt.date
    quarter_from: dt.date  # the last complete quarter: the "current mix"
    cells: int
    rows: list[ModelRow]
    plan: labmath.Plan | None
    total_hours: float
    budget: float
    explanation: dict[str, Any] | None
    curves: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def fitted_rows(self) -> list[ModelRow]:
        return [r for r in self.rows if r.fitted]

    @property
    def capped_rows(self) -> list[ModelRow]:
        return [r for r in self.rows if r.at_cap]

    @property
    def reps(self) -> float:
        """Next quarter's hours as reps' time."""
        return self.total_hours / REP_HOURS_PER_QUARTER

    @property
    def current_to(self) -> dt.date:
        """The last day of the quarter the current mix is taken from."""
        return add_months(self.quarter_from, QUARTER) - dt.timedelta(days=1)


TRUST_GROWTH = 3.0
UNTRIED_SHARE = 0.05


def planner_for_unit(
    unit: Unit,
    *,
    today: dt.date,
    total_hours: float | None = None,
    budget: float | None = None,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    seed: int = 0,
    draws: int = DRAWS,
) -> PlannerResult:
    """Fit the unit's last two years and plan its next quarter (hours and budget default to the
    last complete quarter's)."""
    this_month = month_start(today)
    history_from = add_months(this_month, -HISTORY_MONTHS)
    history_to = this_month - dt.timedelta(days=1)
    quarter_from = add_months(this_month, -QUARTER)
    panel = _panel(start=history_from, end=history_to, unit=unit)

    observations = [
        labmath.Observation(
            str(r["model"]),
            float(r["hours"] or 0),
            float(r["cost"] or 0),
            float(r["revenue"] or 0),
            str(r["unit_code"]),
        )
        for r in panel
    ]
    fits = labmath.fit_all(observations, draws=draws, seed=seed)

    current_hours: dict[str, float] = defaultdict(float)
    current_cost: dict[str, float] = defaultdict(float)
    cells: set[tuple[str, dt.date]] = set()
    for r in panel:
        month = r["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        if month >= quarter_from and float(r["hours"] or 0) > 0:
            current_hours[r["model"]] += float(r["hours"])
            current_cost[r["model"]] += float(r["cost"] or 0)
            cells.add((r["unit_code"], month))
    n_cells = max(len(cells), 1)

    fitted_current = {m: current_hours.get(m, 0.0) for m in fits}
    hours = float(total_hours) if total_hours is not None else sum(fitted_current.values())
    money = (
        float(budget)
        if budget is not None
        else sum(fitted_current[m] * fits[m].cost_per_hour for m in fits)
    )
    # A fitted curve says little far beyond the effort it was fitted on, so unless the user gives
    # bounds a model may grow to at most TRUST_GROWTH times its share of the hours now (scaled to
    # next quarter's total), or a small share of the total for a model barely tried.
    scale = hours / max(sum(fitted_current.values()), 1e-9)
    clean_bounds = {
        m: (0.0, max(fitted_current[m] * scale * TRUST_GROWTH, hours * UNTRIED_SHARE)) for m in fits
    }
    clean_bounds.update(
        {
            m: (float(lo or 0.0), float(hi if hi is not None else hours))
            for m, (lo, hi) in (bounds or {}).items()
            if m in fits
        }
    )
    the_plan = (
        labmath.plan(
            fits,
            current_hours=fitted_current,
            cells=n_cells,
            total_hours=hours,
            budget=money,
            bounds=clean_bounds,
        )
        if fits and hours > 0
        else None
    )

    rows: list[ModelRow] = []
    codes = set(current_hours) | set(fits)
    for sm in SalesModel.objects.filter(code__in=codes).order_by("sort", "code"):
        fit = fits.get(sm.code)
        row = ModelRow(code=sm.code, name=sm.name, fitted=fit is not None)
        row.current_hours = current_hours.get(sm.code, 0.0)
        row.current_cost = current_cost.get(sm.code, 0.0)
        if fit is not None and the_plan is not None:
            row.cells = fit.cells
            row.b = fit.curve.b
            row.cost_per_hour = fit.cost_per_hour
            row.current_revenue = the_plan.current.revenue[sm.code]
            row.recommended_hours = the_plan.recommended.hours[sm.code]
            row.recommended_cost = the_plan.recommended.cost[sm.code]
            row.recommended_revenue = the_plan.recommended.revenue[sm.code]
            row.revenue_per_hour = the_plan.current.revenue_per_hour.get(sm.code)
            row.marginal_now = the_plan.current.marginal_per_hour[sm.code]
            row.marginal_recommended = the_plan.recommended.marginal_per_hour[sm.code]
            row.low, row.high = clean_bounds.get(sm.code, (None, None))
            row.default_cap = sm.code not in (bounds or {})
        rows.append(row)

    curves = {
        m: {"scale": f.curve.scale, "b": f.curve.b, "cost_per_hour": f.cost_per_hour}
        for m, f in fits.items()
    }
    return PlannerResult(
        unit=unit,
        history_from=history_from,
        history_to=history_to,
        quarter_from=quarter_from,
        cells=n_cells,
        rows=rows,
        plan=the_plan,
        total_hours=hours,
        budget=money,
        explanation=_explain(fits, the_plan, n_cells, {r.code: r.name for r in rows}),
        curves=curves,
    )


def _explain(
    fits: Mapping[str, labmath.ModelFit],
    the_plan: labmath.Plan | None,
    cells: int,
    names: Mapping[str, str],
) -> dict[str, Any] | None:
    """The largest single shift of the plan and what it alone is expected to add."""
    if the_plan is None:
        return None
    move = labmath.biggest_move(the_plan.current.hours, the_plan.recommended.hours)
    if move is None or move[2] < 1:
        return None
    source, target, hours = move
    before = {m: the_plan.current.hours[m] for m in fits}
    after = dict(before)
    after[source] -= hours
    after[target] += hours

    def total(mix: Mapping[str, float]) -> float:
        return float(sum(cells * np.asarray(fits[m].curve.revenue(mix[m] / cells)) for m in fits))

    gain = total(after) - total(before)
    if gain <= 0:  # the plan's gain comes from several small moves together, none alone
        return None
    low, high = _gain_range(fits, (source, target), before, after, cells)
    return {
        "source": names.get(source, source),
        "target": names.get(target, target),
        "hours": round(hours),
        "reps": round(hours / REP_HOURS_PER_QUARTER, 1),
        "gain": Decimal(str(round(gain))),
        "low": Decimal(str(round(low))) if low is not None else None,
        "high": Decimal(str(round(high))) if high is not None else None,
    }


def _gain_range(
    fits: Mapping[str, labmath.ModelFit],
    moved: tuple[str, str],
    before: Mapping[str, float],
    after: Mapping[str, float],
    cells: int,
) -> tuple[float | None, float | None]:
    """The 5th and 95th percentiles of the move's gain over the curves' refits."""
    n = min(len(fits[m].draws) for m in moved)
    if n < 10:
        return None, None
    gains = [
        sum(
            cells * float(fits[m].draws[i].revenue(after[m] / cells))
            - cells * float(fits[m].draws[i].revenue(before[m] / cells))
            for m in moved
        )
        for i in range(n)
    ]
    return float(np.percentile(gains, 5)), float(np.percentile(gains, 95))


def parse_number(text: str | None) -> float | None:
    """A non-negative number from a form field, or None when empty or invalid."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if value >= 0 and np.isfinite(value) else None
