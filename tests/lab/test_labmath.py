import numpy as np
import pytest

from tiejun import labmath
from tiejun.labmath import Curve, Observation


def _company(seed=3, noise=0.25):
    rng = np.random.default_rng(seed)
    truth = {"visit": Curve(3000.0, 0.5), "salon": Curve(1500.0, 0.7)}
    rows = []
    for model, curve in truth.items():
        for u in range(20):
            hours = 200 * rng.lognormal(0, 0.5, 12)
            revenue = curve.revenue(hours) * rng.lognormal(-(noise**2) / 2, noise, 12)
            rows += [
                Observation(model, float(h), float(h) * 10, float(r), f"U{u}")
                for h, r in zip(hours, revenue, strict=True)
            ]
    return truth, rows


def test_fit_recovers_known_curves_within_tolerance():
    truth, rows = _company()
    fits = labmath.fit_all(rows, draws=100, seed=1)
    for model, curve in truth.items():
        fit = fits[model]
        assert fit.curve.b == pytest.approx(curve.b, abs=0.08)
        assert fit.curve.revenue(200) == pytest.approx(curve.revenue(200), rel=0.1)
        assert fit.cost_per_hour == pytest.approx(10)
        low, high = np.percentile([d.b for d in fit.draws], [1, 99])
        assert low < fit.curve.b < high
        assert low <= curve.b <= high


def test_too_few_cells_give_no_curve():
    rows = [Observation("visit", 10.0 + i, 0.0, 100.0 + i) for i in range(labmath.MIN_CELLS - 1)]
    assert labmath.fit_all(rows, draws=10) == {}


def test_fit_and_plan_are_deterministic_for_a_seed():
    _truth, rows = _company()
    a = labmath.fit_all(rows, draws=50, seed=7)
    b = labmath.fit_all(rows, draws=50, seed=7)
    assert [d.scale for d in a["visit"].draws] == [d.scale for d in b["visit"].draws]
    pa = labmath.plan(a, current_hours={"visit": 4000, "salon": 200}, cells=10)
    pb = labmath.plan(b, current_hours={"visit": 4000, "salon": 200}, cells=10)
    assert pa.recommended.hours == pb.recommended.hours
    assert pa.recommended.total.as_dict() == pb.recommended.total.as_dict()


def test_optimiser_respects_hours_budget_and_bounds():
    curves = {"visit": Curve(3000, 0.5), "salon": Curve(1500, 0.7), "online": Curve(900, 0.8)}
    cost = {"visit": 20.0, "salon": 120.0, "online": 40.0}
    hours, ok, _msg = labmath.optimise(
        curves,
        cost_per_hour=cost,
        total_hours=5000,
        budget=150_000,
        bounds={"visit": (1000, 4000), "online": (0, 800)},
        start={"visit": 4000, "salon": 500, "online": 500},
        cells=10,
    )
    assert ok
    assert sum(hours.values()) <= 5000 + 1e-6
    assert sum(hours[m] * cost[m] for m in hours) <= 150_000 * (1 + 1e-6)
    assert 1000 - 1e-6 <= hours["visit"] <= 4000 + 1e-6
    assert hours["online"] <= 800 + 1e-6


def test_recommended_mix_beats_or_equals_the_current_one():
    curves = {"visit": Curve(3000, 0.5), "salon": Curve(1500, 0.7)}
    current = {"visit": 4500.0, "salon": 500.0}
    hours, _ok, _msg = labmath.optimise(
        curves, cost_per_hour={}, total_hours=5000, start=current, cells=10
    )
    assert labmath.true_revenue(curves, hours, 10) >= labmath.true_revenue(curves, current, 10)
    # the optimum equalises marginal revenue per hour (an interior solution of a concave problem)
    assert curves["visit"].marginal(hours["visit"] / 10) == pytest.approx(
        curves["salon"].marginal(hours["salon"] / 10), rel=1e-3
    )
    # an already optimal start stays where it is
    again, _ok, _msg = labmath.optimise(
        curves, cost_per_hour={}, total_hours=5000, start=hours, cells=10
    )
    assert again["visit"] == pytest.approx(hours["visit"], rel=1e-4)


def test_plan_reports_both_mixes_with_intervals_and_marginals():
    _truth, rows = _company()
    fits = labmath.fit_all(rows, draws=100, seed=1)
    plan = labmath.plan(fits, current_hours={"visit": 4000, "salon": 100}, cells=20)
    for mix in (plan.current, plan.recommended):
        assert mix.total.low <= mix.total.mean <= mix.total.high
        assert set(mix.marginal_per_hour) == {"visit", "salon"}
    assert plan.recommended.total.mean >= plan.current.total.mean
    assert plan.recommended.hours["salon"] > 100  # salons are under-used at 5 h a cell
    assert labmath.biggest_move(plan.current.hours, plan.recommended.hours)[:2] == (
        "visit",
        "salon",
    )


def test_infeasible_bounds_are_reported():
    curves = {"visit": Curve(3000, 0.5), "salon": Curve(1500, 0.7)}
    _hours, ok, message = labmath.optimise(
        curves,
        cost_per_hour={},
        total_hours=100,
        bounds={"visit": (80, 100), "salon": (80, 100)},
        cells=1,
    )
    assert not ok
    assert "no allocation" in message
