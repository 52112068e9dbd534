import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import deal, person
from tiejun.org.models import Role
from tiejun.rhythm.selectors.kickoff import kickoff_for_unit
from tiejun.rhythm.selectors.review import review_for_unit
from tiejun.rhythm.selectors.risks import risks_for_subtree
from tiejun.targets.services import target_set

MONTH = dt.date(2026, 6, 1)  # 21 working days (Dragon Boat Festival on 19 June)
EARLY = dt.date(2026, 5, 1)
DAY = dt.date(2026, 6, 10)  # Wednesday: 7 working days before it, 14 left including it
JUNE_WORKDAYS_TO_DAY = [dt.date(2026, 6, d) for d in (1, 2, 3, 4, 5, 8, 9, 10)]


def _target(value, *, unit=None, person=None, month=MONTH):
    target_set(month=month, metric="revenue", unit=unit, person=person, value=Decimal(value),
               today=EARLY)  # fmt: skip


@pytest.fixture
def june(org):
    """HZ1: team target 30000, R1 and R2 10000 each; R3 (HZ2) 5000."""
    _target(30000, unit=org.team_a)
    _target(10000, person=org.reps["R1"])
    _target(10000, person=org.reps["R2"])
    _target(5000, person=org.reps["R3"])
    deal(org.reps["R1"], 6000, dt.date(2026, 6, 3))
    deal(org.reps["R1"], 1000, dt.date(2026, 6, 9))  # yesterday
    deal(org.reps["R2"], 700, dt.date(2026, 6, 9))
    deal(org.reps["R2"], 2500, DAY)  # already today
    deal(org.reps["R3"], 400, dt.date(2026, 5, 29))  # the previous month
    deal(org.reps["R3"], 999, dt.date(2026, 6, 11))  # after the day: not counted
    return org


def test_team_kickoff_is_the_position_at_the_start_of_the_day(june):
    kickoff = kickoff_for_unit(june.team_a, day=DAY)
    data = kickoff.to_json()
    assert data["working_days"] == {
        "total": 21,
        "elapsed_before_today": 7,
        "left_including_today": 14,
    }
    assert data["yesterday"] == "2026-06-09"
    assert data["is_workday"] is True
    assert data["totals"] == {
        "kind": "unit",
        "code": "HZ1",
        "name": "杭州一组",
        "target": "30000.00",
        "done": "7700.00",
        "left": "22300.00",
        "needed_today": f"{Decimal(22300) / 14:.2f}",
        "yesterday": "1700.00",
        "today": "2500.00",
        "completion": round(7700 / 30000, 4),
    }
    [group] = data["groups"]
    reps = {r["code"]: r for r in group["reps"]}
    assert [r["code"] for r in group["reps"]] == ["R2", "R1"]  # most needed today first
    assert "S1" not in reps  # the supervisor has no target of their own
    assert reps["R1"]["done"] == "7000.00"
    assert reps["R1"]["left"] == "3000.00"
    assert reps["R1"]["needed_today"] == "214.29"
    assert reps["R1"]["yesterday"] == "1000.00"
    assert reps["R2"]["done"] == "700.00"
    assert reps["R2"]["today"] == "2500.00"
    assert reps["R2"]["needed_today"] == "664.29"
    assert data["children"] == []


def test_branch_kickoff_shows_teams_and_their_reps(june):
    data = kickoff_for_unit(june.branch, day=DAY).to_json()
    assert [c["code"] for c in data["children"]] == ["HZ1", "HZ2"]
    assert [g["team"]["code"] for g in data["groups"]] == ["HZ1", "HZ2"]
    hz2 = data["groups"][1]
    assert [r["code"] for r in hz2["reps"]] == ["R3", "R4"]
    assert hz2["reps"][0]["done"] == "0.00" and hz2["reps"][0]["needed_today"] == "357.14"
    assert hz2["reps"][1]["target"] is None and hz2["reps"][1]["needed_today"] is None
    assert data["children"][1]["yesterday"] == "0.00"
    assert data["totals"]["yesterday"] == "1700.00"
    assert data["totals"]["target"] == "35000.00"  # no own target: the teams' sum


def test_kickoff_on_the_first_working_day_takes_yesterday_from_last_month(june):
    data = kickoff_for_unit(june.team_b, day=MONTH).to_json()
    assert data["yesterday"] == "2026-05-29"
    assert data["working_days"]["left_including_today"] == 21
    assert data["working_days"]["elapsed_before_today"] == 0
    reps = {r["code"]: r for r in data["groups"][0]["reps"]}
    assert reps["R3"]["yesterday"] == "400.00"
    assert reps["R3"]["done"] == "0.00"


