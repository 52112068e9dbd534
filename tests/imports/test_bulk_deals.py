"""The set-based ``deals`` import (issue 12): a fixed number of queries whatever the rows,
corrections traceable, facts equal to a rebuild, and one summary instead of a flash per row."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.broadcast.conftest import set_target
from tests.factories import deal
from tiejun.audit.models import AuditEntry
from tiejun.broadcast.models import Milestone
from tiejun.broadcast.services import subscription_create
from tiejun.crm.models import Customer, Deal, DealChange
from tiejun.errors import TiejunError
from tiejun.imports.services import run_import
from tiejun.notify.models import Message
from tiejun.org.models import Role
from tiejun.org.services import membership_move
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.services import scoreboard_rebuild

HEADER = "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel"
TODAY = dt.date(2026, 11, 27)
REPS = ["R1", "R2", "R3", "R4", "R5"]


def csv(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def rows(n: int, start: int = 0) -> list[str]:
    return [
        f"B-{i},{REPS[i % 5]},K-{i % 7},客户{i % 7},{100 + i}.50,2026-11-{1 + i % 20:02d},visit"
        for i in range(start, start + n)
    ]


def queries(data: bytes) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = run_import("deals", data, "d.csv", today=TODAY)
    assert result.ok, result.errors
    return len(captured)


# Phase one: people, memberships, deals, customers, owners' memberships (the leaders' subtrees
# only when a leader is named); phase two: the check again, customers (inserted, ids read back),
# first deals before, deals (inserted, ids read back) + history, the import's audit entry,
# customers made customers, first deals after, the recount (lock on PostgreSQL, temporary table,
# clear, spans (analysed on PostgreSQL), delete, two inserts, clear) and savepoints. Rows go in as one statement per batch
# (``executemany`` on SQLite, ``COPY`` on PostgreSQL, which the capture does not see); on
# SQLite the page cache is raised around the writes and put back (three statements).
EXPECTED = {"sqlite": 26, "postgresql": 21}


def test_the_number_of_queries_does_not_grow_with_the_rows(org):
    small = queries(csv(*rows(5)))
    Deal.objects.all().delete()
    large = queries(csv(*rows(60, start=100)))
    assert small == large == EXPECTED[connection.vendor]


def test_a_correction_is_traceable_and_a_rerun_changes_nothing(org):
    # given
    assert run_import("deals", csv(*rows(3)), "d.csv", today=TODAY).created == 3
    fixed = rows(3)
    fixed[1] = "B-1,R2,K-1,客户1,999.00,2026-11-02,salon"
    # when
    result = run_import("deals", csv(*fixed), "d.csv", reason="合同更正", today=TODAY)
    # then
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    history = DealChange.objects.filter(deal_no="B-1").order_by("id")
    assert history.first().before is None
    assert history.last().before["amount"] == "101.50"
    assert history.last().after["amount"] == "999.00" and history.last().reason == "合同更正"
    audit = AuditEntry.objects.filter(object_type="deal", object_id="B-1").get()
    assert (audit.action, audit.before, audit.after) == (
        "update",
        {"amount": "101.50", "channel": "visit"},
        {"amount": "999.00", "channel": "salon"},
    )
    assert AuditEntry.objects.filter(action="import", object_type="deal").count() == 2
    again = run_import("deals", csv(*fixed), "d.csv", today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_a_number_listed_twice_and_a_new_customer_named_once(org):
    result = run_import(
        "deals",
        csv(
            "T-1,R1,K-NEW,新客户,100,2026-11-02,",
            "T-1,R1,K-NEW,新客户,200,2026-11-03,",
        ),
        "d.csv",
        today=TODAY,
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "deal_no")]
    assert not Customer.objects.exists()
    result = run_import(
        "deals",
        csv("T-1,R1,K-NEW,新客户,100,2026-11-02,", "T-2,R2,K-NEW,别名,200,2026-11-03,"),
        "d.csv",
        today=TODAY,
    )
    assert result.created == 2
    new = Customer.objects.get(code="K-NEW")
    assert (new.name, new.unit, new.status) == ("新客户", org.team_a, "customer")


def test_a_rep_without_a_team_on_the_won_date_is_a_row_error(org):
    result = run_import("deals", csv("T-1,R1,K,客户,100,2019-11-02,"), "d.csv", today=TODAY)
    assert [e.column for e in result.errors] == ["won_date"]
    assert "did not belong to any unit" in result.errors[0].problem


# --- facts: incremental upkeep equals a rebuild -----------------------------------------------

FIRST_DAY = dt.date(2026, 10, 1)
days = st.integers(min_value=0, max_value=55).map(lambda n: FIRST_DAY + dt.timedelta(days=n))
line = st.tuples(
    st.integers(0, 12),  # deal number
    st.sampled_from(REPS),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5000), places=2),
    days,
    st.sampled_from(["C1", "C2", "C3", "C4"]),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("import"), st.lists(line, min_size=1, max_size=6)),
        st.tuples(st.just("record"), line),
        st.tuples(st.just("move"), st.sampled_from(REPS), st.sampled_from(["HZ1", "NB1"]), days),
    ),
    min_size=1,
    max_size=8,
)


def fact_tuples():
    return sorted(Fact.objects.values_list("metric", "day", "unit_id", "person_id", "value"))


class Rollback(Exception):
    pass


def _apply(org, ops, teams):
    for op in ops:
        if op[0] == "import":
            unique = {n: (n, *rest) for n, *rest in op[1]}.values()
            data = csv(*(f"P{n},{rep},{c},客户,{a},{d},visit" for n, rep, a, d, c in unique))
            run_import("deals", data, "d.csv", today=TODAY)  # a row error: nothing written
        elif op[0] == "record":
            n, rep, amount, day, customer = op[1]
            with contextlib.suppress(TiejunError):
                deal(org.reps[rep], amount, day, customer, deal_no=f"P{n}", today=TODAY)
        else:
            _, rep, team, day = op
            with contextlib.suppress(TiejunError):
                membership_move(
                    person=org.reps[rep], effective=day, unit=teams[team], role=Role.REP
                )


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_imported_facts_equal_a_rebuild(org, ops):
    teams = {"HZ1": org.team_a, "NB1": org.team_c}
    try:
        with transaction.atomic():
            _apply(org, ops, teams)
            incremental = fact_tuples()
            scoreboard_rebuild()
            assert fact_tuples() == incremental
            raise Rollback
    except Rollback:
        pass


# --- imports do not spam ----------------------------------------------------------------------


@pytest.fixture
def subscribed(org):
    for unit, address in [(org.team_a, "hz1@example.com"), (org.company, "hq@example.com")]:
        subscription_create(unit=unit, report="win_flash", channel="email", address=address)
    subscription_create(unit=org.branch, report="milestone", channel="email", address="ms@x.com")
    set_target(org, "R1", 1000)
    set_target(org, "R2", 1000)
    return org


def _import(data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import("deals", data, "d.csv", today=TODAY)
    assert result.ok, result.errors
    return result


def test_an_import_sends_one_summary_per_subscription_and_no_win_flash(
    subscribed, huey_now, django_capture_on_commit_callbacks
):
    _import(csv(*rows(18)), django_capture_on_commit_callbacks)
    assert not Message.objects.filter(key__startswith="win_flash:").exists()
    summaries = {m.address: m.text for m in Message.objects.filter(key__startswith="import_")}
    # HZ1 gets its own reps' deals (R1, R2), the company all 18
    assert set(summaries) == {"hz1@example.com", "hq@example.com"}
    assert "Imported 18 deals" in summaries["hq@example.com"]
    total = sum(100 + i + Decimal("0.5") for i in range(18))
    assert f"¥{total:,.2f}" in summaries["hq@example.com"]
    assert "Imported 8 deals" in summaries["hz1@example.com"]


def test_back_dated_deals_never_flash_a_milestone(
    subscribed, huey_now, django_capture_on_commit_callbacks
):
    # R1 passes the month target with a deal won a week before the import
    _import(csv("M-1,R1,K,客户,5000,2026-11-20,"), django_capture_on_commit_callbacks)
    assert not Milestone.objects.exists()
    assert not Message.objects.filter(key__startswith="milestone:").exists()


def test_a_deal_won_on_the_import_day_flashes_the_milestone_it_completes(
    subscribed, huey_now, django_capture_on_commit_callbacks
):
    _import(csv(f"M-2,R2,K,客户,5000,{TODAY},"), django_capture_on_commit_callbacks)
    people = Milestone.objects.filter(person__isnull=False)
    assert list(people.values_list("person__employee_no", flat=True)) == ["R2"]
    # the team's (and the units above it, whose targets are their children's) on the same day
    assert set(Milestone.objects.values_list("reached_on", flat=True)) == {TODAY}
    assert Message.objects.filter(key__startswith="milestone:", address="ms@x.com").exists()
