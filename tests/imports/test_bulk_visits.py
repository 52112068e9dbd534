"""The set-based ``visits`` import (issue 12): external ids, idempotency per id, a fixed number of
queries, and what a counted visit brings along (facts, last activity, the lab's touches)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tiejun.crm.models import Customer
from tiejun.field.models import Visit
from tiejun.imports.services import run_import
from tiejun.lab.models import Touch
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.services import scoreboard_rebuild

HEADER = "visit_id,employee_no,customer_code,checkin_at,lat,lon,outcome,channel"


@pytest.fixture
def customers(org):
    for i in range(3):
        Customer.objects.create(
            code=f"C{i}", name=f"客户{i}", lat=Decimal("30.25"), lon=Decimal("120.15")
        )
    return org


def csv(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


DAY = timezone.localdate() - dt.timedelta(days=2)


def test_an_external_id_is_kept_and_a_reimport_creates_nothing(customers):
    data = csv(
        f"CRM-000123,R1,C0,{DAY} 09:30,30.25,120.15,high,visit",
        f"外勤#7 / 2026,R2,C1,{DAY} 10:00,30.25,120.15,想看演示,salon",
    )
    first = run_import("visits", data, "v.csv")
    assert (first.ok, first.created) == (True, 2), first.errors
    visit = Visit.objects.get(external_id="CRM-000123")
    assert (visit.person.employee_no, visit.interest, visit.source) == ("R1", "high", "import")
    assert isinstance(visit.pk, uuid.UUID)
    assert Visit.objects.get(external_id="外勤#7 / 2026").notes == "想看演示"
    again = run_import("visits", data, "v.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Visit.objects.count() == 2
    assert Fact.objects.get(metric="visits", person__employee_no="R1").value == 1


def test_a_changed_outcome_or_channel_updates_the_stored_visit(customers):
    pk = uuid.uuid4()
    run_import("visits", csv(f"{pk},R1,C0,{DAY} 09:30,30.25,120.15,low,visit"), "v.csv")
    run_import("visits", csv(f"X-1,R1,C0,{DAY} 11:30,30.25,120.15,low,visit"), "v.csv")
    result = run_import(
        "visits",
        csv(
            f"{str(pk).upper()},R1,C0,{DAY} 09:30,30.25,120.15,high,visit",
            f"X-1,R1,C0,{DAY} 11:30,30.25,120.15,low,online",
        ),
        "v.csv",
    )
    assert (result.created, result.updated, result.unchanged) == (0, 2, 0), result.errors
    assert Visit.objects.get(pk=pk).interest == "high"
    assert Visit.objects.get(external_id="X-1").channel == "online"
    assert Fact.objects.get(metric="visits").value == 2  # an update counts nothing again


def test_bad_ids_are_row_errors_and_nothing_is_written(customers):
    run_import("visits", csv(f"X-9,R1,C0,{DAY} 09:30,30.25,120.15,,"), "v.csv")
    result = run_import(
        "visits",
        csv(
            f"X-1,R1,C0,{DAY} 09:30,30.25,120.15,,",
            f"{'x' * 65},R1,C0,{DAY} 09:30,30.25,120.15,,",
            f"X-9,R2,C0,{DAY} 09:30,30.25,120.15,,",  # another person's id
            f"X-1,R1,C1,{DAY} 10:30,30.25,120.15,,",  # listed twice
            f'"X\x07",R1,C1,{DAY} 10:30,30.25,120.15,,',  # not printable
            f"X-2,R1,C1,{timezone.localdate() + dt.timedelta(days=2)} 10:30,30.25,120.15,,",
        ),
        "v.csv",
    )
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "visit_id"),
        (4, "visit_id"),
        (5, "visit_id"),
        (6, "visit_id"),
        (7, "checkin_at"),
    ]
    assert "belongs to another person" in result.errors[1].problem
    assert Visit.objects.count() == 1


def test_counted_visits_bring_facts_last_activity_and_touches_that_a_rebuild_keeps(customers):
    result = run_import(
        "visits",
        csv(
            *(f"V-{i},R{1 + i % 3},C{i % 3},{DAY} {8 + i}:00,30.25,120.15,,visit" for i in range(6))
        ),
        "v.csv",
    )
    assert result.created == 6, result.errors
    assert Customer.objects.get(code="C0").last_activity_on == DAY
    touches = Touch.objects.filter(source="checkin")
    assert touches.count() == 6
    assert {t.activity_id for t in touches} == {f"checkin:{v.pk}" for v in Visit.objects.all()}
    facts = sorted(Fact.objects.filter(metric="visits").values_list("person_id", "value"))
    scoreboard_rebuild()
    assert sorted(Fact.objects.filter(metric="visits").values_list("person_id", "value")) == facts


def _queries(rows: list[str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = run_import("visits", csv(*rows), "v.csv")
    assert result.ok, result.errors
    return len(captured)


# Phase one: people, memberships, customers, visits by UUID, visits by external id, planned
# stops, the owners' memberships; phase two: the check again (two), the inserts, the lab's
# sales model and touches, the facts and the customers' last activity (each: a temporary table
# created, cleared, filled (and analysed on PostgreSQL), then one statement), and savepoints. ``COPY`` (PostgreSQL's inserts)
# is not captured; on SQLite the page cache is raised around the writes and put back (three).
EXPECTED = {"sqlite": 24, "postgresql": 19}


def test_the_number_of_queries_does_not_grow_with_the_rows(customers):
    def rows(n: int, start: int) -> list[str]:
        return [
            f"{uuid.uuid4() if i % 2 else f'Q-{i}'},R{1 + i % 5},C{i % 3},"
            f"{DAY - dt.timedelta(days=i % 9)} 09:{i % 60:02d},30.25,120.15,,visit"
            for i in range(start, start + n)
        ]

    small = _queries(rows(4, 0))
    large = _queries(rows(80, 100))
    assert small == large == EXPECTED[connection.vendor]


def test_a_leaders_own_late_visits_wait_for_approval(customers):
    old = timezone.localdate() - dt.timedelta(days=60)
    result = run_import(
        "visits",
        csv(
            f"L-1,S1,C0,{old} 09:30,30.25,120.15,,",
            f"L-2,R1,C0,{old} 09:30,30.25,120.15,,",
        ),
        "v.csv",
        by=customers.supervisor_a,
    )
    assert result.ok, result.errors
    assert Visit.objects.get(external_id="L-1").approval == "pending"  # their own: held
    assert Visit.objects.get(external_id="L-2").approval == ""  # their rep's: approved by the file
    assert Fact.objects.get(metric="visits").person.employee_no == "R1"
