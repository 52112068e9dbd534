"""Commission maths: marginal tiers on the month's target, a cap, clawbacks. Pure: no Django.

A tier ``(lower, upper, rate)`` covers completion from ``lower`` to ``upper`` (fractions of the
target; ``upper`` None is open-ended). Its rate applies to the part of the month's achieved
amount that falls between ``lower × target`` and ``upper × target``. Every amount is rounded
half-up to the fen on its own line; the total is the sum of the rounded lines, so a statement
adds up on paper. Values are ``Decimal`` throughout: this is money on the books.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from tiejun.forecast import EPSILON, SIMULATIONS, recency_weights

FEN = Decimal("0.01")
ZERO = Decimal(0)


def fen(value: Decimal) -> Decimal:
    """Rounded half-up to the fen (0.005 → 0.01, -0.005 → -0.01)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tier:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class TierLine:
    """One tier on a statement: the part of achieved in it (``base``) times its rate."""

    lower: Decimal
    upper: Decimal | None
    base: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Figures:
    """A month's commission: tier lines, the override on the team, the cap and clawbacks."""

    target: Decimal
    achieved: Decimal
    lines: tuple[TierLine, ...]
    override_base: Decimal
    override_rate: Decimal
    override: Decimal
    capped_by: Decimal  # how much the cap took off (zero when under it)
    clawback: Decimal  # charged this month for earlier months' corrections (positive = less pay)
    adjustment: Decimal  # corrections to approved statements (positive = more pay)
    total: Decimal

    @property
    def earned(self) -> Decimal:
        """Tiers and override after the cap, before clawbacks and adjustments."""
        return sum((line.amount for line in self.lines), ZERO) + self.override - self.capped_by


class TierError(ValueError):
    """Tiers that do not form one ladder from 0 upward (the message says which)."""


def check_tiers(tiers: Sequence[Tier]) -> None:
    """Tiers start at 0, each begins where the one before ends, only the last may be open,
    bounds rise and rates are between 0 and 1."""
    if not tiers:
        raise TierError("at least one tier is needed")
    expected = ZERO
    for index, tier in enumerate(tiers, start=1):
        if tier.lower != expected:
            raise TierError(f"tier {index} must start at {expected} (it starts at {tier.lower})")
        if tier.upper is None:
            if index != len(tiers):
                raise TierError(f"only the last tier may be open-ended (tier {index} is)")
        elif tier.upper <= tier.lower:
            raise TierError(f"tier {index} must end above where it starts")
        if not ZERO <= tier.rate <= 1:
            raise TierError(f"tier {index}'s rate must be between 0 and 1")
        expected = tier.upper if tier.upper is not None else expected


def tier_lines(achieved: Decimal, target: Decimal, tiers: Sequence[Tier]) -> list[TierLine]:
    """The marginal tier lines of ``achieved`` against ``target``: every tier gets a line, zero
    where achieved does not reach it. No target (zero or less) pays nothing by tier."""
    lines: list[TierLine] = []
    reached = max(achieved, ZERO)
    for tier in tiers:
        if target <= 0:
            base = ZERO
        else:
            low = fen(tier.lower * target)
            high = reached if tier.upper is None else min(reached, fen(tier.upper * target))
            base = max(high - low, ZERO)
        lines.append(TierLine(tier.lower, tier.upper, fen(base), tier.rate, fen(base * tier.rate)))
    return lines


def commission(
    achieved: Decimal,
    target: Decimal,
    tiers: Sequence[Tier],
    *,
    cap: Decimal | None = None,
    override_base: Decimal = ZERO,
    override_rate: Decimal = ZERO,
    clawback: Decimal = ZERO,
    adjustment: Decimal = ZERO,
) -> Figures:
    """A month's figures. The cap limits tiers plus override; clawbacks and adjustments of
    earlier months are charged after it (a clawback may leave the month's total below zero)."""
    lines = tier_lines(achieved, target, tiers)
    override = fen(max(override_base, ZERO) * override_rate)
    earned = sum((line.amount for line in lines), ZERO) + override
    capped_by = max(earned - cap, ZERO) if cap is not None else ZERO
    clawback, adjustment = fen(clawback), fen(adjustment)
    return Figures(
        target=fen(target),
        achieved=fen(achieved),
        lines=tuple(lines),
        override_base=fen(max(override_base, ZERO)),
        override_rate=override_rate,
        override=override,
        capped_by=capped_by,
        clawback=clawback,
        adjustment=adjustment,
        total=earned - capped_by - clawback + adjustment,
    )


