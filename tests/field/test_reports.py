"""Daily reports: the pre-filled draft, filing, the status board, comments, who sees what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import deal
from tests.field.reports_setup import DAY, NEXT_DAY, at, customer, plan, visit
from tiejun.errors import NotFound, TiejunError
from tiejun.field.models import DailyReport
from tiejun.field.selectors.reports import (
    access_board_unit,
    access_report,
    is_late,
    missing_daily_reports,
    report_comments,
    report_for,
    report_status_board,
    reports_visible_to,
)
from tiejun.field.services.reports import daily_report_save, report_comment_add

pytestmark = pytest.mark.django_db


# The reports happen on a fixed day, whatever the day the tests run (tests/field/conftest.py).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def _file(rep, day=DAY, when="19:00", **texts):
    texts = texts or {"visited": "拜访了三家客户"}
    return daily_report_save(person=rep, day=day, texts=texts, submit=True, now=at(day, when))[0]


def test_the_draft_is_prefilled_from_visits_deals_and_tomorrows_plan(org):
    # given: R1 visited two customers, missed a planned one, won a deal, and planned tomorrow
    r1 = org.reps["R1"]
    a, b, c, d = (customer(code) for code in ("CA", "CB", "CC", "CD"))
    visit(
        r1,
        a,
        at(DAY, "09:30"),
        met_whom="王总",
        interest="high",
        next_step="送样品",
        next_date=NEXT_DAY,
        notes="嫌价格高，关心售后",
    )
    visit(r1, b, at(DAY, "14:10"), interest="low")
    visit(org.reps["R2"], c, at(DAY, "10:00"), notes="not R1's")
    visit(r1, c, at(DAY - dt.timedelta(days=1), "10:00"), notes="yesterday")
    plan(r1, DAY, [a, b, c])
    plan(r1, NEXT_DAY, [d, c])
    deal(r1, "12800", DAY, customer="CA")
    deal(r1, "999", DAY - dt.timedelta(days=1))
    # when
    report, prefill = report_for(r1, DAY)
    # then: an unsaved draft with the day's facts
    assert report.pk is None
    lines = report.visited.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("09:30 客户CA (CA)")
    assert "met 王总" in lines[0] and "interest: High" in lines[0]
    assert "next step: 送样品 (2026-11-26)" in lines[0]
    assert lines[1].startswith("14:10 客户CB (CB)") and "interest: Low" in lines[1]
    assert report.feedback == "客户CA: 嫌价格高，关心售后"
    assert report.problems == "Planned but not visited: 客户CC"
    assert report.won == "客户CA ¥12,800.00 (" + prefill.deals[0].deal_no + ")"
    assert report.tomorrow.splitlines() == [
        "Visit plan for 2026-11-26: 2 customers",
        "1. 客户CD 10:00",
        "2. 客户CC 11:00",
    ]
    assert prefill.next_plan is not None and prefill.next_plan.date == NEXT_DAY


def test_a_friday_report_plans_for_monday(org):
    friday, monday = dt.date(2026, 11, 27), dt.date(2026, 11, 30)
    plan(org.reps["R1"], monday, [customer("CM")])
    _report, prefill = report_for(org.reps["R1"], friday)
    assert prefill.next_day == monday
    assert prefill.next_plan is not None


def test_prefill_reads_a_bounded_number_of_queries(org, django_assert_num_queries):
    r1 = org.reps["R1"]
    for i in range(5):
        visit(r1, customer(f"C{i}"), at(DAY, f"1{i}:00"), notes="n")
    plan(r1, NEXT_DAY, [customer(f"N{i}") for i in range(4)])
    with django_assert_num_queries(7):
        report_for(r1, DAY)


def test_save_a_draft_then_file_it(org):
    r1 = org.reps["R1"]
    visit(r1, customer("CA"), at(DAY, "10:00"))
    # when: a draft with only the problems typed
    report, created = daily_report_save(
        person=r1, day=DAY, texts={"problems": "车坏了"}, now=at(DAY, "18:00")
    )
    # then: stored, the rest pre-filled, not filed
    assert created and report.submitted_at is None
    assert report.problems == "车坏了" and report.visited.startswith("10:00 客户CA")
    # when: edited and filed
    report, created = daily_report_save(
        person=r1, day=DAY, texts={"won": "无"}, submit=True, now=at(DAY, "19:30")
    )
    assert not created
    assert report.problems == "车坏了" and report.won == "无"
    assert report.submitted_at == at(DAY, "19:30") and not is_late(report)
    # a later correction keeps the filing time
    report, _ = daily_report_save(
        person=r1, day=DAY, texts={"won": "一单"}, submit=True, now=at(DAY, "22:00")
    )
    assert report.submitted_at == at(DAY, "19:30") and report.won == "一单"
    assert DailyReport.objects.count() == 1


def test_late_after_the_configured_due_time(org, settings):
    settings.DAILY_REPORT_DUE = "19:00"
    report = _file(org.reps["R1"], when="19:01")
    assert is_late(report)
    assert not is_late(_file(org.reps["R2"], when="18:59"))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"day": dt.date(2099, 1, 1)}, "date"),
        ({"texts": {"visited": "x" * 5001}}, "visited"),
        ({"texts": {"visited": "  ", "feedback": ""}, "submit": True}, "visited"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(org, kwargs, field):
    args = {"person": org.reps["R1"], "day": DAY, "texts": {}, "now": at(DAY, "18:00")} | kwargs
    with pytest.raises(TiejunError) as error:
        daily_report_save(**args)
    assert error.value.field == field
    assert DailyReport.objects.count() == 0


def test_status_board_tells_filed_late_draft_and_missing(org, settings, django_assert_num_queries):
    settings.DAILY_REPORT_DUE = "20:00"
    _file(org.reps["R1"], when="19:00")
    _file(org.reps["R3"], when="21:00")
    daily_report_save(person=org.reps["R4"], day=DAY, texts={"visited": "x"}, now=at(DAY, "18:00"))
    # when: the branch board, after the due time
    with django_assert_num_queries(2):
        board = report_status_board(org.branch, day=DAY, now=at(DAY, "21:30"))
    # then: the branch's four reps (not the supervisor or manager, not Ningbo)
    states = {row.person.employee_no: row.state for row in board.rows}
    assert states == {"R1": "filed", "R2": "missing", "R3": "late", "R4": "draft"}
    assert (board.filed, board.not_filed, board.late, board.overdue) == (2, 2, 1, True)
    team = report_status_board(org.team_a, day=DAY, now=at(DAY, "12:00"))
    assert [r.person.employee_no for r in team.rows] == ["R1", "R2"] and not team.overdue


def test_missing_daily_reports_for_the_evening_review(org, django_assert_num_queries):
    _file(org.reps["R1"])
    _file(org.reps["R3"], when="23:00")  # late still counts as filed
    daily_report_save(person=org.reps["R4"], day=DAY, texts={"visited": "x"}, now=at(DAY, "18:00"))
    with django_assert_num_queries(1):
        missing = missing_daily_reports(org.branch, day=DAY)
    assert [p.employee_no for p in missing] == ["R2", "R4"]
    assert [p.employee_no for p in missing_daily_reports(org.team_c, day=DAY)] == ["R5"]


def test_who_sees_which_report(org):
    r1_report = _file(org.reps["R1"])
    r3_report = _file(org.reps["R3"])
    r5_report = _file(org.reps["R5"])
    visible = {
        no: set(reports_visible_to(p).values_list("person__employee_no", flat=True))
        for no, p in [
            ("R1", org.reps["R1"]),
            ("R2", org.reps["R2"]),
            ("S1", org.supervisor_a),
            ("M1", org.manager),
            ("A1", org.admin),
        ]
    }
    assert visible == {
        "R1": {"R1"},
        "R2": set(),
        "S1": {"R1"},
        "M1": {"R1", "R3"},
        "A1": {"R1", "R3", "R5"},
    }
    assert access_report(org.supervisor_a, r1_report.pk) == r1_report
    for viewer, report in [
        (org.reps["R2"], r1_report),
        (org.supervisor_a, r3_report),
        (org.manager, r5_report),
    ]:
        with pytest.raises(NotFound):
            access_report(viewer, report.pk)
    with pytest.raises(NotFound):
        access_report(org.admin, 10**9)


def test_a_report_stays_with_the_team_of_its_date(org):
    """A rep who moved later: the old team's supervisor still reads the old reports."""
    from tiejun.org.services import membership_move

    report = _file(org.reps["R1"])
    membership_move(person=org.reps["R1"], unit=org.team_b, effective=DAY + dt.timedelta(days=1))
    assert access_report(org.supervisor_a, report.pk) == report
    later = _file(org.reps["R1"], day=DAY + dt.timedelta(days=2))
    with pytest.raises(NotFound):
        access_report(org.supervisor_a, later.pk)


