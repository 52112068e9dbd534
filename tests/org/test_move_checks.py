"""Safe org changes (issue 15 item 4): what a move would break, and the confirmation it needs.

The org (tests.factories.build_org): HQ > ZJ > HZ (HZ1: R1, R2, supervisor S1; HZ2: R3, R4)
and NB (NB1: R5); M1 manages HZ. The suite clock is 2026-12-16.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import person
from tiejun.audit.models import AuditEntry
from tiejun.crm.services.customers import customer_create
from tiejun.errors import TiejunError
from tiejun.field.services.plans import plan_add_customers, plan_get_or_create
from tiejun.org import checks
from tiejun.org.checks import MoveNeedsConfirmation, MoveWarning, move_warnings, proposal_for
from tiejun.org.models import Membership, Role
from tiejun.org.services import membership_move, membership_move_checked
from tiejun.targets.models import Target
from tiejun.targets.services import target_set

JAN = dt.date(2027, 1, 1)


def codes(person_, *, effective, unit=None, role=None):
    proposal = proposal_for(person_, effective=effective, unit=unit, role=role)
    return [w.code for w in move_warnings(proposal)]


def test_a_rep_moving_between_teams_with_nothing_to_hand_over_has_no_warning(org):
    assert codes(org.reps["R3"], effective=JAN, unit=org.team_c) == []
    membership, warnings = membership_move_checked(
        person=org.reps["R3"], effective=JAN, unit=org.team_c, by=org.admin
    )
    assert warnings == [] and membership.unit == org.team_c


def test_a_supervisor_leaving_leaves_the_team_without_a_head_from_the_effective_date(org):
    with pytest.raises(MoveNeedsConfirmation) as refused:
        membership_move_checked(
            person=org.supervisor_a, effective=JAN, unit=org.team_b, by=org.admin
        )
    [headless, *_rest] = refused.value.warnings
    assert headless.code == "heads.headless"
    assert headless.message == "杭州一组 is left without a head from 2027-01-01 when 员工S1 leaves"
    assert headless.detail == {"unit": "HZ1", "from": "2027-01-01", "to": ""}
    # nothing was written
    assert Membership.objects.get(person=org.supervisor_a, valid_to__isnull=True).unit == org.team_a


def test_a_successor_from_the_same_day_means_no_gap_but_a_later_one_leaves_days_without(org):
    # given: R1 becomes HZ1's supervisor from 2027-01-05 (the old one still heads it then)
    with pytest.raises(MoveNeedsConfirmation) as two:
        membership_move_checked(
            person=org.reps["R1"], effective=dt.date(2027, 1, 5), role=Role.SUPERVISOR
        )
    assert [w.code for w in two.value.warnings] == ["heads.two_heads"]
    assert two.value.warnings[0].message == (
        "杭州一组 would have two heads from 2027-01-05: 员工S1 and 员工R1"
    )
    membership_move_checked(
        person=org.reps["R1"], effective=dt.date(2027, 1, 5), role=Role.SUPERVISOR, confirm=True
    )
    # when: S1 leaves from 2027-01-01 — HZ1 has no head from the 1st to the 4th
    proposal = proposal_for(org.supervisor_a, effective=JAN, unit=org.team_b, role=None)
    [warning] = [w for w in move_warnings(proposal) if w.code == "heads.headless"]
    assert warning.detail == {"unit": "HZ1", "from": "2027-01-01", "to": "2027-01-04"}
    # S1 leaving from the 5th leaves no gap (R1 takes over that day), but HZ2 gets two heads
    assert codes(org.supervisor_a, effective=dt.date(2027, 1, 5), unit=org.team_b) == []
    person("S2", org.team_b, Role.SUPERVISOR)
    assert codes(org.supervisor_a, effective=dt.date(2027, 1, 5), unit=org.team_b) == [
        "heads.two_heads"
    ]


def test_a_demotion_in_place_leaves_the_unit_headless(org):
    assert codes(org.supervisor_a, effective=JAN, role=Role.REP) == ["heads.headless"]
    assert codes(org.manager, effective=JAN, unit=org.other_branch) == ["heads.headless"]


def test_next_month_targets_offer_leave_move_or_resplit(org):
    # given: R1 has January targets (revenue and visits); December's stays with HZ1
    target_set(
        month=dt.date(2026, 12, 1), metric="revenue", value=Decimal(90000), person=org.reps["R1"]
    )
    target_set(month=JAN, metric="revenue", value=Decimal(120000), person=org.reps["R1"])
    target_set(month=JAN, metric="visits", value=Decimal(80), person=org.reps["R1"])
    proposal = proposal_for(
        org.reps["R1"], effective=dt.date(2026, 12, 20), unit=org.team_b, role=None
    )
    [warning] = move_warnings(proposal)
    assert warning.code == "target.next_month"
    assert warning.options == ("leave", "move", "resplit")
    assert warning.message == (
        "员工R1's targets (2027-01 Revenue ¥120,000.00; 2027-01 Visits 80) leave the split of "
        "杭州一组: leave them, move them with 员工R1, or re-split them over the team"
    )
    assert warning.detail["targets"][0] == {
        "month": "2027-01",
        "metric": "revenue",
        "value": "120000.00",
    }
    # a promotion takes the rep out of every split: moving with them is not offered
    promotion = proposal_for(org.reps["R1"], effective=JAN, unit=None, role=Role.SUPERVISOR)
    target = next(w for w in move_warnings(promotion) if w.code == "target.next_month")
    assert target.options == ("leave", "resplit")
    # from February the January targets are not touched
    assert codes(org.reps["R1"], effective=dt.date(2027, 2, 1), unit=org.team_b) == []


def test_move_with_them_shifts_the_units_own_targets_so_both_sides_add_up(org):
    # given: the teams' own January targets, split to their reps
    for unit, value in [(org.team_a, 200000), (org.team_b, 150000), (org.branch, 350000)]:
        target_set(month=JAN, metric="revenue", value=Decimal(value), unit=unit)
    target_set(month=JAN, metric="revenue", value=Decimal(120000), person=org.reps["R1"])
    target_set(month=JAN, metric="revenue", value=Decimal(80000), person=org.reps["R2"])
    # when: R1 moves to HZ2 with the target
    membership_move_checked(
        person=org.reps["R1"],
        effective=JAN,
        unit=org.team_b,
        by=org.manager,
        confirm=True,
        choices={"target": "move"},
    )
    # then: HZ1 loses it, HZ2 gains it, the branch (above both) keeps its own
    own = dict(
        Target.objects.filter(month=JAN, unit__isnull=False).values_list("unit__code", "value")
    )
    assert own == {"HZ1": Decimal(80000), "HZ2": Decimal(270000), "HZ": Decimal(350000)}
    assert Target.objects.get(month=JAN, person=org.reps["R1"]).value == Decimal(120000)
    entry = AuditEntry.objects.get(action="confirm_move", object_id="R1")
    assert entry.after["warnings"] == ["target.next_month"]
    assert entry.after["choices"] == {"target": "move"}


def test_resplit_gives_the_old_team_the_target_by_share_and_clears_the_persons(org):
    r6 = person("R6", org.team_a)
    target_set(month=JAN, metric="revenue", value=Decimal(90000), person=org.reps["R1"])
    target_set(month=JAN, metric="revenue", value=Decimal(60000), person=org.reps["R2"])
    target_set(month=JAN, metric="revenue", value=Decimal(30000), person=r6)
    membership_move_checked(
        person=org.reps["R1"],
        effective=JAN,
        unit=org.team_c,
        by=org.admin,
        confirm=True,
        choices={"target": "resplit"},
    )
    values = dict(
        Target.objects.filter(month=JAN, person__isnull=False).values_list(
            "person__employee_no", "value"
        )
    )
    # 90,000 over R2 and R6 by their shares (2:1); the team's sum is unchanged
    assert values == {"R1": Decimal(0), "R2": Decimal(120000), "R6": Decimal(60000)}


def test_resplit_of_a_team_left_empty_is_refused_and_nothing_is_written(org):
    target_set(month=JAN, metric="revenue", value=Decimal(50000), person=org.reps["R5"])
    with pytest.raises(TiejunError, match="宁波一组 has no rep left in 2027-01"):
        membership_move_checked(
            person=org.reps["R5"],
            effective=JAN,
            unit=org.team_a,
            by=org.admin,
            confirm=True,
            choices={"target": "resplit"},
        )
    assert Membership.objects.get(person=org.reps["R5"], valid_to__isnull=True).unit == org.team_c


def test_an_option_not_offered_is_refused(org):
    target_set(month=JAN, metric="revenue", value=Decimal(50000), person=org.reps["R1"])
    with pytest.raises(TiejunError, match="target is one of leave, resplit, not move"):
        membership_move_checked(
            person=org.reps["R1"],
            effective=JAN,
            role=Role.SUPERVISOR,
            confirm=True,
            choices={"target": "move"},
        )
    with pytest.raises(TiejunError, match="unknown choice colour"):
        membership_move_checked(
            person=org.reps["R1"], effective=JAN, unit=org.team_b, choices={"colour": "red"}
        )


def test_customers_and_visit_plans_to_hand_over(org):
    rep = org.reps["R3"]
    for i in range(3):
        customer_create(code=f"C-{i}", name=f"杭州客户{i}", owner=rep)
    plan = plan_get_or_create(person=rep, date=dt.date(2027, 1, 4))
    plan_add_customers(plan=plan, codes=["C-0", "C-1"])
    plan_get_or_create(person=rep, date=dt.date(2027, 1, 5))  # empty: nothing to hand over
    proposal = proposal_for(rep, effective=JAN, unit=org.team_c, role=None)
    warnings = {w.code: w for w in move_warnings(proposal)}
    assert set(warnings) == {"customers.handover", "plans.open"}
    assert warnings["customers.handover"].message == (
        "员工R3's 3 customers are handed over to the head of 杭州二组, else the open pool"
    )
    assert warnings["plans.open"].message == (
        "员工R3 has 1 visit plan from 2027-01-04 on to hand over or clear"
    )
    # a promotion in the same team keeps the customers
    promotion = proposal_for(rep, effective=JAN, unit=None, role=Role.SUPERVISOR)
    assert [w.code for w in move_warnings(promotion)] == ["plans.open"]


def test_a_higher_layer_registers_its_own_check(org):
    """The hook a later app (incentives) uses: its warnings join the rest."""

    def milestones(proposal):
        if proposal.role == Role.SUPERVISOR:
            yield MoveWarning("incentives.milestone", "forfeits the Q1 milestone bonus")

    checks.register("incentives", milestones)
    try:
        assert codes(org.reps["R3"], effective=JAN, role=Role.SUPERVISOR) == [
            "incentives.milestone"
        ]
        assert "incentives" in checks.registered()
    finally:
        checks._CHECKS.pop("incentives")


def test_the_plain_move_service_is_unchanged(org):
    """Services below the pages (the demo, a shell) still move without the checks."""
    membership = membership_move(person=org.supervisor_a, effective=JAN, unit=org.team_b)
    assert membership.role == Role.SUPERVISOR
