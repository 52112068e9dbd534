import datetime as dt
import itertools

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


def test_a_new_team_is_forecast_from_the_month_so_far():
    # given: a rep of a brand-new team (no past days, theirs or the team's) who sold 50,000 in
    # the first 10 working days of 20, against a target of 80,000
    def forecast(achieved: float) -> fc.Forecast:
        rest = fc.simulate_remaining(
            [], 10, seed=1, simulations=2000, rate_drift=fc.RATE_DRIFT, pace=(achieved, 10)
        )
        return fc.summarise(achieved, rest, 80000.0, remaining_days=10)

    ahead = forecast(50000.0)
    # then: the month so far carries on (about 100,000 expected), not "nothing more"
    assert ahead.expected == pytest.approx(100000, rel=0.1)
    assert ahead.probability is not None and ahead.probability > 0.7
    # and without a sale yet there is still nothing to go on
    idle = forecast(0.0)
    assert idle.expected == 0 and idle.probability == 0


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


# --- recalibration, the month's shape, the pace, the spread ------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.floats(0.1, 5)),
        min_size=1,
        max_size=40,
    )
)
def test_pool_adjacent_violators_is_monotone_and_keeps_the_weighted_mean(points):
    values = [v for v, _ in points]
    weights = [w for _, w in points]
    blocks = fc.pool_adjacent_violators(values, weights)
    means = [m for m, _w, _n in blocks]
    assert all(a < b for a, b in itertools.pairwise(means))
    assert sum(n for _m, _w, n in blocks) == len(values)
    total = sum(w for _m, w, _n in blocks)
    assert total == pytest.approx(sum(weights))
    assert sum(m * w for m, w, _n in blocks) == pytest.approx(
        sum(v * w for v, w in zip(values, weights, strict=True))
    )


def test_pool_adjacent_violators_pools_a_decreasing_pair():
    assert fc.pool_adjacent_violators([0.0, 1.0, 0.0, 1.0]) == [
        (0.0, 1.0, 1),
        (0.5, 2.0, 2),
        (1.0, 1.0, 1),
    ]


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=20, max_size=200))
def test_a_fitted_map_never_decreases_and_stays_a_probability(pairs):
    calibrator = fc.fit_calibrator(pairs, minimum=1)
    grid = np.linspace(0, 1, 41)
    mapped = [calibrator.apply(float(p)) for p in grid]
    assert all(0.0 <= m <= 1.0 for m in mapped)
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(mapped))


def _overconfident(n=4000, seed=3):
    """Forecasts whose truth is pulled toward the middle: 3 % really is about 10 %."""
    rng = np.random.default_rng(seed)
    given_p = rng.random(n) ** 2
    truth = 0.1 + 0.8 * given_p
    return [(float(p), bool(u < t)) for p, t, u in zip(given_p, truth, rng.random(n), strict=True)]


def test_recalibration_mends_overconfident_forecasts():
    train, test = _overconfident(seed=3), _overconfident(seed=4)
    calibrator = fc.fit_calibrator(train)
    assert calibrator.count == len(train)
    assert calibrator.apply(0.03) == pytest.approx(0.1 + 0.8 * 0.03, abs=0.04)
    assert calibrator.apply(0.95) == pytest.approx(0.1 + 0.8 * 0.95, abs=0.05)
    before = fc.brier_score(test)
    after = fc.brier_score([(calibrator.apply(p), hit) for p, hit in test])
    assert after < before
    for bucket in fc.calibration_table([(calibrator.apply(p), hit) for p, hit in test]):
        if bucket.count >= 300:
            assert abs(bucket.hit_rate - bucket.mean_forecast) < 0.05


def test_too_few_backtest_forecasts_leave_the_probabilities_alone():
    calibrator = fc.fit_calibrator(_overconfident(n=50))
    assert calibrator is fc.IDENTITY
    assert calibrator.apply(0.37) == 0.37
    assert calibrator.interval(0.37) is None