def earned_on(
    achieved: Decimal,
    target: Decimal,
    tiers: Sequence[Tier],
    *,
    cap: Decimal | None = None,
    override_base: Decimal = ZERO,
    override_rate: Decimal = ZERO,
) -> Decimal:
    """What a month pays before clawbacks: tiers and override, after the cap."""
    return commission(
        achieved,
        target,
        tiers,
        cap=cap,
        override_base=override_base,
        override_rate=override_rate,
    ).earned


def clawback_of(
    *,
    achieved_after: Decimal,
    reduction: Decimal,
    target: Decimal,
    tiers: Sequence[Tier],
    cap: Decimal | None = None,
) -> Decimal:
    """What an earlier month paid on ``reduction`` that it would not pay now: its commission at
    ``achieved_after + reduction`` minus its commission at ``achieved_after`` (a negative
    reduction, a correction upward, gives a negative clawback: more pay)."""
    before = earned_on(achieved_after + reduction, target, tiers, cap=cap)
    after = earned_on(achieved_after, target, tiers, cap=cap)
    return before - after


@dataclass(frozen=True)
class Projection:
    """When a running total is expected to reach a threshold: the first day at least half the
    simulated paths have reached it (None when fewer than half do by the last day), and the
    share of paths that reach it by the last day."""

    projected_on: dt.date | None
    probability: float


def project_threshold(
    history: Sequence[float],
    so_far: float,
    threshold: float,
    days: Sequence[dt.date],
    *,
    seed: int = 0,
    simulations: int = SIMULATIONS,
) -> Projection:
    """Simulate the rest of the period day by day from the person's own working-day results
    (``history``, oldest first, zeros included; recent days weigh more, as in the forecast
    core) and find when the running total ``so_far + …`` meets ``threshold``."""
    if so_far >= threshold - EPSILON:
        return Projection(None, 1.0)
    if not days or not history:
        return Projection(None, 0.0)
    rng = np.random.default_rng(seed)
    own = np.asarray(history, dtype=float)
    picks = rng.choice(len(own), size=(simulations, len(days)), p=recency_weights(len(own)))
    paths = so_far + np.cumsum(own[picks], axis=1)
    reached = paths >= threshold - EPSILON
    share_by_day = reached.mean(axis=0)
    probability = float(share_by_day[-1])
    median_index = int(np.argmax(share_by_day >= 0.5)) if share_by_day[-1] >= 0.5 else None
    return Projection(None if median_index is None else days[median_index], probability)


@dataclass(frozen=True)
class ProjectionCheck:
    """One replayed projection: on ``as_of``, when the threshold was projected to be met (and
    how likely by the horizon), against the working day it was in fact met (None: not by the
    horizon)."""

    as_of: dt.date
    projected_on: dt.date | None
    probability: float
    reached_on: dt.date | None
    error_days: int | None  # projected − reached, in working days (both known)
    # the naive pace beside it: the year so far carried on at its average working day
    naive_on: dt.date | None = None
    naive_error_days: int | None = None


