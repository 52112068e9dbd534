"""The commission core against a straightforward recomputation: tier by tier, in fen."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiejun.incentives.maths import (
    Tier,
    TierError,
    check_tiers,
    clawback_of,
    commission,
    fen,
    first_reached,
    project_threshold,
)

STANDARD = [
    Tier(Decimal(0), Decimal("0.8"), Decimal("0.03")),
    Tier(Decimal("0.8"), Decimal(1), Decimal("0.05")),
    Tier(Decimal(1), None, Decimal("0.08")),
]

money = st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False)
small = st.decimals(min_value=0, max_value=1000, places=2)  # counted fen by fen
rates = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)


@st.composite
def ladders(draw):
    """1–5 tiers from 0 up, rising bounds, the last open or closed."""
    n = draw(st.integers(1, 5))
    cuts = sorted(
        draw(
            st.lists(
                st.decimals(min_value="0.01", max_value=3, places=2),
                min_size=n,
                max_size=n,
                unique=True,
            )
        )
    )
    open_last = draw(st.booleans())
    bounds = [Decimal(0), *cuts]
    tiers = []
    for i in range(n):
        upper = None if (i == n - 1 and open_last) else bounds[i + 1]
        tiers.append(Tier(bounds[i], upper, draw(rates)))
    return tiers


def to_fen(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def straightforward(achieved: Decimal, target: Decimal, tiers: list[Tier]) -> list[Decimal]:
    """Each tier's amount the long way: how many fen of [0, achieved] lie between its bounds
    (in fen), counted fen by fen for small amounts, and that times its rate, rounded."""
    amounts = []
    for tier in tiers:
        lo = to_fen(tier.lower * target)
        hi = None if tier.upper is None else to_fen(tier.upper * target)
        if target <= 0:
            part = Decimal(0)
        elif achieved <= 1000:
            fens = int(achieved * 100)
            inside = sum(1 for f in range(fens) if lo * 100 <= f and (hi is None or f < hi * 100))
            part = Decimal(inside) / 100
        else:
            top = achieved if hi is None else min(achieved, hi)
            part = max(top - lo, Decimal(0))
        amounts.append(to_fen(part * tier.rate))
    return amounts


def test_the_issues_example():
    # target 100,000, achieved 120,000: 80,000 × 3 % + 20,000 × 5 % + 20,000 × 8 %
    figures = commission(Decimal(120000), Decimal(100000), STANDARD)
    assert [line.base for line in figures.lines] == [Decimal(80000), Decimal(20000), Decimal(20000)]
    assert [line.amount for line in figures.lines] == [Decimal(2400), Decimal(1000), Decimal(1600)]
    assert figures.total == Decimal(5000)


def test_half_up_per_line():
    # 0.5 × 3 % = 0.015 → 0.02 (half-up), not 0.01 (banker's)
    figures = commission(Decimal("0.50"), Decimal(100), STANDARD)
    assert figures.lines[0].amount == Decimal("0.02")
    assert fen(Decimal("-0.005")) == Decimal("-0.01")


def test_tier_edges_exactly():
    # achieved exactly at 80 % pays only the first tier; one fen more enters the second
    at_edge = commission(Decimal(80000), Decimal(100000), STANDARD)
    assert [line.base for line in at_edge.lines] == [Decimal(80000), 0, 0]
    above = commission(Decimal("80000.01"), Decimal(100000), STANDARD)
    assert above.lines[1].base == Decimal("0.01")


def test_no_target_pays_nothing_by_tier():
    figures = commission(Decimal(50000), Decimal(0), STANDARD)
    assert figures.total == 0


@settings(max_examples=300, deadline=None)
@given(achieved=small | money, target=small | money, tiers=ladders())
def test_tiers_match_a_straightforward_walk(achieved, target, tiers):
    figures = commission(achieved, target, tiers)
    expected = straightforward(achieved, target, tiers)
    assert [line.amount for line in figures.lines] == expected
    assert figures.total == sum(expected, Decimal(0))
    # the bases add up to what the ladder covers of achieved
    top = tiers[-1].upper
    covered = achieved if top is None or target <= 0 else min(achieved, to_fen(top * target))
    if target > 0:
        assert sum(line.base for line in figures.lines) == fen(covered)


@settings(max_examples=200, deadline=None)
@given(achieved=money, target=money, tiers=ladders(), cap=money)
def test_cap_limits_the_month(achieved, target, tiers, cap):
    uncapped = commission(achieved, target, tiers)
    capped = commission(achieved, target, tiers, cap=cap)
    assert capped.total == min(uncapped.total, cap)
    assert capped.capped_by == max(uncapped.total - cap, 0)


@settings(max_examples=200, deadline=None)
@given(achieved=money, target=money, tiers=ladders(), more=money)
def test_more_achieved_never_pays_less(achieved, target, tiers, more):
    assert (
        commission(achieved + more, target, tiers).total
        >= commission(achieved, target, tiers).total
    )


@settings(max_examples=200, deadline=None)
@given(after=money, reduction=money, target=money, tiers=ladders(), cap=st.none() | money)
def test_clawback_is_what_the_month_paid_on_the_reduction(after, reduction, target, tiers, cap):
    amount = clawback_of(
        achieved_after=after, reduction=reduction, target=target, tiers=tiers, cap=cap
    )
    paid_before = sum(straightforward(after + reduction, target, tiers), Decimal(0))
    paid_after = sum(straightforward(after, target, tiers), Decimal(0))
    if cap is not None:
        paid_before, paid_after = min(paid_before, cap), min(paid_after, cap)
    assert amount == paid_before - paid_after
    assert amount >= 0
    # charged in the month of the correction, on top of that month's own figures
    month = commission(Decimal(1000), Decimal(1000), tiers, clawback=amount)
    assert month.total == commission(Decimal(1000), Decimal(1000), tiers).total - amount


def test_override_and_cap_together():
    figures = commission(
        Decimal(0),
        Decimal(100000),
        STANDARD,
        override_base=Decimal(500000),
        override_rate=Decimal("0.01"),
        cap=Decimal(3000),
    )
    assert figures.override == Decimal(5000)
    assert figures.capped_by == Decimal(2000)
    assert figures.total == Decimal(3000)


@pytest.mark.parametrize(
    ("tiers", "why"),
    [
        ([], "at least one"),
        ([Tier(Decimal("0.1"), None, Decimal("0.1"))], "start at 0"),
        ([Tier(Decimal(0), None, Decimal("0.1")), Tier(Decimal(1), None, Decimal("0.1"))], "open"),
        (
            [
                Tier(Decimal(0), Decimal("0.5"), Decimal("0.1")),
                Tier(Decimal("0.6"), None, Decimal(0)),
            ],
            "start",
        ),
        ([Tier(Decimal(0), Decimal(1), Decimal("1.5"))], "rate"),
    ],
)
def test_bad_ladders_are_refused(tiers, why):
    with pytest.raises(TierError, match=why):
        check_tiers(tiers)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.decimals(min_value=0, max_value=50000, places=2), min_size=1, max_size=60),
    threshold=st.decimals(min_value="0.01", max_value=10**6, places=2),
)
def test_first_reached_is_the_first_day_the_running_total_meets_it(values, threshold):
    start = dt.date(2026, 1, 1)
    daily = [(start + dt.timedelta(days=i), v) for i, v in enumerate(values)]
    day = first_reached(list(reversed(daily)), threshold)  # order of input does not matter
    running = Decimal(0)
    expected = None
    for d, v in daily:
        running += v
        if running >= threshold:
            expected = d
            break
    assert day == expected


def test_projection_at_a_steady_pace_is_exact():
    # 10,000 every working day, 40,000 to go: the fourth remaining day, certainly
    days = [dt.date(2026, 12, d) for d in (17, 18, 21, 22, 23, 24)]
    projection = project_threshold([10000.0] * 20, 960000.0, 1000000.0, days, seed=1)
    assert projection.projected_on == dt.date(2026, 12, 22)
    assert projection.probability == 1.0


def test_projection_out_of_reach():
    days = [dt.date(2026, 12, d) for d in (17, 18)]
    projection = project_threshold([100.0] * 20, 0.0, 1000000.0, days, seed=1)
    assert projection.projected_on is None
    assert projection.probability == 0.0


def test_projection_with_a_spread_gives_a_probability_between():
    days = [dt.date(2026, 12, 17) + dt.timedelta(days=i) for i in range(10)]
    # half the days 0, half 20,000: 10 draws reach 100,000 when at least 5 are 20,000
    projection = project_threshold([0.0, 20000.0] * 10, 0.0, 100000.0, days, seed=3)
    assert 0.5 < projection.probability < 0.75
    assert projection.projected_on in days[-2:]  # about half the paths need 9 or 10 days
