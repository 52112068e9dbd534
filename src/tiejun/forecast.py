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
import itertools
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

SIMULATIONS = 2000
HALF_LIFE_DAYS = 20.0  # a working day 20 days back counts half as much as yesterday
PRIOR_DAYS = 10.0  # how many days of the team's distribution a rep's own history is blended with
RATE_DRIFT = 0.15  # a rep's underlying rate wanders: a month-to-month spread of about 15 %
PACE_PRIOR_DAYS = 10.0  # this month's pace counts like this many days against the history's rate
TEAM_SPREAD = 0.10  # a team's month shares a common swing (market, season): about 10 %
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
    # the range the probability is known to (from the recalibration's evidence), if any
    probability_low: float | None = None
    probability_high: float | None = None


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
    rate_drift: float | None = None,
    common: np.ndarray | None = None,
    pace: tuple[float, float] | None = None,
    pace_prior_days: float = PACE_PRIOR_DAYS,
    future_shape: Sequence[float] | None = None,
) -> np.ndarray:
    """Simulated results of the rest of the month: one sum per simulation.

    ``history`` is the rep's own working-day results, oldest first, zeros included;
    ``fallback`` the team's pool of rep-day results (for short histories); ``pipeline`` open
    deals as (amount, probability of being won this month).

    The past is a sample, not the truth: given ``rate_drift`` (the review passes
    :data:`RATE_DRIFT`; None keeps the plain bootstrap), each simulation scales the drawn days by a mean-one
    factor for the rep's own rate (wider the fewer winning days the history holds, see
    :func:`rate_sigma`) and, when ``common`` is given, by that simulation's common factor of the
    team (:func:`common_factors`), so that reps of one team swing together. ``pace`` is the
    month so far (achieved, working days elapsed): a month going better or worse than the
    history says moves the rest of it along (:func:`pace_factor`). ``future_shape`` weighs
    each remaining working day by its place in the month (a slow start, a month-end rush; see
    :func:`learn_shape`) — the history is then expected divided by the shape of its own days.
    """
    rng = np.random.default_rng(seed)
    total = np.zeros(simulations)
    if remaining_days <= 0:
        return total  # the month is over: nothing more can happen in it
    own = np.asarray(history, dtype=float)
    pool = np.asarray(fallback, dtype=float)
    if not len(own) and not len(pool) and pace is not None and pace[0] > 0 and pace[1] >= 1:
        # nothing before this month, theirs or their team's (a new team): the month so far is
        # all there is to go on — its average working day, as a history as long as the month's
        # elapsed days (the rate's spread then says how little that is)
        own = np.full(int(pace[1]), pace[0] / pace[1])
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
    if future_shape is not None and len(future_shape) == remaining_days:
        days = days * np.asarray(future_shape, dtype=float)[np.newaxis, :]
    sums = days.sum(axis=1)
    if pace is not None:
        mixed = own_share * _weighted_mean(own, half_life) + (1 - own_share) * (
            float(pool.mean()) if len(pool) else 0.0
        )
        sums = sums * pace_factor(mixed, pace[0], pace[1], pace_prior_days)
    sigma = 0.0 if rate_drift is None else rate_sigma(own if own_share > 0 else pool, rate_drift)
    if sigma > 0:
        sums = sums * lognormal_factors(rng, sigma, simulations)
    if common is not None and len(common) == simulations:
        sums = sums * np.asarray(common, dtype=float)
    total += sums
    for amount, probability in pipeline:
        total += np.where(rng.random(simulations) < probability, float(amount), 0.0)
    return total


SHAPE_START = 3  # the month's first working days have a weight of their own …
SHAPE_END = 5  # … and so do its last ones; the days between share one
SHAPE_PRIOR = 20.0  # rep-days of "no shape" each place's weight is shrunk with


def shape_key(index: int, count: int) -> str:
    """The place of the ``index``-th (0-based) of a month's ``count`` working days."""
    if count - index <= SHAPE_END:
        return f"end{count - index}"
    if index < SHAPE_START:
        return f"start{index + 1}"
    return "mid"


