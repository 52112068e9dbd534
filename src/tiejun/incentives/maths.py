"""Commission maths: marginal tiers on the month's target, a cap, clawbacks. Pure: no Django.

A tier ``(lower, upper, rate)`` covers completion from ``lower`` to ``upper`` (fractions of the
target; ``upper`` None is open-ended). Its rate applies to the part of the month's achieved
amount that falls between ``lower × target`` and ``upper × target``. Every amount is rounded
half-up to the fen on its own line; the total is the sum of the rounded lines, so a statement
adds up on paper. Values are ``Decimal`` throughout: this is money on the books.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

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
