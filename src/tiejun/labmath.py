"""The maths of the sales-model lab: response curves, their uncertainty, and the mix optimiser.

Pure: plain numbers in, plain numbers out, numpy and SciPy only (no Django), so it can be tested,
validated on synthetic companies and benchmarked alone.

**The response curve.** For each sales model ``m`` the revenue of one cell (a unit in a month)
responds to the rep-hours spent on that model in the cell as a power law

    E[revenue] = p · a · hours^b          with 0 < b < 1,

fitted by least squares on ``log revenue = log a + b · log hours`` over the cells where the model
earned revenue (``p`` is the share of cells with revenue, a hurdle for the months a model won
nothing). Why this form and not a saturating ``a · (1 − exp(−h/k))``:

* constant elasticity ``b`` is the usual shape of sales-response data (each doubling of effort
  adds the same percentage of revenue), and ``b < 1`` is exactly "diminishing returns";
* in log space it is a linear regression: closed form, no starting values, no local minima, so
  hundreds of bootstrap refits cost milliseconds;
* sales noise is multiplicative (a big team's month swings by more yuan than a small one's), which
  a log-space fit treats right; Duan's smearing factor ``mean(exp(residual))`` turns the fit of
  the log back into an expected revenue;
* with ``a > 0`` and ``0 < b < 1`` the total ``Σ f_m(h_m)`` is concave, so maximising it under
  linear constraints has one optimum, which SLSQP finds from any feasible start.

When the cells name their unit, the slope is estimated *within* units (unit fixed effects): a
branch twice the size spends twice the hours and earns twice the revenue, which pooled across
units would look like constant returns; a unit's own months tell the true curvature. The level
``a`` is then the average unit's.

A fitted slope outside (0, 1) (too little spread in the data) is clipped to [0.05, 0.95] and the
fit says so (``clipped``).

**Uncertainty.** A non-parametric bootstrap: resample the cells of each model with replacement,
refit, and read percentile intervals off the draws, for every curve and every derived quantity
(expected revenue of a mix, revenue per hour, marginal revenue per hour).

**The plan.** Hours are totals for a period of ``cells`` unit-months (e.g. 5 teams × 3 months);
a model given ``h`` hours is assumed spread evenly, so its expected revenue is
``cells · f(h / cells)``. Maximise ``Σ_m cells · f_m(h_m / cells)`` subject to ``Σ h_m ≤ H``,
``Σ cost_m · h_m ≤ B`` (direct cost per hour of each model, from the data) and per-model bounds,
with ``scipy.optimize.minimize(method="SLSQP")`` started from the current mix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

B_MIN, B_MAX = 0.05, 0.95
MIN_CELLS = 6  # fewer cells with revenue than this: no curve for the model
DEFAULT_DRAWS = 300


@dataclass(frozen=True)
class Observation:
    """One cell: a model's rep-hours, direct cost and revenue in one unit-month."""

    model: str
    hours: float
    cost: float
    revenue: float
    unit: str = ""


@dataclass(frozen=True)
class Curve:
    """``E[revenue] = scale · hours^b`` for one cell (``scale`` = p · a · smearing)."""

    scale: float
    b: float

    def revenue(self, hours: np.ndarray | float) -> np.ndarray | float:
        return self.scale * np.power(np.maximum(hours, 0.0), self.b)

    def marginal(self, hours: float) -> float:
        """Revenue of one more hour at ``hours`` (per cell)."""
        return float(self.scale * self.b * max(hours, 1e-9) ** (self.b - 1))


@dataclass
class ModelFit:
    model: str
    curve: Curve
    cells: int  # cells with hours
    cells_with_revenue: int
    cost_per_hour: float
    clipped: bool
    draws: list[Curve] = field(default_factory=list)  # bootstrap refits


@dataclass
class Interval:
    mean: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "low": self.low, "high": self.high}


@dataclass
class MixValue:
    """A mix (total hours per model over the period) and what it is expected to earn."""

    hours: dict[str, float]
    cost: dict[str, float]
    revenue: dict[str, float]
    total: Interval
    revenue_per_hour: dict[str, Interval]
    marginal_per_hour: dict[str, Interval]


@dataclass
class Plan:
    cells: int
    total_hours: float
    budget: float | None
    bounds: dict[str, tuple[float, float]]
    current: MixValue
    recommended: MixValue
    uplift: Interval  # recommended − current, per bootstrap draw
    success: bool
    message: str