def test_kickoff_query_count_does_not_grow_with_reps(june, django_assert_num_queries):
    with django_assert_num_queries(9):
        kickoff_for_unit(june.branch, day=DAY).to_json()
    for i in range(6):
        rep = person(f"X{i}", june.team_b)
        _target(1000, person=rep)
        deal(rep, 100, dt.date(2026, 6, 9))
    with django_assert_num_queries(9):
        data = kickoff_for_unit(june.branch, day=DAY).to_json()
    assert len(data["groups"][1]["reps"]) == 8


# --- the review ---------------------------------------------------------------------------


@pytest.fixture
def review_org(org):
    """HZ1 as of 10 June: R1 wins 1000 every working day; R2 won 500 on 1 June, then nothing."""
    _target(40000, unit=org.team_a)  # the reps' targets add up to 20000: a gap of 20000
    _target(10000, person=org.reps["R1"])
    _target(10000, person=org.reps["R2"])
    for day in JUNE_WORKDAYS_TO_DAY:
        deal(org.reps["R1"], 1000, day)
    deal(org.reps["R2"], 500, dt.date(2026, 6, 1))
    return org


def _risks(review, code):
    return {r.kind for r in review.risks if r.code == code}


def test_review_forecasts_and_risk_points(review_org):
    review = review_for_unit(review_org.team_a, day=DAY)
    data = review.to_json()
    assert data["working_days"] == {"total": 21, "elapsed": 8, "remaining": 13}
    rows = {r["code"]: r for r in data["rows"]}
    assert set(rows) == {"R1", "R2"}
    r1, r2 = rows["R1"], rows["R2"]
    assert r1["achieved"] == "8000.00" and r2["achieved"] == "500.00"
    assert r1["history_days"] == 7  # the data starts on 1 June; today is not history
    assert r1["probability"] > 0.95
    assert r2["probability"] < 0.5
    p10, p50, p90 = (float(r1["forecast"][k]) for k in ("p10", "p50", "p90"))
    # 1000 a day for 13 more days, give or take what 7 days of history cannot tell
    assert 8000 <= p10 <= p50 <= p90
    assert 0.8 * 21000 <= p50 <= 1.2 * 21000
    assert p90 - p10 > 3000  # seven days are not enough to be sure of the rate
    assert data["totals"]["achieved"] == "8500.00"
    assert data["totals"]["target"] == "40000.00"
    # R1: on track, won today. R2: behind, idle for 7 working days, unlikely. HZ1: all three.
    assert _risks(review, "R1") == set()
    assert _risks(review, "R2") == {"behind", "idle", "low_probability"}
    assert _risks(review, "HZ1") == {"behind", "low_probability", "allocation_gap"}
    messages = {(r.code, r.kind): r for r in review.risks}
    assert messages[("R2", "idle")].message == "No won deal for 7 working days."
    assert messages[("HZ1", "allocation_gap")].gap == Decimal("20000.00")
    assert "¥40,000.00" in messages[("HZ1", "allocation_gap")].message  # through tiejun.money
    behind = messages[("R2", "behind")]
    assert behind.gap == Decimal(f"{Decimal(10000) * Decimal(repr(8 / 21)) - 500:.2f}")
    assert behind.message.startswith("Behind time progress: 5% done against 38% of the month")
    assert [r.gap for r in review.risks] == sorted((r.gap for r in review.risks), reverse=True)
    assert {r["kind"] for r in data["risks"]} == {
        "behind", "idle", "low_probability", "allocation_gap"
    }  # fmt: skip


def test_review_is_deterministic(review_org):
    first = review_for_unit(review_org.team_a, day=DAY).to_json()
    second = review_for_unit(review_org.team_a, day=DAY).to_json()
    assert first == second


def test_risks_are_not_raised_within_the_settings(review_org, settings):
    settings.RISK_IDLE_WORKDAYS = 8
    settings.RISK_BEHIND_MARGIN = 0.5
    review = review_for_unit(review_org.team_a, day=DAY)
    assert _risks(review, "R2") == {"low_probability"}
    assert _risks(review, "HZ1") == {"low_probability", "allocation_gap"}


def test_no_allocation_gap_when_the_reps_cover_the_team(review_org):
    _target(20000, unit=review_org.team_a)
    review = review_for_unit(review_org.team_a, day=DAY)
    assert "allocation_gap" not in _risks(review, "HZ1")


def test_on_the_last_working_day_the_probability_is_certain(review_org):
    deal(review_org.reps["R2"], 9500, dt.date(2026, 6, 30))
    review = review_for_unit(review_org.team_a, day=dt.date(2026, 6, 30))
    rows = {r.code: r for r in review.rows}
    assert review.progress.remaining == 0
    assert rows["R1"].probability == 0.0  # 8000 of 10000, and the month is over
    assert rows["R2"].probability == 1.0  # 10000 of 10000
    assert rows["R2"].forecast.expected == 10000


