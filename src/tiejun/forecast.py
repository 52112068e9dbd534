"""Month-end forecast by bootstrap, the naive baseline, and how to score both. Pure: no Django.

The evening review asks of every rep "will you make it this month?". The answer here is a
Monte-Carlo over the rep's own past: each remaining working day of the month draws one of the
rep's past working-day results (zeros included, recent weeks weighted more), the draws are
summed, and the share of simulated month-ends at or above the target is the probability.

A rep with a short history (a new hire) is shrunk toward the team: each simulated day draws from
the team's pool of rep-day results instead of the rep's own with probability
``prior_days / (own days + prior_days)``. Open pipeline, where there is any, adds each deal's
amount with its probability.

Values are floats: a forecast is an estimate, not money on the books; callers turn the figures
they show back into ``Decimal``. The same inputs and seed give the same forecast.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

SIMULATIONS = 2000
HALF_LIFE_DAYS = 20.0  # a working day 20 days back counts half as much as yesterday
PRIOR_DAYS = 10.0  # how many days of the team's distribution a rep's own history is blended with
EPSILON = 1e-6  # money rounding: reaching the target to the cent counts


@dataclass(frozen=True)
class Forecast:
    """A month-end forecast: achieved so far plus the simulated rest of the month."""

    achieved: float
    expected: float
    p10: float
    p50: float
    p90: float
    target: float | None
    probability: float | None  # of reaching the target; None without a target
    remaining_days: int
    own_days: int  # working days of the rep's own history used
    simulations: int


def stable_seed(*parts: object) -> int:
    """A seed from the parts' text (unit, person, date): the same on every machine and run."""
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def history_values(
    daily: Mapping[dt.date, float], days: Sequence[dt.date], since: dt.date | None = None
) -> list[float]:
    """A rep's results on ``days`` (working days, oldest first), zero where nothing was won,
    leaving out the days before ``since`` (before the rep started, or before the data does)."""
    return [float(daily.get(day, 0.0)) for day in days if since is None or day >= since]


def recency_weights(count: int, half_life: float = HALF_LIFE_DAYS) -> np.ndarray:
    """Weights for ``count`` days, oldest first, halving every ``half_life`` days back."""
    if count == 0:
        return np.zeros(0)
    if half_life <= 0 or math.isinf(half_life):
        weights: np.ndarray = np.ones(count)
    else:
        age = np.arange(count - 1, -1, -1, dtype=float)
        weights = np.power(0.5, age / half_life)
    return weights / weights.sum()


def simulate_remaining(
    history: Sequence[float],
    remaining_days: int,
    *,
    fallback: Sequence[float] = (),
    pipeline: Iterable[tuple[float, float]] = (),
    seed: int = 0,
    simulations: int = SIMULATIONS,
    half_life: float = HALF_LIFE_DAYS,
    prior_days: float = PRIOR_DAYS,
) -> np.ndarray:
    """Simulated results of the rest of the month: one sum per simulation.

    ``history`` is the rep's own working-day results, oldest first, zeros included;
    ``fallback`` the team's pool of rep-day results (for short histories); ``pipeline`` open
    deals as (amount, probability of being won this month).
    """
    rng = np.random.default_rng(seed)
    total = np.zeros(simulations)
    if remaining_days <= 0:
        return total  # the month is over: nothing more can happen in it
    own = np.asarray(history, dtype=float)
    pool = np.asarray(fallback, dtype=float)
    n = len(own)
    if n == 0 and len(pool) == 0:
        own_share = 0.0
    elif len(pool) == 0:
        own_share = 1.0
    else:
        own_share = n / (n + prior_days) if prior_days > 0 else (1.0 if n else 0.0)
    shape = (simulations, remaining_days)
    days: np.ndarray = np.zeros(shape)
    if own_share > 0:
        picks = rng.choice(n, size=shape, p=recency_weights(n, half_life))
        days = own[picks]
    if own_share < 1 and len(pool):
        from_pool = pool[rng.integers(0, len(pool), size=shape)]
        use_pool = rng.random(shape) >= own_share
        days = np.where(use_pool, from_pool, days)
    total += days.sum(axis=1)
    for amount, probability in pipeline:
        total += np.where(rng.random(simulations) < probability, float(amount), 0.0)
    return total