def _fit_log(
    hours: np.ndarray, revenue: np.ndarray, share: float, groups: np.ndarray | None = None
) -> tuple[Curve, bool]:
    x = np.log(hours)
    y = np.log(revenue)
    xw, yw = x, y
    if groups is not None:
        # Within each unit: the slope comes from a unit's own ups and downs, not from big units
        # being big (a unit twice the size spends twice the hours and earns twice the revenue).
        _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
        sum_x = np.bincount(inverse, x)
        sum_y = np.bincount(inverse, y)
        xw = x - (sum_x / counts)[inverse]
        yw = y - (sum_y / counts)[inverse]
        if np.sum(xw * xw) < 1e-9:
            xw, yw = x - x.mean(), y - y.mean()
    else:
        xw, yw = x - x.mean(), y - y.mean()
    denominator = float(np.sum(xw * xw))
    if denominator < 1e-9:
        b, clipped = 0.5, True
    else:
        b = float(np.sum(xw * yw) / denominator)
        clipped = not (B_MIN <= b <= B_MAX)
        b = float(np.clip(b, B_MIN, B_MAX))
    intercept = float(np.mean(y - b * x))  # the average unit
    residual = y - intercept - b * x
    if groups is not None:
        residual = yw - b * xw
    smearing = float(np.mean(np.exp(residual)))
    return Curve(scale=share * float(np.exp(intercept)) * smearing, b=b), clipped


def fit_model(
    model: str,
    hours: Sequence[float],
    cost: Sequence[float],
    revenue: Sequence[float],
    *,
    units: Sequence[str] | None = None,
    draws: int = DEFAULT_DRAWS,
    rng: np.random.Generator,
) -> ModelFit | None:
    """The curve of one model from its cells, with ``draws`` bootstrap refits; None if too few.

    With ``units`` (the unit of each cell) the slope is estimated within units (fixed effects).
    """
    h = np.asarray(hours, dtype=float)
    c = np.asarray(cost, dtype=float)
    r = np.asarray(revenue, dtype=float)
    g = np.asarray(units) if units is not None else None
    keep = h > 0
    h, c, r = h[keep], c[keep], r[keep]
    g = g[keep] if g is not None else None
    positive = r > 0
    if positive.sum() < MIN_CELLS:
        return None
    curve, clipped = _fit_log(
        h[positive], r[positive], float(positive.mean()), g[positive] if g is not None else None
    )
    refits: list[Curve] = []
    n = len(h)
    for _ in range(draws):
        pick = rng.integers(0, n, n)
        hp, rp = h[pick], r[pick]
        gp = g[pick] if g is not None else None
        pos = rp > 0
        if pos.sum() < 3:
            refits.append(curve)
            continue
        refits.append(
            _fit_log(hp[pos], rp[pos], float(pos.mean()), gp[pos] if gp is not None else None)[0]
        )
    return ModelFit(
        model=model,
        curve=curve,
        cells=int(n),
        cells_with_revenue=int(positive.sum()),
        cost_per_hour=float(c.sum() / h.sum()) if h.sum() > 0 else 0.0,
        clipped=clipped,
        draws=refits,
    )


def fit_all(
    observations: Sequence[Observation], *, draws: int = DEFAULT_DRAWS, seed: int = 0
) -> dict[str, ModelFit]:
    """Fit every model with enough cells; deterministic for a seed (models in sorted order)."""
    rng = np.random.default_rng(seed)
    by_model: dict[str, list[Observation]] = {}
    for o in observations:
        by_model.setdefault(o.model, []).append(o)
    fits: dict[str, ModelFit] = {}
    for model in sorted(by_model):
        rows = by_model[model]
        fit = fit_model(
            model,
            [o.hours for o in rows],
            [o.cost for o in rows],
            [o.revenue for o in rows],
            units=[o.unit for o in rows] if any(o.unit for o in rows) else None,
            draws=draws,
            rng=rng,
        )
        if fit is not None:
            fits[model] = fit
    return fits


def _interval(values: np.ndarray, point: float, level: float = 0.9) -> Interval:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail]) if len(values) else (point, point)
    return Interval(mean=float(point), low=float(min(low, point)), high=float(max(high, point)))


