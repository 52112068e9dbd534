"""A move of someone under investigation asks for a confirmation naming the open case."""

from __future__ import annotations

import datetime as dt

import pytest

from tiejun.discipline.models import Category, Decision
from tiejun.discipline.services import case_decide, case_open
from tiejun.org.checks import move_warnings, proposal_for

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 16)


def warnings_for(org, rep="R1"):
    proposal = proposal_for(org.reps[rep], effective=TODAY, unit=org.team_c, role=None)
    return [w for w in move_warnings(proposal) if w.code.startswith("redline.")]


def test_an_open_case_is_named_and_a_decided_one_is_not(company):
    assert warnings_for(company) == []
    case = case_open(
        by=company.supervisor_a,
        person=company.reps["R1"],
        category=Category.objects.get(code="poaching"),
        occurred_on=dt.date(2026, 12, 2),
        facts="抢撬同事客户",
        today=TODAY,
    )
    (warning,) = warnings_for(company)
    assert warning.detail == {"cases": [case.number]}
    assert warning.message == (
        f"员工R1 is under investigation for a red line ({case.number}): the case stays open "
        "and the new management chain sees it too"
    )
    assert warnings_for(company, "R2") == []
    case_decide(
        case=case,
        by=company.supervisor_a,
        decision=Decision.WARNING,
        reason="警告",
        effective_date=TODAY,
        today=TODAY,
    )
    assert warnings_for(company) == []