def replay_projections(
    days: Sequence[dt.date],
    values: Sequence[float],
    threshold: float,
    as_of: Sequence[int],
    *,
    start: int = 0,
    seed: int = 0,
    simulations: int = SIMULATIONS,
) -> list[ProjectionCheck]:
    """Replay :func:`project_threshold` — the very projection the person page, the board and
    the promotion advisor show — on past working days and score it against what happened.

    ``days`` are the working days of the period up to its horizon, ``values`` the person's
    result on each (zeros included), ``start`` the index of the first day they counted (their
    history starts there), ``as_of`` the indexes to replay on (evenings: that day's result
    known). A replay day on which the threshold was already met is skipped."""
    totals = np.cumsum(np.asarray(values, dtype=float))
    met = np.nonzero(totals >= threshold - EPSILON)[0]
    reached_index = int(met[0]) if len(met) else None
    checks = []
    for k in as_of:
        if k < start or k >= len(days) - 1:
            continue
        if reached_index is not None and reached_index <= k:
            continue  # already met: nothing left to project
        projection = project_threshold(
            values[start : k + 1],
            float(totals[k]),
            threshold,
            days[k + 1 :],
            seed=seed + k,
            simulations=simulations,
        )
        projected_index = (
            None if projection.projected_on is None else days.index(projection.projected_on)
        )
        naive_index = _pace_index(float(totals[k]), threshold, k, start, len(days))
        checks.append(
            ProjectionCheck(
                as_of=days[k],
                projected_on=projection.projected_on,
                probability=projection.probability,
                reached_on=None if reached_index is None else days[reached_index],
                error_days=_difference(projected_index, reached_index),
                naive_on=None if naive_index is None else days[naive_index],
                naive_error_days=_difference(naive_index, reached_index),
            )
        )
    return checks