def learn_shape(rows: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Each place's weight in the month, from (place, one rep-day's result) rows: its mean
    result over the overall mean, shrunk toward 1 where there are few rows."""
    totals: dict[str, list[float]] = {}
    grand, count = 0.0, 0
    for key, value in rows:
        slot = totals.setdefault(key, [0.0, 0.0])
        slot[0] += float(value)
        slot[1] += 1
        grand += float(value)
        count += 1
    if count == 0 or grand <= 0:
        return {}
    mean = grand / count
    return {
        key: (total + SHAPE_PRIOR * mean) / ((n + SHAPE_PRIOR) * mean)
        for key, (total, n) in totals.items()
    }


def _weighted_mean(values: np.ndarray, half_life: float) -> float:
    if len(values) == 0:
        return 0.0
    return float(np.dot(values, recency_weights(len(values), half_life)))


def pace_factor(
    daily_rate: float, achieved: float, elapsed: float, prior_days: float = PACE_PRIOR_DAYS
) -> float:
    """How much this month's pace moves the rate the history gives: the pace's ratio to the
    history's, blended with 1 as ``elapsed`` working days against ``prior_days``."""
    if daily_rate <= 0 or elapsed <= 0 or prior_days < 0 or math.isinf(prior_days):
        return 1.0
    ratio = achieved / (daily_rate * elapsed)
    return (elapsed * ratio + prior_days) / (elapsed + prior_days)


def rate_sigma(history: np.ndarray | Sequence[float], drift: float = RATE_DRIFT) -> float:
    """Log-spread of a rep's underlying rate around what the history shows: the drift plus
    the sampling error of a rate estimated from ``k`` winning days (about ``1/sqrt(k)``)."""
    values = np.asarray(history, dtype=float)
    wins = int(np.count_nonzero(values > 0))
    if drift <= 0 and wins == 0:
        return 0.0
    return math.sqrt(max(0.0, drift) ** 2 + 1.0 / (wins + 1.0))


