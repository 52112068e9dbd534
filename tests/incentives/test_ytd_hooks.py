"""Year-to-date milestone progress in the nightly personal message (issue 16, point 3)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import deal, person
from tiejun.broadcast.personal import personal_message, personal_messages
from tiejun.broadcast.renderers import render
from tiejun.incentives.services import plan_load

TODAY = dt.date(2026, 12, 16)


@pytest.fixture
def plan(org, plan_data):
    return plan_load(data=plan_data)


def test_a_rep_near_the_milestone_reads_their_progress_and_projection(org, plan):
    # given: R1 has ¥988,600 this year, ¥7,000 every working day of December so far
    rep = org.reps["R1"]
    deal(rep, 911600, dt.date(2026, 6, 10), today=TODAY)
    for day in range(1, 16):
        if dt.date(2026, 12, day).weekday() < 5:
            deal(rep, 7000, dt.date(2026, 12, day), today=TODAY)
    # when
    data = personal_message(rep, TODAY).to_json()
    # then: the line's figures, and a projected day this year
    milestone = data["milestone"]
    assert (milestone["ytd"], milestone["threshold"], milestone["status"]) == (
        "988600.00",
        "1000000.00",
        "open",
    )
    assert milestone["reward"] == "期权 20,000 股"
    text = render("personal", data, "text", language="en")
    assert "2026-12-16" < milestone["projected_on"] <= "2026-12-31"
    day = milestone["projected_on"][5:]
    assert f"Year milestone: ¥988,600 / ¥1,000,000, expected around {day}" in text
    for fmt in ("sms", "markdown", "html"):
        assert "¥988,600" in render("personal", data, fmt, language="en")


def test_a_reached_milestone_reads_as_reached(org, plan):
    rep = org.reps["R2"]
    deal(rep, 1000000, dt.date(2026, 8, 7), today=TODAY)
    data = personal_message(rep, TODAY).to_json()
    assert data["milestone"]["status"] == "reached"
    text = render("personal", data, "text", language="en")
    assert "Year milestone: ¥1,000,000 reached on 08-07 — 期权 20,000 股" in text


def test_no_line_without_a_plan_milestone(org):
    rep = org.reps["R1"]
    deal(rep, 5000, dt.date(2026, 12, 1), today=TODAY)
    data = personal_message(rep, TODAY).to_json()
    assert data["milestone"] is None
    assert "Year milestone" not in render("personal", data, "text", language="en")


def test_a_branchs_messages_keep_a_fixed_number_of_queries(org, plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    deal(org.reps["R1"], 500000, dt.date(2026, 7, 1), today=TODAY)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            found = personal_messages(org.branch, TODAY)
        assert any(m.milestone for m in found)
        return len(queries)

    before = count()
    # given four more reps with deals this year
    for no in ("R7", "R8", "R9", "R10"):
        org.reps[no] = person(no, org.team_b)
        deal(org.reps[no], 300000, dt.date(2026, 9, 1), today=TODAY)
    # then the same number of queries composes every message, each with its line
    assert count() == before
    found = {m.person.employee_no: m for m in personal_messages(org.branch, TODAY)}
    assert found["R9"].milestone["ytd"] == "300000.00"