def summarise(
    achieved: float,
    future: np.ndarray,
    target: float | None,
    *,
    remaining_days: int,
    own_days: int = 0,
) -> Forecast:
    """Expected month-end, percentiles and probability of ``achieved + future`` reaching target."""
    totals = achieved + np.asarray(future, dtype=float)
    if totals.size == 0:
        totals = np.array([achieved])
    p10, p50, p90 = (float(v) for v in np.percentile(totals, [10, 50, 90]))
    probability = None
    if target is not None:
        probability = float(np.mean(totals >= target - EPSILON))
    return Forecast(
        achieved=float(achieved),
        expected=float(totals.mean()),
        p10=p10,
        p50=p50,
        p90=p90,
        target=None if target is None else float(target),
        probability=probability,
        remaining_days=max(0, remaining_days),
        own_days=own_days,
        simulations=int(totals.size),
    )


def forecast_month_end(
    history: Sequence[float],
    achieved: float,
    remaining_days: int,
    target: float | None = None,
    *,
    fallback: Sequence[float] = (),
    pipeline: Iterable[tuple[float, float]] = (),
    seed: int = 0,
    simulations: int = SIMULATIONS,
    half_life: float = HALF_LIFE_DAYS,
    prior_days: float = PRIOR_DAYS,
) -> Forecast:
    """The month-end forecast of one rep (see the module's docstring)."""
    future = simulate_remaining(
        history,
        remaining_days,
        fallback=fallback,
        pipeline=pipeline,
        seed=seed,
        simulations=simulations,
        half_life=half_life,
        prior_days=prior_days,
    )
    return summarise(achieved, future, target, remaining_days=remaining_days, own_days=len(history))


def naive_forecast(achieved: float, elapsed_days: int, total_days: int, target: float) -> float:
    """The baseline: extrapolate the pace so far linearly to month-end; 1.0 if that reaches
    the target, else 0.0 (before any day has elapsed the pace is nothing)."""
    if total_days <= 0 or elapsed_days <= 0:
        projected = achieved
    else:
        projected = achieved / min(elapsed_days, total_days) * total_days
    return 1.0 if projected >= target - EPSILON else 0.0


def brier_score(pairs: Iterable[tuple[float, bool]]) -> float | None:
    """Mean squared difference of forecast probability and outcome (0 is perfect)."""
    items = [(float(p), 1.0 if hit else 0.0) for p, hit in pairs]
    if not items:
        return None
    return sum((p - o) ** 2 for p, o in items) / len(items)


@dataclass(frozen=True)
class CalibrationBucket:
    low: float
    high: float
    count: int
    mean_forecast: float | None
    hit_rate: float | None


def calibration_table(
    pairs: Iterable[tuple[float, bool]], buckets: int = 10
) -> list[CalibrationBucket]:
    """Forecasts grouped by probability (``buckets`` equal bands, the last one closed):
    how many, their mean forecast, and how often the target was in fact reached."""
    grouped: list[list[tuple[float, float]]] = [[] for _ in range(buckets)]
    for p, hit in pairs:
        index = min(buckets - 1, max(0, int(float(p) * buckets)))
        grouped[index].append((float(p), 1.0 if hit else 0.0))
    table = []
    for i, items in enumerate(grouped):
        count = len(items)
        table.append(
            CalibrationBucket(
                low=i / buckets,
                high=(i + 1) / buckets,
                count=count,
                mean_forecast=sum(p for p, _ in items) / count if count else None,
                hit_rate=sum(o for _, o in items) / count if count else None,
            )
        )
    return table
