import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories import kept_for_the_module
from tiejun.demo.generator import demo_build

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def _demo_data(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        demo_build(reps=60, months=6, today=TODAY)
        yield


@pytest.fixture
def demo(_demo_data, db):
    return _demo_data


def _run(*args):
    out = io.StringIO()
    call_command("forecast", "backtest", *args, stdout=out)
    return out.getvalue()


def test_backtest_prints_brier_scores_and_calibration(demo):
    text = _run("--months", "3", "--today", TODAY.isoformat(), "--simulations", "500")
    assert "Brier score (lower is better)" in text
    assert "Calibration: forecast" in text
    assert "Calibration: baseline" in text
    assert "2026-03, 2026-04, 2026-05" in text
    assert "a perfectly calibrated forecast shows" in text  # what the worst gap is worth


def test_forecast_beats_the_naive_baseline_on_the_demo(demo):
    data = json.loads(
        _run("--months", "4", "--today", TODAY.isoformat(), "--simulations", "500", "--json")
    )
    assert data["months"] == ["2026-02", "2026-03", "2026-04", "2026-05"]
    assert data["as_of_days"] == [5, 10, 15, 20]
    assert data["forecasts"] > 600
    assert {row["as_of_day"] for row in data["by_as_of_day"]} == {5, 10, 15, 20}
    assert sum(b["count"] for b in data["calibration"]["forecast"]) == data["forecasts"]
    assert {b["bucket"] for b in data["calibration"]["baseline"] if b["count"]} <= {
        "0.0-0.1", "0.9-1.0"
    }  # fmt: skip
    assert data["brier"]["forecast"] < data["brier"]["baseline"]
    # the worst decile gap, and beside it what a perfectly calibrated forecast of the same
    # probabilities shows on these counts by chance alone
    noise = data["calibration_noise"]
    assert data["calibration_error"] is not None
    assert 0 < noise["median"] <= noise["p90"] < 0.3
    # the same seed gives the same result
    again = json.loads(
        _run("--months", "4", "--today", TODAY.isoformat(), "--simulations", "500", "--json")
    )
    assert again == data


def test_backtest_bad_input_is_a_clear_error(demo):
    with pytest.raises(CommandError, match="as-of-days"):
        _run("--as-of-days", "five")
    with pytest.raises(CommandError, match="at least 1"):
        _run("--months", "0")