def mix_value(fits: Mapping[str, ModelFit], hours: Mapping[str, float], cells: int) -> MixValue:
    """Expected revenue of ``hours`` (totals over ``cells`` unit-months) with 90 % intervals."""
    cells = max(cells, 1)
    models = list(fits)
    n_draws = min((len(f.draws) for f in fits.values()), default=0)
    revenue: dict[str, float] = {}
    per_hour: dict[str, Interval] = {}
    marginal: dict[str, Interval] = {}
    totals = np.zeros(n_draws)
    for m in models:
        fit, h = fits[m], float(hours.get(m, 0.0))
        per_cell = h / cells
        revenue[m] = float(cells * fit.curve.revenue(per_cell))
        draw_rev = np.array([cells * d.revenue(per_cell) for d in fit.draws[:n_draws]])
        totals += draw_rev if n_draws else 0
        if h > 0:
            per_hour[m] = _interval(draw_rev / h, revenue[m] / h)
        marginal[m] = _interval(
            np.array([d.marginal(per_cell) for d in fit.draws[:n_draws]]),
            fit.curve.marginal(per_cell),
        )
    return MixValue(
        hours={m: float(hours.get(m, 0.0)) for m in models},
        cost={m: float(hours.get(m, 0.0)) * fits[m].cost_per_hour for m in models},
        revenue=revenue,
        total=_interval(totals, sum(revenue.values())),
        revenue_per_hour=per_hour,
        marginal_per_hour=marginal,
    )


def optimise(
    curves: Mapping[str, Curve],
    *,
    cost_per_hour: Mapping[str, float],
    total_hours: float,
    budget: float | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    start: Mapping[str, float] | None = None,
    cells: int = 1,
) -> tuple[dict[str, float], bool, str]:
    """The hours per model that maximise ``Σ cells · f_m(h_m / cells)`` under the constraints.

    Returns (hours, success, message). The result is never worse than a feasible ``start``.
    """
    models = list(curves)
    if not models or total_hours <= 0:
        return dict.fromkeys(models, 0.0), True, "nothing to allocate"
    cells = max(cells, 1)
    scale_h = float(total_hours)
    lo = np.zeros(len(models))
    hi = np.full(len(models), 1.0)
    for i, m in enumerate(models):
        low, high = (bounds or {}).get(m, (0.0, total_hours))
        lo[i] = max(0.0, low) / scale_h
        hi[i] = max(lo[i], min(high, total_hours) / scale_h)
    cost = np.array([cost_per_hour.get(m, 0.0) for m in models]) * scale_h
    scales = np.array([curves[m].scale for m in models])
    bs = np.array([curves[m].b for m in models])
    floor = 1e-9

    def revenue(x: np.ndarray) -> float:
        per_cell = np.maximum(x, floor) * scale_h / cells
        return float(np.sum(cells * scales * per_cell**bs))

    norm = max(revenue(np.full(len(models), 1.0 / len(models))), 1e-9)

    def objective(x: np.ndarray) -> float:
        return -revenue(x) / norm

    def gradient(x: np.ndarray) -> np.ndarray:
        per_cell = np.maximum(x, floor) * scale_h / cells
        return -(scales * bs * per_cell ** (bs - 1) * scale_h) / norm

    constraints = [
        {"type": "ineq", "fun": lambda x: 1.0 - np.sum(x), "jac": lambda x: -np.ones_like(x)}
    ]
    if budget is not None and np.any(cost > 0):
        b_scaled = float(budget)
        constraints.append(
            {"type": "ineq", "fun": lambda x: (b_scaled - cost @ x) / max(b_scaled, 1.0),
             "jac": lambda x: -cost / max(b_scaled, 1.0)}
        )  # fmt: skip

    def feasible(x: np.ndarray) -> bool:
        tol = 1e-7
        return bool(
            np.all(x >= lo - tol)
            and np.all(x <= hi + tol)
            and np.sum(x) <= 1.0 + tol
            and (budget is None or cost @ x <= budget * (1 + tol) + tol)
        )

    x0 = np.array([(start or {}).get(m, 0.0) for m in models]) / scale_h
    x0 = np.clip(x0, lo, hi)
    start_ok = feasible(x0)
    if not np.any(x0 > 0):
        x0 = np.clip(np.full(len(models), 1.0 / len(models)), lo, hi)
    # Imported here, not at the top: scipy.optimize takes half a second to import, and every
    # process that loads the URLs (each page's server, each command that links to a page) would
    # pay it for the one page and command that plan a mix.
    from scipy.optimize import minimize

    result = minimize(
        objective,
        np.maximum(x0, 1e-6),
        jac=gradient,
        method="SLSQP",
        bounds=list(zip(lo, hi, strict=True)),
        constraints=constraints,
        options={"maxiter": 500, "ftol": 1e-12},
    )
    x = np.clip(result.x, lo, hi)
    ok = feasible(x)
    if start_ok and (not ok or revenue(x) < revenue(x0)):
        x, ok = x0, True
    message = str(result.message)
    if not ok:
        message = "no allocation satisfies the hours, budget and bounds"
    return {m: float(x[i] * scale_h) for i, m in enumerate(models)}, ok, message


