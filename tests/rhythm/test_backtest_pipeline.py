"""The backtest replays the demo's pipeline as it stood on each as-of day."""

import datetime as dt

import pytest

from tiejun.demo.generator import demo_build
from tiejun.rhythm.backtest import forecast_backtest

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def demo(db):
    demo_build(reps=24, months=6, today=TODAY, history_years=1)


def test_the_demo_backtest_has_a_pipeline_and_learns_its_blend(demo):
    data = forecast_backtest(today=TODAY, months=4, simulations=300).to_json()
    pipe = data["pipeline"]
    assert pipe["forecasts_with_pipeline"] > data["forecasts"] / 3
    assert pipe["opportunities"] > 0
    # the first replayed month has nothing earlier to learn from; later ones do (walk-forward)
    learned = [m for m, blends in pipe["blends"].items() if blends]
    assert learned and min(learned) > data["months"][0]
    for blends in pipe["blends"].values():
        for blend in blends.values():
            assert blend["pipeline"] >= 0 and blend["run"] >= 0 and blend["spread"] >= 0
    assert pipe["brier"]["uncalibrated"] < pipe["brier"]["without_pipeline"]