def lognormal_factors(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    """``size`` mean-one lognormal factors of log-spread ``sigma``."""
    if sigma <= 0:
        return np.ones(size)
    return np.exp(rng.normal(-0.5 * sigma * sigma, sigma, size))


def common_factors(
    seed: int, simulations: int = SIMULATIONS, sigma: float = TEAM_SPREAD
) -> np.ndarray:
    """A team's common swing per simulation: the same seed gives every rep of the team the
    same factors, so their simulated months move together."""
    return lognormal_factors(np.random.default_rng(seed), sigma, simulations)


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
    rate_drift: float | None = None,
    common: np.ndarray | None = None,
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
        rate_drift=rate_drift,
        common=common,
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


def calibration_noise(
    probabilities: Sequence[float],
    *,
    minimum: int = 100,
    buckets: int = 10,
    draws: int = 200,
    seed: int = 0,
) -> tuple[float, float] | None:
    """The worst decile gap (as the backtest's ``calibration_error``) that a perfectly
    calibrated forecast of these ``probabilities`` shows by chance alone: its median and
    90th percentile over ``draws`` simulated outcomes (each forecast reached with its own
    probability, independently: real outcomes move together within a month, so the true
    noise is larger). A backtest gap below the median is as good as these numbers can tell;
    None when no decile holds ``minimum`` forecasts."""
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    if not len(p):
        return None
    index = np.minimum(buckets - 1, (p * buckets).astype(int))
    counts = np.bincount(index, minlength=buckets)
    kept = counts >= minimum
    if not kept.any():
        return None
    means = np.bincount(index, weights=p, minlength=buckets)[kept] / counts[kept]
    rng = np.random.default_rng(seed)
    worst = np.empty(draws)
    for d in range(draws):
        hits = (rng.random(len(p)) < p).astype(float)
        rates = np.bincount(index, weights=hits, minlength=buckets)[kept] / counts[kept]
        worst[d] = np.max(np.abs(rates - means))
    return round(float(np.median(worst)), 3), round(float(np.quantile(worst, 0.9)), 3)


@dataclass(frozen=True)
class Calibrator:
    """A monotone map from the simulation's probability to the observed hit rate, fitted by
    isotonic regression (pool-adjacent-violators) on the company's own backtests.

    ``xs`` are the mean forecasts of the fitted blocks (increasing), ``ys`` their hit rates
    (non-decreasing); between blocks the map is linear, beyond them flat.
    """

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    count: int = 0
    ns: tuple[float, ...] = ()  # how many backtest forecasts each block rests on

    def apply(self, probability: float) -> float:
        if not self.xs:
            return float(probability)
        return float(np.interp(float(probability), self.xs, self.ys))

    def interval(self, probability: float, z: float = 1.2816) -> tuple[float, float] | None:
        """An 80 % range for the recalibrated probability: the Wilson interval of the hit rate
        of the backtest forecasts it rests on; None without a fitted map."""
        if not self.xs or len(self.ns) != len(self.xs):
            return None
        p = self.apply(probability)
        n = float(np.interp(float(probability), self.xs, self.ns))
        return wilson(p, n, z)

    def to_json(self) -> dict[str, object]:
        return {
            "xs": [round(x, 4) for x in self.xs],
            "ys": [round(y, 4) for y in self.ys],
            "ns": [round(n, 1) for n in self.ns],
            "count": self.count,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Calibrator:
        xs = tuple(float(x) for x in data.get("xs", ()))  # type: ignore[attr-defined]
        ys = tuple(float(y) for y in data.get("ys", ()))  # type: ignore[attr-defined]
        ns = tuple(float(n) for n in data.get("ns", ()))  # type: ignore[attr-defined]
        if len(xs) != len(ys) or (ns and len(ns) != len(xs)):
            raise ValueError("xs, ys and ns differ in length")
        if any(b < a for a, b in itertools.pairwise(ys)):
            raise ValueError("a calibration map must not decrease")
        count = data.get("count", 0)
        return cls(xs=xs, ys=ys, ns=ns, count=int(count) if isinstance(count, int | float) else 0)


def wilson(p: float, n: float, z: float = 1.2816) -> tuple[float, float]:
    """The Wilson score interval of a rate ``p`` observed over ``n`` trials (80 % by default)."""
    if n <= 0:
        return 0.0, 1.0
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


IDENTITY = Calibrator(xs=(), ys=())
MIN_CALIBRATION = 200  # fewer backtest forecasts than this: keep the simulation's probabilities
PRIOR_WEIGHT = 1.0  # pseudo-forecasts at (0, 0) and (1, 1) that keep the ends honest


def pool_adjacent_violators(
    values: Sequence[float], weights: Sequence[float] | None = None
) -> list[tuple[float, float, int]]:
    """Isotonic regression of ``values`` (already ordered): blocks of (mean, weight, length)
    whose means never decrease, the weighted least-squares fit."""
    blocks: list[tuple[float, float, int]] = []
    for i, value in enumerate(values):
        w = 1.0 if weights is None else float(weights[i])
        mean, weight, length = float(value), w, 1
        while blocks and blocks[-1][0] >= mean:
            m0, w0, n0 = blocks.pop()
            total = w0 + weight
            mean = (m0 * w0 + mean * weight) / total if total > 0 else mean
            weight, length = total, n0 + length
        blocks.append((mean, weight, length))
    return blocks


def fit_calibrator(
    pairs: Iterable[tuple[float, bool]],
    *,
    minimum: int = MIN_CALIBRATION,
    prior_weight: float = PRIOR_WEIGHT,
) -> Calibrator:
    """Isotonic recalibration from backtest pairs (probability, reached); the identity when
    there are fewer than ``minimum`` of them."""
    items = sorted((min(1.0, max(0.0, float(p))), 1.0 if hit else 0.0) for p, hit in pairs)
    if len(items) < minimum:
        return IDENTITY
    # forecasts of equal probability form one point; light anchors keep 0 and 1 reachable
    weighted = [(0.0, 0.0, prior_weight)] + [(p, o, 1.0) for p, o in items]
    weighted.append((1.0, prior_weight, prior_weight))
    weighted.sort(key=lambda item: item[0])
    grouped: list[list[float]] = []  # [p, hits, weight]
    for p, hits, w in weighted:
        if grouped and grouped[-1][0] == p:
            grouped[-1][1] += hits
            grouped[-1][2] += w
        else:
            grouped.append([p, hits, w])
    grouped = [g for g in grouped if g[2] > 0]
    ps = [g[0] for g in grouped]
    rates = [g[1] / g[2] for g in grouped]
    weights = [g[2] for g in grouped]
    blocks = pool_adjacent_violators(rates, weights)
    xs: list[float] = []
    ys: list[float] = []
    ns: list[float] = []
    start = 0
    for mean, weight, length in blocks:
        seg_p = ps[start : start + length]
        seg_w = weights[start : start + length]
        total = sum(seg_w)
        xs.append(sum(p * w for p, w in zip(seg_p, seg_w, strict=True)) / total)
        ys.append(mean)
        ns.append(weight)
        start += length
    return Calibrator(xs=tuple(xs), ys=tuple(ys), count=len(items), ns=tuple(ns))


SHRINK = 0.5  # the share of an isotonic map a backtest's recalibration takes (the rest: identity)


def shrink(calibrator: Calibrator, weight: float = SHRINK) -> Calibrator:
    """``weight`` × ``calibrator`` + (1 − ``weight``) × the identity, as a map of its own.

    A map fitted on a few months of backtest forecasts carries their noise and the regime of
    those months; taking half of it kept the replayed months better calibrated, and better
    scored, than the whole map on every shaped history (docs/benchmarks.md). The identity
    stays the identity."""
    if not calibrator.xs or weight >= 1:
        return calibrator
    w = max(0.0, float(weight))
    xs = [0.0, *calibrator.xs, 1.0]
    ys = [calibrator.ys[0], *calibrator.ys, calibrator.ys[-1]]
    ns = [*calibrator.ns[:1], *calibrator.ns, *calibrator.ns[-1:]] if calibrator.ns else []
    points = sorted(
        {x: (y, n) for x, y, n in zip(xs, ys, ns or [0.0] * len(xs), strict=True)}.items()
    )
    return Calibrator(
        xs=tuple(x for x, _yn in points),
        ys=tuple(w * y + (1 - w) * x for x, (y, _n) in points),
        count=calibrator.count,
        ns=tuple(n for _x, (_y, n) in points) if calibrator.ns else (),
    )


SHRINK_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the weights a refit may choose among
SHRINK_SE = 2.0  # … leaving the default only for a gain this many standard errors clear


def choose_shrink(
    months: Sequence[Sequence[tuple[float, bool]]],
    *,
    weights: Sequence[float] = SHRINK_WEIGHTS,
    default: float = SHRINK,
    k_se: float = SHRINK_SE,
    minimum: int = MIN_CALIBRATION,
) -> float:
    """How much of the isotonic map to take, cross-validated month by month: each month's
    forecasts scored (squared error) by the map fitted on the other months, at each weight.
    The default weight stands unless another one lowers the total by more than ``k_se``
    standard errors of the per-forecast difference — one month's luck (a company-wide good
    month moves every rep at once) does not move it; a map that keeps going stale (reps
    whose rate drifts) or keeps holding (a steady bias) does. Fewer than three months: the
    default."""
    folds = [list(m) for m in months if m]
    if len(folds) < 3:
        return default
    losses: dict[float, list[float]] = {w: [] for w in {*weights, default}}
    for k, held in enumerate(folds):
        fitted = fit_calibrator(
            (pair for j, fold in enumerate(folds) if j != k for pair in fold), minimum=minimum
        )
        for w in losses:
            calibrator = shrink(fitted, w) if w > 0 and fitted.xs else IDENTITY
            losses[w] += [(calibrator.apply(p) - (1.0 if hit else 0.0)) ** 2 for p, hit in held]
    base = np.asarray(losses[default])
    chosen, best = default, 0.0
    for w, values in losses.items():
        if w == default or len(base) < 2:
            continue
        gains = base - np.asarray(values)
        gain = float(gains.sum())
        if gain > best and gain > k_se * float(gains.std(ddof=1)) * math.sqrt(len(gains)):
            chosen, best = w, gain
    return chosen
