"""Milestone projections backtested (issue 17, point 6): the projected day against the working day
the threshold was met, in working days, in ``tiejun forecast backtest``."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.core.management import call_command

from tests.factories import deal
from tiejun.incentives.maths import ProjectionCheck, projection_scores, replay_projections
from tiejun.incentives.services import plan_load
from tiejun.org.selectors import work_calendar


def _days(n: int) -> list[dt.date]:
    return [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(n)]


# --- the pure replay ------------------------------------------------------------------------


def test_a_steady_pace_is_projected_to_the_day() -> None:
    # given: 1,000 every day for 100 days, a threshold of 60,000 (met on day 60, index 59)
    days = _days(100)
    checks = replay_projections(days, [1000.0] * 100, 60000, [9, 19, 29, 59, 70])
    # then: every projection before the day names it exactly; none after it is met
    assert [c.as_of for c in checks] == [days[9], days[19], days[29]]
    assert all(c.projected_on == days[59] and c.reached_on == days[59] for c in checks)
    assert all(c.error_days == 0 and c.probability == 1.0 for c in checks)
    assert all(c.naive_on == days[59] and c.naive_error_days == 0 for c in checks)
    scores = projection_scores(checks)
    assert scores["median_abs_error_days"] == 0 and scores["mean_error_days"] == 0
    assert scores["false_alarms"] == 0 and scores["misses"] == 0 and scores["brier"] == 0


def test_a_rep_who_stops_selling_is_a_false_alarm() -> None:
    # given: 1,000 a day for 30 days, then nothing: 60,000 is never met
    days = _days(100)
    values = [1000.0] * 30 + [0.0] * 70
    (check,) = replay_projections(days, values, 60000, [19])
    # then: the pace of the first 20 days projected day 60; it never came
    assert check.projected_on == days[59] and check.reached_on is None
    assert check.error_days is None and check.probability == 1.0
    scores = projection_scores([check])
    assert scores["false_alarms"] == 1 and scores["met"] == 0 and scores["brier"] == 1.0
    assert scores["naive"]["false_alarms"] == 1


def test_a_late_surge_is_a_miss_and_errors_are_signed() -> None:
    days = _days(100)
    slow = [100.0] * 50 + [5000.0] * 50  # met on index 59 after a slow start
    (check,) = replay_projections(days, slow, 50000, [9])
    assert check.projected_on is None and check.reached_on is not None
    assert projection_scores([check])["misses"] == 1
    # a projection two days late and one three days early: |errors| 2 and 3, bias −0.5
    checks = [
        ProjectionCheck(days[0], days[12], 0.9, days[10], 2),
        ProjectionCheck(days[0], days[7], 0.8, days[10], -3),
    ]
    scores = projection_scores(checks)
    assert scores["median_abs_error_days"] == 2.5 and scores["mean_error_days"] == -0.5
    assert scores["brier"] == round((0.1**2 + 0.2**2) / 2, 4)


def test_history_starts_where_the_person_started() -> None:
    # given: someone who joined on day 50 and sells 2,000 a day from then
    days = _days(100)
    values = [0.0] * 50 + [2000.0] * 50
    (check,) = replay_projections(days, values, 40000, [59], start=50)
    # then: the projection reads their own days only (not the 50 empty days before)
    assert check.projected_on == days[69] == check.reached_on
    assert replay_projections(days, values, 40000, [40], start=50) == []  # not yet there


# --- the backtest command -------------------------------------------------------------------


def _backtest(today: dt.date) -> dict:
    out = io.StringIO()
    call_command(
        "forecast", "backtest", "--months", "2", "--today", today.isoformat(),
        "--simulations", "200", "--json", stdout=out,
    )  # fmt: skip
    return json.loads(out.getvalue())


def test_the_backtest_reports_the_plans_milestones(org, plan_data):
    # given: a yearly milestone of 300,000 and a rep selling 5,000 every working day of 2026
    plan_data["milestones"][0]["threshold"] = "300000"
    plan_load(data=plan_data)
    rep = org.reps["R1"]
    workdays = work_calendar().workdays(dt.date(2026, 1, 1), dt.date(2026, 11, 30))
    for day in workdays:
        deal(rep, 5000, day, today=dt.date(2026, 12, 16))
    # when
    data = _backtest(dt.date(2026, 12, 16))
    # then: replayed on the 10th working day of each month before it was met (the 60th
    # working day of 2026), each time projecting the very day
    block = data["milestones"]
    met = workdays[59]
    months_before = [
        m for m in range(1, 13) if work_calendar().month_workdays(dt.date(2026, m, 1))[9] < met
    ]
    assert block["source"] == "plans" and block["years"] == [2026]
    assert block["projections"] == len(months_before) == block["with_both_dates"]
    assert block["median_abs_error_days"] == 0 and block["false_alarms"] == 0
    assert block["naive"]["median_abs_error_days"] == 0
    assert "brier" in data and "calibration" in data  # the forecast's fields stay


def test_without_a_plan_each_reps_year_of_targets_is_the_threshold(org):
    from tiejun.targets.models import Target

    rep = org.reps["R2"]
    for month in range(1, 12):
        Target.objects.create(
            month=dt.date(2026, month, 1), metric="revenue", person=rep, value=20000
        )
    for day in work_calendar().workdays(dt.date(2026, 1, 1), dt.date(2026, 11, 30)):
        deal(rep, 1000, day, today=dt.date(2026, 12, 16))
    block = _backtest(dt.date(2026, 12, 16))["milestones"]
    assert block["source"] == "targets" and block["projections"] > 0


def test_the_text_output_says_it_in_words(org, plan_data):
    plan_load(data=plan_data)
    out = io.StringIO()
    call_command("forecast", "backtest", "--months", "1", "--simulations", "100", stdout=out)
    assert "Milestone projections: nothing to replay" in out.getvalue()