def test_branch_review_has_children_and_unit_forecasts(review_org):
    review = review_for_unit(review_org.branch, day=DAY)
    children = {c.code: c for c in review.children}
    assert set(children) == {"HZ1", "HZ2"}
    assert children["HZ1"].achieved == Decimal("8500.00")
    assert {r.code for r in review.rows} == {"R1", "R2", "R3", "R4"}
    # R3 and R4 have no target: a forecast, no probability, no behind; but no deal either
    r3 = next(r for r in review.rows if r.code == "R3")
    assert r3.probability is None
    assert _risks(review, "R3") == {"idle"}
    region = review_for_unit(review_org.region, day=DAY)
    assert region.rows == []
    assert [c.code for c in region.children] == ["HZ", "NB"]


def test_risks_for_subtree_sorted_by_gap(review_org):
    risks = risks_for_subtree(review_org.company, day=DAY)
    assert [r.gap for r in risks] == sorted((r.gap for r in risks), reverse=True)
    assert ("HZ1", "allocation_gap") in {(r.code, r.kind) for r in risks}
    assert ("R5", "idle") in {(r.code, r.kind) for r in risks}  # NB1, under the company too
    assert risks[0].gap == Decimal("20000.00")


def test_review_query_count_does_not_grow_with_reps(review_org, django_assert_num_queries):
    # 9 for the figures and forecasts, 1 for the open pipeline (its stage history), 3 for the
    # field signals (calendar, reports, visits), 1 for the stored fit (the pipeline's blend and
    # the recalibration: the risks across a subtree use it too)
    with django_assert_num_queries(14):
        review_for_unit(review_org.branch, day=DAY).to_json()
    for i in range(6):
        rep = person(f"X{i}", review_org.team_b)
        _target(1000, person=rep)
        deal(rep, 100, dt.date(2026, 6, 9))
    with django_assert_num_queries(14):
        data = review_for_unit(review_org.branch, day=DAY).to_json()
    assert len(data["rows"]) == 10
    with django_assert_num_queries(14):
        risks_for_subtree(review_org.company, day=DAY)


def test_a_supervisor_with_a_target_is_on_the_sheets(review_org):
    _target(3000, person=review_org.supervisor_a)
    kickoff = kickoff_for_unit(review_org.team_a, day=DAY)
    assert "S1" in {r.code for r in kickoff.groups[0].reps}
    manager = person("X9", review_org.team_a, Role.SUPERVISOR)
    assert manager.employee_no not in {r.code for r in kickoff.groups[0].reps}


def test_field_signals_are_risk_points_where_the_field_app_is_used(review_org):
    import uuid

    from django.utils import timezone

    from tiejun.crm.models import Customer
    from tiejun.field.models import DailyReport, Visit
    from tiejun.org.selectors import work_calendar
    from tiejun.scoreboard.services import scoreboard_rebuild

    # given: before anyone files a report or records a visit, no field risk points at all
    kinds = {r.kind for r in review_for_unit(review_org.branch, day=DAY).risks}
    assert not kinds & {"missing_report", "visit_shortfall"}
    # when: one rep files yesterday's report and makes two visits
    yesterday = work_calendar().previous_workdays(DAY, 1)[0]
    reps = list(review_org.reps.values())
    filer, other = reps[0], reps[1]
    filed_at = timezone.make_aware(dt.datetime.combine(yesterday, dt.time(20)))
    DailyReport.objects.create(person=filer, date=yesterday, submitted_at=filed_at)
    customer = Customer.objects.create(code="V1", name="拜访客户")
    membership = filer.memberships.get(valid_to__isnull=True)
    for _i in range(2):
        Visit.objects.create(
            id=uuid.uuid4(),
            person=filer,
            unit_id=membership.unit_id,
            customer=customer,
            checkin_at=timezone.make_aware(dt.datetime.combine(yesterday, dt.time(10))),
        )
    scoreboard_rebuild()
    # then: the others lack a report, and everyone visits too little
    risks = review_for_unit(review_org.branch, day=DAY).risks
    missing = {r.code for r in risks if r.kind == "missing_report"}
    short = {r.code for r in risks if r.kind == "visit_shortfall"}
    assert other.employee_no in missing
    assert filer.employee_no not in missing
    assert {filer.employee_no, other.employee_no} <= short


def test_kickoff_shows_todays_planned_visits(june):
    from tiejun.crm.models import Customer
    from tiejun.field.models import PlanStop, VisitPlan

    rep = june.reps["R1"]
    plan = VisitPlan.objects.create(person=rep, date=DAY)
    for code in ("K1", "K2", "K3"):
        customer = Customer.objects.create(code=code, name=f"客户{code}")
        PlanStop.objects.create(plan=plan, customer=customer, seq=PlanStop.objects.count() + 1)
    data = kickoff_for_unit(june.team_a, day=DAY).to_json()
    reps = {r["code"]: r for g in data["groups"] for r in g["reps"]}
    assert reps["R1"]["planned_visits"] == 3
    assert reps["R2"]["planned_visits"] == 0