def _difference(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def _pace_index(so_far: float, threshold: float, k: int, start: int, count: int) -> int | None:
    """The working day (index) the average day since ``start`` carried on meets the threshold;
    None when it does not by the last of ``count`` days."""
    rate = so_far / (k - start + 1)
    if rate <= 0:
        return None
    index = k + math.ceil((threshold - so_far) / rate - EPSILON)
    return index if index < count else None


def projection_scores(checks: Sequence[ProjectionCheck]) -> dict[str, Any]:
    """The replayed projections in figures: the date's error in working days where both the
    projection and the outcome have one (absolute median, mean and 90th percentile; the signed
    mean: above zero, projected too late), the dates projected for a threshold not met by the
    horizon (false alarms) and the thresholds met without a projected date (misses), and the
    Brier score of "met by the horizon"; ``naive`` the same for the naive pace (the average
    working day so far, carried on)."""
    errors = np.asarray([c.error_days for c in checks if c.error_days is not None], dtype=float)
    hits = np.asarray([c.reached_on is not None for c in checks], dtype=float)
    probabilities = np.asarray([c.probability for c in checks], dtype=float)
    naive = np.asarray(
        [c.naive_error_days for c in checks if c.naive_error_days is not None], dtype=float
    )
    paced = np.asarray([c.naive_on is not None for c in checks], dtype=float)

    def rounded(value: float) -> float:
        return round(float(value), 2)

    return {
        "projections": len(checks),
        "met": int(hits.sum()),
        "with_both_dates": len(errors),
        "median_abs_error_days": rounded(np.median(np.abs(errors))) if len(errors) else None,
        "mean_abs_error_days": rounded(np.mean(np.abs(errors))) if len(errors) else None,
        "p90_abs_error_days": rounded(np.quantile(np.abs(errors), 0.9)) if len(errors) else None,
        "mean_error_days": rounded(np.mean(errors)) if len(errors) else None,
        "false_alarms": sum(1 for c in checks if c.projected_on and c.reached_on is None),
        "misses": sum(1 for c in checks if c.projected_on is None and c.reached_on is not None),
        "brier": round(float(np.mean((probabilities - hits) ** 2)), 4) if len(checks) else None,
        # the naive pace: met if the average day so far, carried on, meets it (0 or 1)
        "naive": {
            "with_both_dates": len(naive),
            "median_abs_error_days": rounded(np.median(np.abs(naive))) if len(naive) else None,
            "mean_abs_error_days": rounded(np.mean(np.abs(naive))) if len(naive) else None,
            "false_alarms": sum(1 for c in checks if c.naive_on and c.reached_on is None),
            "misses": sum(1 for c in checks if c.naive_on is None and c.reached_on is not None),
            "brier": round(float(np.mean((paced - hits) ** 2)), 4) if len(checks) else None,
        },
    }


def first_reached(daily: Sequence[tuple[dt.date, Decimal]], threshold: Decimal) -> dt.date | None:
    """The first day the running total of ``daily`` (in date order) meets ``threshold``."""
    total = ZERO
    for day, value in sorted(daily):
        total += value
        if total >= threshold:
            return day
    return None


# --- the commission cost of a sales-model mix (the lab's planner) ------------------------------


@dataclass(frozen=True)
class ModelTerms:
    """How one sales model's revenue is paid in a what-if: the tiers' pay on it times
    ``multiplier``, or (``flat`` not None) outside the tiers at a flat rate."""

    multiplier: Decimal = Decimal(1)
    flat: Decimal | None = None


@dataclass(frozen=True)
class MixCost:
    """The commission a mix of sales models costs over ``months``: in all and per model."""

    revenue: Decimal
    cost: Decimal
    by_model: dict[str, Decimal]
    revenue_by_model: dict[str, Decimal]

    @property
    def net(self) -> Decimal:
        return self.revenue - self.cost

    def per_yuan(self, model: str) -> Decimal | None:
        """Commission per ¥ of the model's revenue (None for a model without revenue)."""
        revenue = self.revenue_by_model.get(model, ZERO)
        return (self.by_model.get(model, ZERO) / revenue) if revenue > 0 else None


def rep_shares(targets: Sequence[Decimal]) -> list[Decimal]:
    """Each rep's share of the unit's revenue: in proportion to the targets, equal without any."""
    total = sum((max(t, ZERO) for t in targets), ZERO)
    if total <= 0:
        return [Decimal(1) / len(targets)] * len(targets) if targets else []
    return [max(t, ZERO) / total for t in targets]


def mix_cost(
    split: Mapping[str, Decimal],
    targets: Sequence[Decimal],
    tiers: Sequence[Tier],
    *,
    cap: Decimal | None = None,
    counted: Collection[str] | None = None,
    months: int = 3,
    terms: Mapping[str, ModelTerms] | None = None,
) -> MixCost:
    """The commission cost of a unit's revenue ``split`` per sales model over ``months``, its
    reps with monthly ``targets``: each rep achieves their share of every model's revenue
    (:func:`rep_shares`) evenly over the months, and is paid each month as a statement is
    (:func:`commission`: tiers on the target, the cap). Only the models in ``counted`` (None:
    all) count toward the plan. A model's share of a rep's tier pay is its share of the rep's
    counted revenue; a what-if ``terms`` scales it or pays the model flat outside the tiers."""
    terms = terms or {}
    revenue_by_model = {m: Decimal(v) for m, v in split.items()}
    by_model: dict[str, Decimal] = dict.fromkeys(split, ZERO)
    cost = ZERO
    in_tiers = [
        m
        for m in split
        if (counted is None or m in counted) and terms.get(m, ModelTerms()).flat is None
    ]
    for target, share in zip(targets, rep_shares(targets), strict=True):
        monthly = {m: fen(revenue_by_model[m] * share / months) for m in split}
        base = sum((monthly[m] for m in in_tiers), ZERO)
        tier_pay = sum((line.amount for line in tier_lines(base, target, tiers)), ZERO)
        paid: dict[str, Decimal] = {}
        for m in in_tiers:
            portion = tier_pay * monthly[m] / base if base > 0 else ZERO
            paid[m] = portion * terms.get(m, ModelTerms()).multiplier
        for m, t in terms.items():
            if t.flat is not None and m in monthly:  # paid flat even if the plan left it out
                paid[m] = fen(monthly[m] * t.flat)
        earned = sum(paid.values(), ZERO)
        scale = (cap / earned) if cap is not None and earned > cap else Decimal(1)
        for m, amount in paid.items():
            by_model[m] += amount * scale * months
        cost += fen(earned * scale) * months
    return MixCost(
        revenue=fen(sum(revenue_by_model.values(), ZERO)),
        cost=cost,
        by_model={m: fen(v) for m, v in by_model.items()},
        revenue_by_model=revenue_by_model,
    )