def plan(
    fits: Mapping[str, ModelFit],
    *,
    current_hours: Mapping[str, float],
    cells: int,
    total_hours: float | None = None,
    budget: float | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> Plan:
    """Current mix vs the recommended one for the next period (default: the current hours)."""
    models = list(fits)
    current = {m: float(current_hours.get(m, 0.0)) for m in models}
    hours_total = float(total_hours if total_hours is not None else sum(current.values()))
    bounds = dict(bounds or {})
    recommended, success, message = optimise(
        {m: fits[m].curve for m in models},
        cost_per_hour={m: fits[m].cost_per_hour for m in models},
        total_hours=hours_total,
        budget=budget,
        bounds=bounds,
        start=current,
        cells=cells,
    )
    now = mix_value(fits, current, cells)
    rec = mix_value(fits, recommended, cells)
    n_draws = min((len(f.draws) for f in fits.values()), default=0)
    diffs = np.zeros(n_draws)
    for m in models:
        for i, d in enumerate(fits[m].draws[:n_draws]):
            diffs[i] += cells * (d.revenue(recommended[m] / cells) - d.revenue(current[m] / cells))
    return Plan(
        cells=cells,
        total_hours=hours_total,
        budget=budget,
        bounds=bounds,
        current=now,
        recommended=rec,
        uplift=_interval(diffs, rec.total.mean - now.total.mean),
        success=success,
        message=message,
    )


def biggest_move(
    current: Mapping[str, float], recommended: Mapping[str, float]
) -> tuple[str, str, float] | None:
    """(from model, to model, hours) of the largest single shift between two mixes."""
    delta = {
        m: recommended.get(m, 0.0) - current.get(m, 0.0) for m in set(current) | set(recommended)
    }
    if not delta:
        return None
    source = min(sorted(delta), key=lambda m: delta[m])
    target = max(sorted(delta), key=lambda m: delta[m])
    hours = min(-delta[source], delta[target])
    if source == target or hours <= 0:
        return None
    return source, target, float(hours)


# ---- the synthetic company of ``tiejun lab validate`` ----------------------------------------


@dataclass(frozen=True)
class TrueModel:
    model: str
    scale: float  # E[revenue per cell] = scale · hours^b
    b: float
    cost_per_hour: float
    hours_per_cell: float  # the typical current effort in a cell that uses the model
    share_of_units: float  # the share of units that use the model (pilots are few)


SYNTHETIC_MODELS = (
    TrueModel("visit", 2600.0, 0.55, 20.0, 420.0, 1.0),
    TrueModel("salon", 1500.0, 0.70, 120.0, 40.0, 0.35),
    TrueModel("online", 1100.0, 0.70, 45.0, 50.0, 0.45),
    TrueModel("partner", 450.0, 0.82, 60.0, 20.0, 0.5),
)


@dataclass
class Synthetic:
    observations: list[Observation]
    truth: dict[str, Curve]
    cost_per_hour: dict[str, float]
    current_hours: dict[str, float]  # totals over the next quarter's cells
    cells: int


def synthetic_company(
    *, seed: int, units: int = 40, months: int = 24, noise: float = 0.35
) -> Synthetic:
    """Units × months of cells whose revenue follows known power curves times log-normal noise."""
    rng = np.random.default_rng(seed)
    observations: list[Observation] = []
    for spec in SYNTHETIC_MODELS:
        users = max(3, round(units * spec.share_of_units))
        size = rng.lognormal(0.0, 0.35, users)  # units differ in size and habits
        for u in range(users):
            effort = spec.hours_per_cell * size[u] * rng.lognormal(0.0, 0.3, months)
            mean = spec.scale * effort**spec.b
            # mean-one log-normal noise: E[revenue] is exactly the true curve
            revenue = mean * rng.lognormal(-(noise**2) / 2, noise, months)
            cost = effort * spec.cost_per_hour * rng.lognormal(0.0, 0.05, months)
            observations += [
                Observation(spec.model, float(h), float(c), float(r), f"U{u:03d}")
                for h, c, r in zip(effort, cost, revenue, strict=True)
            ]
    cells = units * 3
    current = {s.model: s.hours_per_cell * s.share_of_units * cells for s in SYNTHETIC_MODELS}
    return Synthetic(
        observations=observations,
        truth={s.model: Curve(s.scale, s.b) for s in SYNTHETIC_MODELS},
        cost_per_hour={s.model: s.cost_per_hour for s in SYNTHETIC_MODELS},
        current_hours=current,
        cells=cells,
    )


def true_revenue(truth: Mapping[str, Curve], hours: Mapping[str, float], cells: int) -> float:
    return float(sum(cells * truth[m].revenue(hours.get(m, 0.0) / cells) for m in truth))


THIN_HALF_WIDTH = 0.10  # an interval wider than ±10 % cannot decide a 10 % question


def validate(*, seed: int, draws: int = 200, budget_share: float = 1.0) -> dict:
    """Fit a synthetic company, plan its next quarter, and score both against the truth.

    The budget is ``budget_share`` × the direct cost of the current mix; the hours are the current
    hours. Revenue per hour is compared at the current mix (where the data are).
    """
    company = synthetic_company(seed=seed)
    fits = fit_all(company.observations, draws=draws, seed=seed)
    cells = company.cells
    current = company.current_hours
    budget = budget_share * sum(current[m] * company.cost_per_hour[m] for m in current)
    the_plan = plan(fits, current_hours=current, cells=cells, budget=budget)
    truth_opt, _ok, _msg = optimise(
        company.truth,
        cost_per_hour=company.cost_per_hour,
        total_hours=sum(current.values()),
        budget=budget,
        start=current,
        cells=cells,
    )
    rows: list[dict[str, Any]] = []
    for m, true_curve in company.truth.items():
        h = current[m]
        true_rph = float(true_curve.revenue(h / cells)) * cells / h
        fitted = the_plan.current.revenue_per_hour[m]
        rows.append(
            {
                "model": m,
                "hours": round(float(h), 1),
                "true_revenue_per_hour": round(float(true_rph), 2),
                "fitted_revenue_per_hour": round(float(fitted.mean), 2),
                "interval": [round(float(fitted.low), 2), round(float(fitted.high), 2)],
                "error": round(float(abs(fitted.mean - true_rph) / true_rph), 4),
                "true_b": true_curve.b,
                "fitted_b": round(float(fits[m].curve.b), 3),
                "recommended_hours": round(float(the_plan.recommended.hours[m]), 1),
                "optimal_hours": round(float(truth_opt[m]), 1),
                # too thin to give a point: the 90 % interval is wider than ±THIN_HALF_WIDTH
                "thin": bool((fitted.high - fitted.low) / 2 > THIN_HALF_WIDTH * fitted.mean),
                "truth_in_interval": bool(fitted.low <= true_rph <= fitted.high),
            }
        )
    true_rank = [r["model"] for r in sorted(rows, key=lambda r: -r["true_revenue_per_hour"])]
    fitted_rank = [r["model"] for r in sorted(rows, key=lambda r: -r["fitted_revenue_per_hour"])]
    rec_true = true_revenue(company.truth, the_plan.recommended.hours, cells)
    opt_true = true_revenue(company.truth, truth_opt, cells)
    cur_true = true_revenue(company.truth, current, cells)
    return {
        "seed": seed,
        "cells_observed": len(company.observations),
        "rows": rows,
        "true_ranking": true_rank,
        "fitted_ranking": fitted_rank,
        "ranking_correct": true_rank == fitted_rank,
        "max_error": max(r["error"] for r in rows),
        "thin_models": [r["model"] for r in rows if r["thin"]],
        # the aim where the data can decide it, and honesty where it cannot
        "max_error_where_known": max((r["error"] for r in rows if not r["thin"]), default=0.0),
        "thin_intervals_hold_truth": all(r["truth_in_interval"] for r in rows if r["thin"]),
        "current_true_revenue": round(cur_true, 2),
        "recommended_true_revenue": round(rec_true, 2),
        "optimal_true_revenue": round(opt_true, 2),
        "regret": round(float(max(0.0, 1 - rec_true / opt_true)), 5),
    }
