import datetime as dt

import numpy as np
import pytest

from tiejun import forecast as fc


def test_same_seed_same_forecast_and_another_seed_differs():
    history = [0, 0, 1000, 0, 2500, 0, 800, 0, 0, 3000] * 3
    a = fc.forecast_month_end(history, 5000, 10, 12000, seed=7)
    b = fc.forecast_month_end(history, 5000, 10, 12000, seed=7)
    c = fc.forecast_month_end(history, 5000, 10, 12000, seed=8)
    assert a == b
    assert a != c


def test_bounds_percentiles_and_expected():
    history = [0.0, 100.0, 200.0]
    f = fc.forecast_month_end(history, 1000, 5, 1500, seed=1, simulations=4000)
    # every simulated month-end lies between "nothing more" and "the best day every day"
    assert 1000 <= f.p10 <= f.p50 <= f.p90 <= 1000 + 5 * 200
    assert f.expected == pytest.approx(1000 + 5 * 100, rel=0.05)
    assert 0.0 <= f.probability <= 1.0
    assert f.simulations == 4000
    assert f.own_days == 3


def test_zero_remaining_days_is_certain():
    history = [500.0] * 20
    hit = fc.forecast_month_end(history, 10_000, 0, 10_000, pipeline=[(9999, 1.0)])
    miss = fc.forecast_month_end(history, 9_999.5, 0, 10_000)
    assert hit.probability == 1.0
    assert miss.probability == 0.0
    assert hit.expected == hit.p10 == hit.p90 == 10_000  # the pipeline cannot close any more


def test_probability_falls_as_the_target_rises():
    history = [0, 0, 300, 0, 1200, 0, 0, 500, 0, 2000] * 6
    probabilities = [
        fc.forecast_month_end(history, 2000, 12, target, seed=3).probability
        for target in range(0, 20001, 1000)
    ]
    assert probabilities[0] == 1.0
    assert probabilities == sorted(probabilities, reverse=True)
    assert probabilities[-1] < 0.05


def test_without_a_target_there_is_no_probability():
    f = fc.forecast_month_end([100.0], 0, 3)
    assert f.probability is None
    assert f.target is None


def test_empty_history_falls_back_to_the_team():
    team = [1000.0] * 30
    alone = fc.forecast_month_end([], 0, 10, 5000, seed=1)
    with_team = fc.forecast_month_end([], 0, 10, 5000, fallback=team, seed=1)
    assert alone.expected == 0 and alone.probability == 0.0
    assert with_team.expected == 10_000
    assert with_team.probability == 1.0
    assert with_team.own_days == 0


def test_a_short_history_is_shrunk_toward_the_team():
    own = [5000.0] * 2  # two great days
    team = [0.0] * 100
    short = fc.forecast_month_end(own, 0, 10, seed=2, simulations=5000)
    shrunk = fc.forecast_month_end(own, 0, 10, fallback=team, seed=2, simulations=5000)
    long_own = fc.forecast_month_end(own * 30, 0, 10, fallback=team, seed=2, simulations=5000)
    assert short.expected == 50_000
    # 2 own days against 10 of the team's: about a sixth of the days come from the rep
    assert shrunk.expected == pytest.approx(50_000 * 2 / 12, rel=0.1)
    assert long_own.expected == pytest.approx(50_000 * 60 / 70, rel=0.05)


def test_recent_days_weigh_more():
    old_good_recent_bad = [1000.0] * 30 + [0.0] * 30
    f = fc.forecast_month_end(old_good_recent_bad, 0, 10, seed=4, half_life=10)
    flat = fc.forecast_month_end(old_good_recent_bad, 0, 10, seed=4, half_life=0)
    assert f.expected < 0.25 * flat.expected
    assert flat.expected == pytest.approx(5000, rel=0.05)
    weights = fc.recency_weights(3, half_life=1)
    assert weights.tolist() == pytest.approx([0.25 / 1.75, 0.5 / 1.75, 1 / 1.75])


def test_pipeline_adds_deals_with_their_probability():
    sure = fc.forecast_month_end([0.0] * 10, 0, 5, 1000, pipeline=[(1000, 1.0)], seed=1)
    never = fc.forecast_month_end([0.0] * 10, 0, 5, 1000, pipeline=[(1000, 0.0)], seed=1)
    half = fc.forecast_month_end(
        [0.0] * 10, 0, 5, 1000, pipeline=[(1000, 0.5)], seed=1, simulations=10_000
    )
    assert sure.probability == 1.0
    assert never.probability == 0.0
    assert half.probability == pytest.approx(0.5, abs=0.03)


def test_simulate_remaining_returns_one_sum_per_simulation():
    future = fc.simulate_remaining([1.0, 2.0], 3, seed=0, simulations=50)
    assert isinstance(future, np.ndarray)
    assert future.shape == (50,)
    assert set(future.tolist()) <= {3.0, 4.0, 5.0, 6.0}


def test_history_values_fills_zeros_and_skips_days_before_the_start():
    days = [dt.date(2026, 6, d) for d in (1, 2, 3, 4)]
    daily = {dt.date(2026, 6, 2): 50.0, dt.date(2026, 6, 4): 10.0}
    assert fc.history_values(daily, days) == [0.0, 50.0, 0.0, 10.0]
    assert fc.history_values(daily, days, since=dt.date(2026, 6, 3)) == [0.0, 10.0]


def test_naive_baseline_extrapolates_the_pace():
    assert fc.naive_forecast(500, 5, 20, 2000) == 1.0  # 500 / 5 * 20 = 2000
    assert fc.naive_forecast(499, 5, 20, 2000) == 0.0
    assert fc.naive_forecast(0, 0, 20, 1) == 0.0
    assert fc.naive_forecast(2000, 20, 20, 2000) == 1.0


def test_brier_score_and_calibration_table():
    pairs = [(1.0, True), (0.0, False), (0.5, True), (0.5, False), (0.95, False)]
    assert fc.brier_score(pairs) == pytest.approx((0 + 0 + 0.25 + 0.25 + 0.9025) / 5)
    assert fc.brier_score([]) is None
    table = fc.calibration_table(pairs, buckets=10)
    assert len(table) == 10
    assert [b.count for b in table] == [1, 0, 0, 0, 0, 2, 0, 0, 0, 2]
    top = table[-1]
    assert top.mean_forecast == pytest.approx(0.975)
    assert top.hit_rate == 0.5
    assert table[5].hit_rate == 0.5
    assert table[1].mean_forecast is None


def test_stable_seed_is_stable():
    assert fc.stable_seed("HZ1", "R1", "2026-06-10") == fc.stable_seed("HZ1", "R1", "2026-06-10")
    assert fc.stable_seed("HZ1", "R1", "2026-06-10") != fc.stable_seed("HZ1", "R2", "2026-06-10")