def test_a_calibrator_round_trips_through_json_and_rejects_a_broken_map():
    calibrator = fc.fit_calibrator(_overconfident())
    again = fc.Calibrator.from_json(calibrator.to_json())
    for p in (0.0, 0.1, 0.42, 0.9, 1.0):
        assert again.apply(p) == pytest.approx(calibrator.apply(p), abs=1e-3)
    with pytest.raises(ValueError, match="must not decrease"):
        fc.Calibrator.from_json({"xs": [0.1, 0.5], "ys": [0.6, 0.2]})
    with pytest.raises(ValueError, match="differ in length"):
        fc.Calibrator.from_json({"xs": [0.1, 0.5], "ys": [0.2]})


def test_the_range_holds_the_probability_and_narrows_with_evidence():
    low, high = fc.wilson(0.3, 20)
    assert low < 0.3 < high
    low2, high2 = fc.wilson(0.3, 2000)
    assert low < low2 < 0.3 < high2 < high
    assert fc.wilson(0.5, 0) == (0.0, 1.0)
    calibrator = fc.fit_calibrator(_overconfident())
    span = calibrator.interval(0.5)
    assert span is not None and span[0] <= calibrator.apply(0.5) <= span[1]


def test_the_pace_moves_the_rate_as_far_as_the_days_elapsed_allow():
    assert fc.pace_factor(1000, 5000, 5) == 1.0  # on the history's pace
    ahead = fc.pace_factor(1000, 10000, 5)  # twice the pace after 5 days, against 10 of prior
    assert ahead == pytest.approx((5 * 2 + 10) / 15)
    assert fc.pace_factor(1000, 20000, 10) > ahead  # more days at a high pace: more belief
    assert fc.pace_factor(1000, 0, 5) < 1.0
    assert fc.pace_factor(0, 5000, 5) == 1.0  # no history rate: nothing to move
    assert fc.pace_factor(1000, 5000, 0) == 1.0


def test_learned_shape_finds_the_month_end_rush_and_shrinks_little_data():
    rows = [("mid", 100.0)] * 400 + [("end1", 300.0)] * 100 + [("start1", 50.0)] * 2
    shape = fc.learn_shape(rows)
    assert shape["end1"] > 2.0 * shape["mid"]
    assert 0.5 < shape["start1"] < 1.0  # two days only: pulled most of the way to 1
    assert fc.learn_shape([]) == {}
    assert fc.shape_key(0, 21) == "start1" and fc.shape_key(20, 21) == "end1"
    assert fc.shape_key(10, 21) == "mid" and fc.shape_key(16, 21) == "end5"


def test_the_rate_spread_widens_for_short_histories_only():
    short = fc.rate_sigma([1000, 0, 500])
    long = fc.rate_sigma([1000, 0, 500] * 40)
    assert short > long > fc.RATE_DRIFT
    history = [1000.0, 0.0, 500.0, 800.0] * 15
    plain = fc.simulate_remaining(history, 10, seed=1)
    spread = fc.simulate_remaining(history, 10, seed=1, rate_drift=fc.RATE_DRIFT)
    assert spread.mean() == pytest.approx(plain.mean(), rel=0.05)  # mean-one factors
    assert np.percentile(spread, 90) - np.percentile(spread, 10) > np.percentile(
        plain, 90
    ) - np.percentile(plain, 10)


def test_a_common_factor_makes_team_mates_move_together():
    common = fc.common_factors(7, 3000, sigma=0.3)
    assert np.array_equal(common, fc.common_factors(7, 3000, sigma=0.3))
    a = fc.simulate_remaining([1000.0, 0.0] * 20, 10, seed=1, simulations=3000, common=common)
    b = fc.simulate_remaining([1000.0, 0.0] * 20, 10, seed=2, simulations=3000, common=common)
    c = fc.simulate_remaining([1000.0, 0.0] * 20, 10, seed=2, simulations=3000)
    assert np.corrcoef(a, b)[0, 1] > 0.3
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.1


def test_the_future_shape_weighs_the_days_left():
    flat = fc.simulate_remaining([1000.0] * 20, 4, seed=0, simulations=10)
    rush = fc.simulate_remaining(
        [1000.0] * 20, 4, seed=0, simulations=10, future_shape=[1, 1, 2, 2]
    )
    assert np.allclose(flat, 4000.0) and np.allclose(rush, 6000.0)
    paced = fc.simulate_remaining([1000.0] * 20, 4, seed=0, simulations=10, pace=(10000.0, 5.0))
    assert np.allclose(paced, 4000.0 * fc.pace_factor(1000.0, 10000.0, 5.0))
