"""Approving statements, clawbacks and adjustments after approval, milestones and moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import deal
from tiejun.crm.services.deals import DealInput, deal_delete, deal_record
from tiejun.errors import NotFound, TiejunError
from tiejun.incentives.selectors import milestone_progress, statement_for
from tiejun.incentives.services import plan_load, statement_approve
from tiejun.org.checks import MoveNeedsConfirmation, move_warnings, proposal_for
from tiejun.org.models import Role
from tiejun.org.selectors import work_calendar
from tiejun.org.services import membership_move_checked
from tiejun.targets.services import target_set

D = Decimal
NOV = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 12, 16)


@pytest.fixture
def plan(org, plan_data):
    return plan_load(data=plan_data)


def set_target(org, rep, month, value):
    target_set(
        month=month,
        metric="revenue",
        value=D(value),
        person=rep,
        by=org.admin,
        reason="测试目标设定原因说明",
        today=month - dt.timedelta(days=3),
    )


def test_a_manager_approves_a_closed_month_and_it_is_frozen(org, plan):
    rep = org.reps["R1"]
    set_target(org, rep, NOV, 100000)
    won = deal(rep, 120000, dt.date(2026, 11, 10))
    statement = statement_approve(viewer=org.manager, employee_no="R1", month=NOV, today=TODAY)
    assert statement.total == D(5000)
    assert [line.amount for line in statement.lines.all()] == [D(2400), D(1000), D(1600)]
    # a correction after approval leaves November as approved …
    deal_record(
        item=DealInput(
            deal_no=won.deal_no,
            person=rep,
            customer_code=won.customer.code,
            customer_name=won.customer.name,
            amount=D(90000),
            won_date=won.won_date,
            channel="visit",
        ),
        reason="客户退货部分金额",
    )
    november = statement_for(rep, NOV, today=TODAY)
    assert november.frozen is not None and november.figures.total == D(5000)
    # … and December charges back what November paid on the 30,000 taken off:
    # at 90,000 November pays 2,400 + 500 = 2,900, 2,100 less than the 5,000 approved
    december = statement_for(rep, dt.date(2026, 12, 1), today=TODAY)
    assert december.figures.clawback == D(2100)
    assert december.figures.total == D(-2100)
    assert december.as_json()["clawback"] == "2100.00"


def test_a_late_deal_in_an_approved_month_is_an_adjustment(org, plan):
    rep = org.reps["R2"]
    set_target(org, rep, NOV, 100000)
    deal(rep, 50000, dt.date(2026, 11, 3))
    statement_approve(viewer=org.manager, employee_no="R2", month=NOV, today=TODAY)
    late = deal(rep, 40000, dt.date(2026, 11, 28))  # 50k → 90k: 30k at 3 % and 10k at 5 %
    december = statement_for(rep, dt.date(2026, 12, 1), today=TODAY)
    assert december.figures.adjustment == D(1400)
    assert december.figures.clawback == 0
    # deleting it again in the same month nets to nothing
    deal_delete(deal=late, reason="录入错误")
    assert statement_for(rep, dt.date(2026, 12, 1), today=TODAY).figures.total == 0


def test_corrections_before_approval_are_just_recomputed(org, plan):
    rep = org.reps["R1"]
    set_target(org, rep, NOV, 100000)
    won = deal(rep, 120000, dt.date(2026, 11, 10))
    deal_delete(deal=won, reason="录入错误")
    assert statement_for(rep, NOV, today=TODAY).figures.total == 0
    assert statement_for(rep, dt.date(2026, 12, 1), today=TODAY).figures.clawback == 0


def test_who_may_approve(org, plan):
    set_target(org, org.reps["R1"], NOV, 100000)
    with pytest.raises(TiejunError, match="not over yet"):
        statement_approve(
            viewer=org.manager, employee_no="R1", month=dt.date(2026, 12, 1), today=TODAY
        )
    with pytest.raises(TiejunError, match="manager above"):
        statement_approve(viewer=org.reps["R1"], employee_no="R1", month=NOV, today=TODAY)
    # a rep of another branch is not the manager's: not found, like an unknown number
    with pytest.raises(NotFound):
        statement_approve(viewer=org.manager, employee_no="R5", month=NOV, today=TODAY)
    with pytest.raises(NotFound):
        statement_approve(viewer=org.reps["R2"], employee_no="R1", month=NOV, today=TODAY)
    statement_approve(viewer=org.supervisor_a, employee_no="R1", month=NOV, today=TODAY)
    with pytest.raises(TiejunError, match="already approved"):
        statement_approve(viewer=org.manager, employee_no="R1", month=NOV, today=TODAY)


def test_cap_and_channels(org, plan_data):
    plan_load(
        data={
            **plan_data,
            "code": "ONLINE",
            "units": ["HZ1"],
            "channels": ["online"],
            "cap": "1000",
            "milestones": [],
        }
    )
    rep = org.reps["R1"]
    set_target(org, rep, NOV, 100000)
    deal(rep, 50000, dt.date(2026, 11, 3), channel="online")
    deal(rep, 70000, dt.date(2026, 11, 4), channel="visit")
    view = statement_for(rep, NOV, today=TODAY)
    assert view.plan.code == "ONLINE"  # the nearer unit's plan
    assert view.figures.achieved == D(50000)
    assert view.figures.capped_by == D(500) and view.figures.total == D(1000)


def test_supervisor_override(org, plan_data):
    plan_load(
        data={
            **plan_data,
            "code": "SUP",
            "roles": ["supervisor"],
            "override_rate": "0.01",
            "milestones": [],
        }
    )
    set_target(org, org.supervisor_a, NOV, 100000)
    deal(org.reps["R1"], 30000, dt.date(2026, 11, 3))
    deal(org.reps["R2"], 20000, dt.date(2026, 11, 5))
    deal(org.reps["R3"], 99000, dt.date(2026, 11, 5))  # another team
    view = statement_for(org.supervisor_a, NOV, today=TODAY)
    assert view.figures.override_base == D(50000)
    assert view.figures.override == D(500)
    assert view.figures.total == D(500)


def test_milestone_progress_and_the_move_check(org, plan, time_machine):
    rep = org.reps["R1"]
    # 4,000 every working day since September, on top of 700,000 in March
    deal(rep, 700000, dt.date(2026, 3, 2))
    for day in work_calendar().workdays(dt.date(2026, 9, 1), dt.date(2026, 12, 15)):
        deal(rep, 4000, day, today=TODAY)
    progress = milestone_progress(rep, today=TODAY)
    (row,) = progress
    assert row.reached_on is None and row.forfeit_on_promotion and row.reward == "期权 20,000 股"
    remaining = D(1000000) - row.ytd
    assert row.projected_on is not None and row.probability == 1.0
    # at a steady 4,000 a working day: the working day on which the rest is covered
    needed = -(-remaining // 4000)
    days = work_calendar().workdays(TODAY + dt.timedelta(days=1), dt.date(2026, 12, 31))
    assert row.projected_on == days[int(needed) - 1]
    # promoting before then warns, naming what is at stake …
    proposal = proposal_for(rep, effective=dt.date(2026, 12, 18), unit=None, role=Role.SUPERVISOR)
    warnings = [w for w in move_warnings(proposal) if w.code == "milestone.forfeit"]
    assert len(warnings) == 1
    assert "期权 20,000 股" in warnings[0].message and "STD-2026" in warnings[0].message
    assert "probability 100 %" in warnings[0].message
    with pytest.raises(MoveNeedsConfirmation):
        membership_move_checked(
            person=rep,
            effective=dt.date(2026, 12, 18),
            role=Role.SUPERVISOR,
            unit=org.team_b,
            by=org.admin,
        )
    # … a transfer to another team keeps the role and the plan's units: no warning
    proposal = proposal_for(rep, effective=dt.date(2026, 12, 18), unit=org.team_b, role=None)
    assert not [w for w in move_warnings(proposal) if w.code == "milestone.forfeit"]


def test_crossing_on_the_first_day_as_supervisor_forfeits(org, plan):
    rep = org.reps["R2"]
    deal(rep, 995000, dt.date(2026, 6, 1))
    membership_move_checked(
        person=rep,
        effective=dt.date(2026, 12, 1),
        role=Role.SUPERVISOR,
        unit=org.team_b,
        by=org.admin,
        confirm=True,
        choices={"milestone": "proceed", "milestone_reason": "测试晋升"},  # the advisor asks
    )
    deal(rep, 20000, dt.date(2026, 12, 1), today=TODAY)
    (row,) = milestone_progress(rep, today=TODAY)
    assert row.reached_on == dt.date(2026, 12, 1)
    assert row.forfeited and not row.reached
    assert row.as_json()["status"] == "forfeited"


def test_a_won_deal_that_crosses_the_threshold_records_it_once(
    org, plan, django_capture_on_commit_callbacks
):
    from tiejun.incentives.models import MilestoneReached
    from tiejun.incentives.signals import milestone_reached

    heard = []
    milestone_reached.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="t")
    try:
        rep = org.reps["R3"]
        with django_capture_on_commit_callbacks(execute=True):
            deal(rep, 600000, dt.date(2026, 5, 6), today=TODAY)
        assert not MilestoneReached.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            deal(rep, 400000, dt.date(2026, 8, 7), today=TODAY)
        with django_capture_on_commit_callbacks(execute=True):
            deal(rep, 1000, dt.date(2026, 8, 9), today=TODAY)
        (row,) = MilestoneReached.objects.all()
        assert (row.person, row.reached_on, row.year) == (rep, dt.date(2026, 8, 7), 2026)
        assert [h["reached_on"] for h in heard] == [dt.date(2026, 8, 7)]
    finally:
        milestone_reached.disconnect(dispatch_uid="t")
