"""The attribution rules on small hand-made histories (pure numpy, no database)."""

import numpy as np
import pytest

from tiejun.lab.attribution import NO_CYCLE, RULES, attribute

VISIT, SALON, ONLINE, PARTNER, OTHER = range(5)
WON = 1000  # the won day of every deal below


def run(deals, touches, rule, lookback=90):
    """deals: (customer, day, amount, fallback); touches: (id, customer, day, model)."""
    d = np.array(deals, dtype=np.int64).reshape(-1, 4)
    t = np.array(touches, dtype=np.int64).reshape(-1, 4)
    shares = attribute(
        deal_customer=d[:, 0],
        deal_day=d[:, 1],
        deal_amount=d[:, 2].astype(float),
        deal_fallback=d[:, 3],
        touch_id=t[:, 0],
        touch_customer=t[:, 1],
        touch_day=t[:, 2],
        touch_model=t[:, 3],
        rule=rule,
        lookback_days=lookback,
    )
    out = {}
    for deal, model, share, cycle in zip(
        shares.deal, shares.model, shares.share, shares.cycle_days, strict=True
    ):
        out[(int(deal), int(model))] = (round(float(share), 6), int(cycle))
    return out


# Customer 1: a visit before the look-back, then online, salon and visit (same day as the salon,
# imported after it). Customer 2: nothing. Touch ids are import order, deliberately unsorted.
HISTORY = [
    (10, 1, WON - 120, VISIT),  # outside the 90-day window
    (11, 1, WON - 60, ONLINE),
    (13, 1, WON - 5, VISIT),  # imported after the salon of the same day
    (12, 1, WON - 5, SALON),
    (14, 1, WON + 3, PARTNER),  # after the win: never counts
]
DEALS = [(1, WON, 1000, OTHER), (2, WON, 300, SALON)]


def test_last_touch_goes_wholly_to_the_latest_touch_ties_by_import_order():
    assert run(DEALS, HISTORY, "last_touch") == {
        (0, VISIT): (1000, 60),
        (1, SALON): (300, NO_CYCLE),
    }


def test_first_touch_goes_to_the_earliest_touch_in_the_window():
    assert run(DEALS, HISTORY, "first_touch") == {
        (0, ONLINE): (1000, 60),
        (1, SALON): (300, NO_CYCLE),
    }


def test_linear_shares_equally_per_touch():
    got = run(DEALS, HISTORY, "linear")
    assert got == {
        (0, ONLINE): (round(1000 / 3, 6), 60),
        (0, SALON): (round(1000 / 3, 6), 60),
        (0, VISIT): (round(1000 / 3, 6), 60),
        (1, SALON): (300, NO_CYCLE),
    }


def test_position_gives_40_20_40():
    got = run(DEALS, HISTORY, "position")
    assert got == {
        (0, ONLINE): (400, 60),
        (0, SALON): (200, 60),
        (0, VISIT): (400, 60),
        (1, SALON): (300, NO_CYCLE),
    }


def test_position_with_one_two_and_four_touches():
    touches = [
        (1, 1, WON - 1, VISIT),
        (2, 2, WON - 2, VISIT),
        (3, 2, WON - 1, ONLINE),
        (4, 3, WON - 4, SALON),
        (5, 3, WON - 3, VISIT),
        (6, 3, WON - 2, VISIT),
        (7, 3, WON - 1, PARTNER),
    ]
    deals = [(1, WON, 100, OTHER), (2, WON, 100, OTHER), (3, WON, 100, OTHER)]
    got = run(deals, touches, "position")
    assert got == {
        (0, VISIT): (100, 1),
        (1, VISIT): (50, 2),
        (1, ONLINE): (50, 2),
        (2, SALON): (40, 4),
        (2, VISIT): (20, 4),  # two middle touches of 10 each, the same model
        (2, PARTNER): (40, 4),
    }


def test_look_back_boundary_is_inclusive():
    touches = [(1, 1, WON - 91, SALON), (2, 1, WON - 90, ONLINE)]
    assert run([(1, WON, 500, OTHER)], touches, "first_touch") == {(0, ONLINE): (500, 90)}
    assert run([(1, WON, 500, OTHER)], touches, "first_touch", lookback=91) == {
        (0, SALON): (500, 91)
    }
    assert run([(1, WON, 500, OTHER)], touches, "last_touch", lookback=89) == {
        (0, OTHER): (500, NO_CYCLE)
    }


def test_a_touch_on_the_won_day_counts_and_ties_break_by_id():
    touches = [(8, 1, WON, ONLINE), (7, 1, WON, SALON)]
    assert run([(1, WON, 10, OTHER)], touches, "last_touch") == {(0, ONLINE): (10, 0)}
    assert run([(1, WON, 10, OTHER)], touches, "first_touch") == {(0, SALON): (10, 0)}


def test_every_rule_keeps_the_total_and_other_customers_apart():
    rng = np.random.default_rng(7)
    touches = [
        (i, int(rng.integers(1, 30)), WON - int(rng.integers(0, 150)), int(rng.integers(0, 5)))
        for i in range(400)
    ]
    deals = [
        (c, WON - int(rng.integers(0, 40)), int(rng.integers(1, 999)), OTHER) for c in range(1, 40)
    ]
    total = sum(d[2] for d in deals)
    for rule in RULES:
        got = run(deals, touches, rule)
        assert sum(v[0] for v in got.values()) == pytest.approx(total), rule
        assert {k[0] for k in got} == set(range(len(deals))), rule


def test_no_deals_and_no_touches():
    assert run([], [], "linear") == {}
    assert run([(1, WON, 5, PARTNER)], [], "position") == {(0, PARTNER): (5, NO_CYCLE)}


def test_unknown_rule():
    with pytest.raises(ValueError, match="unknown attribution"):
        run([], [], "middle_touch")