def test_comments(org):
    report = _file(org.reps["R1"])
    comment = report_comment_add(author=org.supervisor_a, report=report, text=" 很好 ")
    assert comment.text == "很好"
    report_comment_add(author=org.reps["R1"], report=report, text="谢谢")
    assert [c.author.employee_no for c in report_comments(report)] == ["S1", "R1"]
    with pytest.raises(TiejunError):
        report_comment_add(author=org.supervisor_a, report=report, text="  ")


def test_board_unit_access(org):
    assert access_board_unit(org.supervisor_a, None) == org.team_a
    assert access_board_unit(org.manager, None) == org.branch
    assert access_board_unit(org.manager, "HZ2") == org.team_b
    assert access_board_unit(org.admin, "NB1") == org.team_c
    for viewer, code in [
        (org.supervisor_a, "HZ2"),
        (org.reps["R1"], None),
        (org.reps["R1"], "HZ1"),
        (org.manager, "NB1"),
        (org.manager, "NOPE"),
    ]:
        with pytest.raises(NotFound):
            access_board_unit(viewer, code)


def test_today_is_the_default_and_the_future_is_refused(org):
    today = timezone.localdate()
    report, _ = daily_report_save(person=org.reps["R1"], day=today, texts={"won": "x"})
    assert report.date == today


def test_a_report_before_the_previous_working_day_is_refused_and_nothing_is_written(org):
    # given: Monday 2026-11-30; the previous working day is Friday 11-27
    monday = dt.date(2026, 11, 30)
    r1 = org.reps["R1"]
    friday = dt.date(2026, 11, 27)
    report, created = daily_report_save(
        person=r1, day=friday, texts={"visited": "周五"}, submit=True, now=at(monday, "09:00")
    )
    assert created and report.submitted_at is not None
    # when: a report for Thursday, and a correction of Thursday's filed report, come on Monday
    thursday = dt.date(2026, 11, 26)
    _file(org.reps["R2"], day=thursday)
    for rep in (r1, org.reps["R2"]):
        with pytest.raises(TiejunError) as error:
            daily_report_save(
                person=rep, day=thursday, texts={"won": "补"}, now=at(monday, "09:00")
            )
        # then: a clear message naming the earliest open date, and nothing written
        assert error.value.field == "date"
        assert "previous working day (2026-11-27)" in str(error.value)
    assert not DailyReport.objects.filter(person=r1, date=thursday).exists()
    assert DailyReport.objects.get(person=org.reps["R2"], date=thursday).won == ""
