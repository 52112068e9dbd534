"""Who sees a red-line case or flag: the person's management chain (then and now) and admins."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import person
from tiejun.discipline.models import Category, Decision
from tiejun.discipline.scan import flags_scan
from tiejun.discipline.selectors import (
    access_case,
    case_list,
    cases_of,
    decisions_for,
    flag_list,
    people_in_chain,
)
from tiejun.discipline.services import case_decide, case_open
from tiejun.errors import NotFound
from tiejun.org.models import Role
from tiejun.org.services import membership_move

from .conftest import DAY
from .scenario import suspicious_day

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 16)


def open_case(org, subject, by):
    return case_open(
        by=by,
        person=subject,
        category=Category.objects.get(code="false_deal"),
        occurred_on=DAY,
        facts="拆单冲业绩",
        today=TODAY,
    )


def seen_by(viewer):
    return {c.person.employee_no for c in case_list(viewer, day=TODAY)}


def test_a_case_is_seen_by_the_chain_and_admins_only(company):
    open_case(company, company.reps["R1"], company.supervisor_a)
    assert seen_by(company.supervisor_a) == {"R1"}
    assert seen_by(company.manager) == {"R1"}
    assert seen_by(company.admin) == {"R1"}
    assert seen_by(company.supervisor_b) == set()
    assert seen_by(company.reps["R2"]) == set()
    assert seen_by(company.reps["R1"]) == set()  # not the person, while it is open


def test_the_chain_then_and_now_both_see_it_after_a_transfer(company):
    case = open_case(company, company.reps["R1"], company.supervisor_a)
    nb_supervisor = person("S3", company.team_c, Role.SUPERVISOR, name="钱主管")
    assert seen_by(nb_supervisor) == set()
    membership_move(person=company.reps["R1"], effective=TODAY, unit=company.team_c)
    assert seen_by(nb_supervisor) == {"R1"}  # now R1's supervisor
    assert seen_by(company.supervisor_a) == {"R1"}  # R1's supervisor when the case was opened
    assert access_case(nb_supervisor, case.pk, TODAY) == case
    assert access_case(nb_supervisor, case.number, TODAY) == case


def test_a_leader_is_not_in_a_fellow_leaders_chain(company):
    co_supervisor = person("S1B", company.team_a, Role.SUPERVISOR, name="孙副组长")
    case = open_case(company, company.supervisor_a, company.manager)
    assert seen_by(company.manager) == {"S1"}
    assert seen_by(co_supervisor) == set()
    assert seen_by(company.supervisor_a) == set()
    with pytest.raises(NotFound):
        access_case(company.supervisor_a, case.pk, TODAY)
    assert company.supervisor_a not in people_in_chain(co_supervisor, TODAY)


@pytest.mark.parametrize(
    "foreign", ["999999", "RL-999999", "abc", "-1", "0", str(2**64), "RL-", " 1x"]
)
def test_a_foreign_or_malformed_id_is_not_found(company, foreign):
    open_case(company, company.reps["R3"], company.manager)
    with pytest.raises(NotFound):
        access_case(company.supervisor_a, foreign, TODAY)


def test_the_person_sees_the_decision_once_taken_never_a_cleared_case(company):
    r1 = company.reps["R1"]
    case = open_case(company, r1, company.supervisor_a)
    cleared = open_case(company, r1, company.supervisor_a)
    assert list(cases_of(r1)) == []
    case_decide(
        case=case,
        by=company.manager,
        decision=Decision.DEMOTION,
        reason="降为见习销售",
        effective_date=TODAY,
        today=TODAY,
    )
    case_decide(
        case=cleared,
        by=company.supervisor_a,
        decision=Decision.CLEARED,
        reason="查无实据",
        effective_date=None,
        today=TODAY,
    )
    assert [c.pk for c in cases_of(r1)] == [case.pk]
    assert seen_by(r1) == set()  # still not the register itself


def test_decisions_offered_follow_the_role(company):
    case = open_case(company, company.reps["R1"], company.supervisor_a)
    assert [d for d, _ in decisions_for(company.supervisor_a, case)] == ["warning", "cleared"]
    assert [d for d, _ in decisions_for(company.manager, case)] == [
        "warning",
        "demotion",
        "dismissal",
        "cleared",
    ]
    assert decisions_for(company.reps["R1"], case) == []


def test_flags_follow_the_same_chain(company, time_machine):
    suspicious_day(company, time_machine)
    flags_scan(day=DAY)
    assert {f.person.employee_no for f in flag_list(company.supervisor_a, day=TODAY)} == {
        "R1",
        "R2",
    }
    assert {f.person.employee_no for f in flag_list(company.supervisor_b, day=TODAY)} == {
        "R3",
        "R4",
    }
    assert {f.person.employee_no for f in flag_list(company.manager, day=TODAY)} == {
        "R1",
        "R2",
        "R3",
        "R4",
    }
    assert {f.person.employee_no for f in flag_list(company.reps["R1"], day=TODAY)} == set()
    assert len(flag_list(company.admin, day=TODAY, kind="reversal")) == 1


def test_the_lists_cost_a_fixed_number_of_queries(company, django_assert_num_queries):
    for rep in ("R1", "R2"):
        for _ in range(3):
            open_case(company, company.reps[rep], company.supervisor_a)
    with django_assert_num_queries(3):  # admin? membership; the list
        rows = list(case_list(company.supervisor_a, day=TODAY))
        assert {c.category.label for c in rows} == {"False or split deals"}
        assert {c.unit.name for c in rows} == {"杭州一组"}
    with django_assert_num_queries(2):  # admin?; the list
        assert len(list(case_list(company.admin, day=TODAY))) == 6
