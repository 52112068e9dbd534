"""The forecast's recalibration: the backtest's new figures, the stored map, the track record."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.rhythm.test_views import Q
from tests.rhythm.test_views import company as company  # the page's fixture
from tiejun import forecast as fc
from tiejun.demo.shapes import build_shape
from tiejun.errors import TiejunError
from tiejun.org.models import Unit, UnitKind
from tiejun.org.selectors import work_calendar
from tiejun.rhythm.backtest import forecast_backtest
from tiejun.rhythm.models import ForecastCalibration
from tiejun.rhythm.selectors.review import review_for_unit
from tiejun.rhythm.services import calibration_refit
from tiejun.scoreboard.models import Fact
from tiejun.targets.models import Target

TODAY = dt.date(2026, 6, 15)


def _as_of_days(*months):
    """How many as-of days (5, 10, 15, 20) each month has before its last working day."""
    calendar = work_calendar()
    return sum(1 for m in months for k in (5, 10, 15, 20) if k < len(calendar.month_workdays(m)))


@pytest.fixture
def pushy(db):
    """24 reps in 3 teams, 8 months up to mid-June, who sell most at month-end."""
    return build_shape("push", reps=24, months=8, seed=3, today=TODAY)


def _run(*args):
    out = io.StringIO()
    call_command("forecast", *args, stdout=out)
    return out.getvalue()


def test_backtest_reports_units_and_the_uncalibrated_forecast(pushy):
    data = json.loads(
        _run(
            "backtest", "--months", "2", "--today", TODAY.isoformat(),
            "--simulations", "300", "--json",
        )
    )  # fmt: skip
    assert data["months"] == ["2026-04", "2026-05"]
    assert data["calibration_months"] == ["2026-01", "2026-02", "2026-03"]
    days = _as_of_days(dt.date(2026, 4, 1), dt.date(2026, 5, 1))
    assert days == 7  # May 2026 has 19 working days: no forecast on its 20th
    assert data["forecasts"] == 24 * days
    assert set(data["brier"]) >= {"forecast", "baseline", "uncalibrated", "ratio"}
    assert data["brier"]["ratio"] == pytest.approx(
        data["brier"]["forecast"] / data["brier"]["baseline"], abs=2e-3
    )
    # 168 rep forecasts: no decile holds 100, so neither a gap nor its noise is given
    assert data["calibration_error"] is None and data["calibration_noise"] is None
    units = data["units"]
    assert units["forecasts"] == 3 * days  # three teams, each forecast as its reps' sum
    assert sum(b["count"] for b in units["calibration"]["forecast"]) == units["forecasts"]
    assert units["brier"]["forecast"] is not None
    # the recalibrated probabilities are not the simulation's own
    assert data["calibration"]["forecast"] != data["calibration"]["uncalibrated"]
    assert data["brier"]["forecast"] < data["brier"]["baseline"]


def test_each_month_is_recalibrated_on_earlier_months_only(pushy):
    result = forecast_backtest(today=TODAY, months=2, simulations=300, calibration_months=3)
    people = [o for o in result.training if o.level == "person"]
    first = [o for o in result.outcomes if o.level == "person" and o.month == result.months[0]]
    fitted = fc.shrink(fc.fit_calibrator([(o.raw, o.hit) for o in people]))  # half the map
    assert fitted.xs  # enough replayed forecasts to fit on
    assert all(o.probability == pytest.approx(fitted.apply(o.raw)) for o in first)
    # with no calibration months the forecast is the simulation's own
    plain = forecast_backtest(today=TODAY, months=2, simulations=300, calibration_months=0)
    assert all(o.probability == o.raw for o in plain.outcomes)
    assert plain.training == []


def test_calibrate_stores_a_new_version_each_time(pushy):
    first = calibration_refit(today=TODAY, simulations=300)
    assert first is not None and first.version == 1
    person_map = fc.Calibrator.from_json(first.person_map)
    # fitted on the replayed forecasts made the way the review now makes them (with the blend)
    assert person_map.xs and 0 < person_map.count <= first.count
    assert first.blends and set(first.blends) <= {"5", "10", "15", "20"}
    # the track record: the last quarter's forecasts, every one of them counted once
    assert first.scores["track_months"] == ["2026-03", "2026-04", "2026-05"]
    quarter = _as_of_days(dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1))
    assert sum(row["count"] for row in first.track_record) == 24 * quarter
    second = calibration_refit(today=TODAY, simulations=300)
    assert second.version == 2
    assert ForecastCalibration.objects.count() == 2


def test_the_review_uses_the_newest_map_and_shows_ranges(pushy):
    team = Unit.objects.filter(kind=UnitKind.TEAM).order_by("code").first()
    before = review_for_unit(team, day=TODAY).to_json()
    assert before["track_record"] is None and before["calibration_version"] is None
    assert all(r["probability_range"] is None for r in before["risks"])
    calibration = calibration_refit(today=TODAY, simulations=300)
    # the maps alone first: without its blends the forecast is the one before, recalibrated
    blends = calibration.blends
    ForecastCalibration.objects.filter(pk=calibration.pk).update(blends={})
    after = review_for_unit(team, day=TODAY).to_json()
    ForecastCalibration.objects.filter(pk=calibration.pk).update(blends=blends)
    assert after["calibration_version"] == calibration.version
    assert after["track_record"]["months"] == ["2026-03", "2026-04", "2026-05"]
    person_map = fc.Calibrator.from_json(calibration.person_map)
    raw = {r["code"]: r["probability"] for r in before["rows"]}
    for row in after["rows"]:
        assert row["probability"] == pytest.approx(person_map.apply(raw[row["code"]]), abs=1e-4)
    ranged = [
        r for r in after["risks"] if r["subject"] == "person" and r["probability"] is not None
    ]
    assert ranged, "the pushy team has reps at risk mid-month"
    for risk in ranged:
        low, high = risk["probability_range"]
        assert low <= risk["probability"] <= high


def test_the_review_forecasts_with_the_stored_blend(pushy):
    # given: a stored fit whose blend weighs neither the pipeline nor the pace (identity maps)
    team = Unit.objects.filter(kind=UnitKind.TEAM).order_by("code").first()
    before = review_for_unit(team, day=TODAY).to_json()
    ForecastCalibration.objects.create(
        metric="revenue",
        version=1,
        fitted_on=TODAY,
        months="2026-03 … 2026-05",
        count=0,
        blends={"10": {"pipeline": 0.0, "run": 0.0, "spread": 0.0, "count": 200}},
    )
    # when
    after = review_for_unit(team, day=TODAY).to_json()
    # then: the rest of the month is nothing, for every rep: the month ends where it stands
    assert any(r["forecast"]["expected"] != r["achieved"] for r in before["rows"])
    for row in after["rows"]:
        assert row["forecast"]["expected"] == row["achieved"]


def test_a_stored_blend_that_is_not_one_is_ignored(pushy):
    team = Unit.objects.filter(kind=UnitKind.TEAM).order_by("code").first()
    before = review_for_unit(team, day=TODAY).to_json()
    ForecastCalibration.objects.create(
        metric="revenue", version=1, fitted_on=TODAY, months="", count=0,
        blends={"10": {"pipeline": -1, "run": "x"}},
    )  # fmt: skip
    after = review_for_unit(team, day=TODAY).to_json()
    assert [r["forecast"] for r in after["rows"]] == [r["forecast"] for r in before["rows"]]


def test_the_review_page_says_the_track_record_in_plain_words(client, company):
    ForecastCalibration.objects.create(
        metric="revenue",
        version=3,
        fitted_on=dt.date(2026, 6, 1),
        months="2026-03 … 2026-05",
        count=400,
        person_map={"xs": [0.0, 0.5, 1.0], "ys": [0.1, 0.5, 0.9], "ns": [100, 200, 100]},
        unit_map={},
        scores={"track_months": ["2026-03", "2026-04", "2026-05"]},
        track_record=[
            {"low": 0.2, "high": 0.3, "count": 120, "mean_forecast": 0.298, "hit_rate": 0.31},
            {"low": 0.9, "high": 1.0, "count": 80, "mean_forecast": 0.97, "hit_rate": 0.95},
            {"low": 0.5, "high": 0.6, "count": 3, "mean_forecast": 0.55, "hit_rate": 1.0},
        ],
    )
    client.force_login(company.manager)
    html = client.get("/rhythm/review/HZ1/" + Q).content.decode()
    assert "Of the 120 reps we gave about 30%, 31% made it." in html
    assert "Of the 80 reps we gave about 97%, 95% made it." in html
    assert "Of the 3 reps" not in html  # too few to say anything
    assert "2026-03, 2026-04, 2026-05" in html
    assert "calibration version 3" in html
    assert "Chance of reaching the target:" in html and "(likely " in html


def test_calibrate_command_and_its_errors(pushy):
    text = _run("calibrate", "--today", TODAY.isoformat(), "--simulations", "300")
    assert "version 1" in text
    data = json.loads(
        _run("calibrate", "--today", TODAY.isoformat(), "--simulations", "300", "--json")
    )
    assert data["version"] == 2 and data["forecasts"] > 0
    with pytest.raises(CommandError, match="unknown metric"):
        _run("calibrate", "--metric", "nonsense")
    with pytest.raises(CommandError, match="calibration-months"):
        _run("backtest", "--calibration-months", "-1")
    assert ForecastCalibration.objects.count() == 2


def test_calibrate_on_an_empty_database_says_so(db):
    with pytest.raises(CommandError, match="No forecasts to recalibrate on"):
        _run("calibrate", "--today", TODAY.isoformat())
    assert not ForecastCalibration.objects.exists()


# --- the generated histories ------------------------------------------------------------


def test_shapes_write_targets_and_facts_and_refuse_bad_input(pushy):
    assert pushy.reps == 24 and pushy.first_month == dt.date(2025, 11, 1)
    assert Target.objects.filter(person__isnull=False, month=dt.date(2026, 5, 1)).count() == 24
    may = Fact.objects.filter(day__month=5, day__year=2026)
    assert may.exists()
    # the push: the month's last three working days bring in far more than three average days
    assert Fact.objects.filter(day__gt=TODAY).count() == 0
    with pytest.raises(TiejunError, match="already has an org tree"):
        build_shape("lumpy", today=TODAY)


def test_unknown_shape_or_too_small_is_refused(db):
    with pytest.raises(TiejunError, match="unknown shape"):
        build_shape("spiky", today=TODAY)
    with pytest.raises(TiejunError, match="at least 8 reps"):
        build_shape("lumpy", reps=3, today=TODAY)
    assert not Unit.objects.exists()


def test_demo_command_builds_a_shape_and_leaves_the_demo_alone(db):
    out = io.StringIO()
    call_command(
        "demo", "--shape", "festival", "--reps", "16", "--months", "4",
        "--today", TODAY.isoformat(), stdout=out,
    )  # fmt: skip
    assert "Built a festival history" in out.getvalue()
    feb = sum(
        float(v)
        for v in Fact.objects.filter(day__month=2, day__year=2026).values_list("value", flat=True)
    )
    mar = sum(
        float(v)
        for v in Fact.objects.filter(day__month=3, day__year=2026).values_list("value", flat=True)
    )
    assert feb < 0.8 * mar  # Spring Festival's month sells about half
    with pytest.raises(CommandError, match="already has an org tree"):
        call_command("demo", "--shape", "lumpy", "--today", TODAY.isoformat(), stdout=out)
