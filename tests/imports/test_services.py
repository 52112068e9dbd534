import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import deal
from tiejun.crm.models import Deal, DealChange
from tiejun.imports.services import run_import
from tiejun.org.models import Membership, Person, Unit
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.targets.models import Target, TargetChange

from .conftest import DEALS, MOVES, PEOPLE, TARGETS, TODAY, UNITS, counts, csv_bytes, xlsx_bytes

JUNE = dt.date(2026, 6, 1)
EARLY = dt.date(2026, 5, 20)  # before June's targets lock


def lines(result):
    return [str(e) for e in result.errors]


def test_every_kind_end_to_end_then_the_board_reflects_them(db):
    # given a fresh database, when every kind is imported in turn
    admin = None
    for kind, rows, today in [
        ("units", UNITS, TODAY),
        ("people", PEOPLE, TODAY),
        ("moves", MOVES, TODAY),
        ("targets", TARGETS, EARLY),
        ("deals", DEALS, TODAY),
    ]:
        result = run_import(kind, csv_bytes(rows, "gb18030"), "x.csv", by=admin, today=today)
        assert result.ok, lines(result)
        assert (result.created, result.updated) == (len(rows) - 1, 0)
    # then
    assert Unit.objects.get(code="T1").parent.code == "B1"
    e2 = Person.objects.get(employee_no="E2")
    assert [(m.unit.code, m.valid_to) for m in e2.memberships.order_by("valid_from")] == [
        ("T1", dt.date(2026, 6, 7)),
        ("T2", None),
    ]
    assert Membership.objects.get(person__employee_no="E3", valid_to=None).role == "supervisor"
    assert Deal.objects.get(deal_no="D1").channel == "visit"

    branch = board_for_unit(Unit.objects.get(code="B1"), month=JUNE, as_of=dt.date(2026, 6, 10))
    data = branch.to_json()
    assert data["target"] == "50000.00"
    assert data["achieved"] == "9500.50"
    assert data["today"] == "500.00"
    assert data["allocation_gap"] == "21999.50"  # 50000 − (T1's 20000 + T2's reps' 8000.50)
    rows = {r["code"]: r for r in data["rows"]}
    assert rows["T1"]["achieved"] == "7000.50"  # E1's 6000 and E2's 1000.50 before the move
    assert rows["T2"]["achieved"] == "2500.00"  # E2's 2000 after it, E3's 500
    team = board_for_unit(Unit.objects.get(code="T1"), month=JUNE, as_of=dt.date(2026, 6, 10))
    assert {r["code"]: r["target"] for r in team.to_json()["rows"]} == {
        "E1": "10000.00",
        "E2": None,
    }


def test_xlsx_import_works_like_csv(company):
    rows = [
        TARGETS[0],
        [dt.datetime(2026, 6, 1), "person", "E1", "revenue", 12000.0],  # Excel made a date of it
    ]
    result = run_import("targets", xlsx_bytes(rows), "t.xlsx", today=EARLY)
    assert result.ok, lines(result)
    assert Target.objects.get(person__employee_no="E1").value == Decimal("12000.00")


def test_a_bad_file_writes_nothing_and_names_every_bad_row(company):
    before = counts()
    rows = [
        DEALS[0],
        ["D1", "E1", "C1", "客户一", "100", "2026-06-03", ""],
        ["D2", "NOBODY", "C2", "", "100", "2026-06-03", ""],
        ["D3", "E1", "C3", "", "-5", "2026-06-03", ""],
        ["D4", "E1", "C4", "", "100", "2099-01-01", ""],
        ["D5", "E1", "C5", "", "abc", "2026-6-31", "fax"],
        ["D6", "E1", "C6", "", "100", "2026-06-03", "fax"],
        ["D7", "E1", "C7", "", "1.234", "2026-06-03", ""],
    ]
    result = run_import("deals", csv_bytes(rows), today=TODAY)
    assert not result.ok
    assert lines(result) == [
        "row 3: employee_no: unknown employee NOBODY",
        "row 4: amount: the amount must be greater than zero",
        "row 5: won_date: a deal cannot be won in the future",
        "row 6: amount: abc is not an amount (such as 1234.50, 1,234.50, ¥1,234.50 or 1234元)",
        "row 6: won_date: 2026-6-31 is not a date YYYY-MM-DD (also YYYY/M/D, YYYY.M.D, "
        "YYYY年M月D日, an Excel date)",
        "row 7: channel: unknown channel fax; use one of visit, salon, online, partner, "
        "community, livestream, other",
        "row 8: amount: the amount has more than two decimals",
    ]
    assert (result.created, result.updated) == (0, 0)
    assert counts() == before


def test_unknown_units_and_bad_unit_rows(db):
    before = counts()
    rows = [
        UNITS[0],
        ["CO", "铁军科技", "company", ""],
        ["B9", "无主分公司", "branch", "NOWHERE"],
        ["X1", "", "team", "CO"],
        ["X2", "某组", "squad", "CO"],
        ["T9", "某组", "team", "CO"],
    ]
    result = run_import("units", csv_bytes(rows), today=TODAY)
    assert lines(result) == [
        "row 3: parent_code: unknown unit NOWHERE",
        "row 4: name: a value is required",
        "row 5: kind: unknown unit kind squad; use one of company, region, branch, team",
        "row 6: parent_code: a team must sit under a branch, not a company",
    ]
    assert counts() == before


def test_people_errors_and_updates(company):
    before = counts()
    bad = [
        PEOPLE[0],
        ["E9", "新人", "NOPE", "rep", "2026-01-05", "", ""],
        ["E8", "新人", "B1", "rep", "2026-01-05", "not-an-email", ""],
        ["E7", "新人", "T1", "boss", "yesterday", "", ""],
    ]
    result = run_import("people", csv_bytes(bad), today=TODAY)
    assert lines(result) == [
        "row 2: unit_code: unknown unit NOPE",
        "row 3: email: not-an-email is not an e-mail address",
        "row 4: role: unknown role boss; use one of rep, supervisor, manager, coordinator, admin",
        "row 4: start_date: yesterday is not a date YYYY-MM-DD (also YYYY/M/D, YYYY.M.D, "
        "YYYY年M月D日, an Excel date)",
    ]
    assert counts() == before

    again = [
        PEOPLE[0],
        ["E1", "张三丰", "T1", "rep", "2026-01-05", "new@example.com", ""],
        PEOPLE[2],
    ]
    result = run_import("people", csv_bytes(again), today=TODAY)
    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    e1 = Person.objects.get(employee_no="E1")
    assert (e1.name, e1.email, e1.phone) == ("张三丰", "new@example.com", "")


def test_moves_errors(company):
    before = counts()
    rows = [
        MOVES[0],
        ["E1", "", "", "2026-06-01"],
        ["E1", "T1", "rep", "2026-06-01"],
        ["E1", "T2", "", "2025-01-01"],
        ["NOBODY", "T2", "", "2026-06-01"],
    ]
    result = run_import("moves", csv_bytes(rows), today=TODAY)
    assert lines(result) == [
        "row 2: unit_code: give a new unit_code, a new role, or both",
        "row 3: unit_code: the move changes neither the unit nor the role",
        "row 4: effective_date: a move must take effect after 2026-01-05, when the current "
        "membership began",
        "row 5: employee_no: unknown employee NOBODY",
    ]
    assert counts() == before


def test_locked_target_change_needs_a_reason(company):
    first = run_import("targets", csv_bytes(TARGETS), today=TODAY)  # June is locked: first set ok
    assert (first.ok, first.created) == (True, 4)
    before = counts()
    change = [TARGETS[0], ["2026-06", "unit", "T1", "revenue", "25000"], TARGETS[3]]

    refused = run_import("targets", csv_bytes(change), today=TODAY)
    assert lines(refused) == [
        "row 2: value: targets for 2026-06 are locked; a change needs a reason"
    ]
    assert counts() == before

    accepted = run_import(
        "targets", csv_bytes(change), reason="新客户大单提前签约追加", today=TODAY
    )
    assert (accepted.ok, accepted.created, accepted.updated) == (True, 0, 1)
    audit = TargetChange.objects.filter(unit__code="T1").first()
    assert (audit.old_value, audit.new_value, audit.reason, audit.locked) == (
        Decimal(20000),
        Decimal(25000),
        "新客户大单提前签约追加",
        True,
    )


def test_target_cell_errors(company):
    rows = [
        TARGETS[0],
        ["2026-13", "unit", "T1", "revenue", "1"],
        ["2026-06", "team", "T1", "revenue", "1"],
        ["2026-06", "unit", "T1", "profit", "1"],
        ["2026-06", "person", "E1", "new_customers", "1.5"],
        ["2026-06", "person", "E1", "revenue", "-3"],
        ["2026-06", "person", "XX", "revenue", "NaN"],
    ]
    result = run_import("targets", csv_bytes(rows), today=EARLY)
    assert lines(result) == [
        "row 2: month: 2026-13 is not a month YYYY-MM (also YYYY/M, YYYY年M月)",
        "row 3: scope: scope is unit or person, not team",
        "row 4: metric: unknown metric profit; use one of revenue, new_customers, visits",
        "row 5: value: a New customers target is a whole number",
        "row 6: value: a target cannot be negative",
        "row 7: code: unknown employee XX",
        "row 7: value: NaN is not an amount (such as 1234.50, 1,234.50, ¥1,234.50 or 1234元)",
    ]
    assert not Target.objects.exists()


def test_dry_run_counts_but_writes_nothing(company):
    before = counts()
    result = run_import("deals", csv_bytes(DEALS), dry_run=True, today=TODAY)
    assert (result.ok, result.dry_run, result.created) == (True, True, 4)
    assert result.to_json() == {
        "kind": "deals",
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "dry_run": True,
    }
    assert counts() == before


def test_reimporting_deals_updates_them(company):
    assert run_import("deals", csv_bytes(DEALS), today=TODAY).created == 4
    changed = [DEALS[0], ["D1", "E1", "C1", "客户一", "6500", "2026-06-03", ""], DEALS[2], DEALS[3]]
    result = run_import("deals", csv_bytes(changed), reason="合同更正", today=TODAY)
    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    assert Deal.objects.get(deal_no="D1").amount == Decimal(6500)
    assert DealChange.objects.filter(deal_no="D1", reason="合同更正").count() == 1
    assert Deal.objects.count() == 4


def test_header_errors_stop_the_import(company):
    rows = [["deal_no", "employee_no", "amount", "won_date", "channel", "colour"], ["D1"]]
    result = run_import("deals", csv_bytes(rows), today=TODAY)
    assert lines(result) == [
        "row 1: colour: unknown column",
        "row 1: customer_code: missing column",
        "row 1: customer_name: missing column",
    ]


def test_text_past_the_last_column_is_an_error(company):
    rows = [DEALS[0], [*DEALS[1], "", "stray"]]
    result = run_import("deals", csv_bytes(rows), today=TODAY)
    assert lines(result) == ["row 2: column 9: a value in a column without a header"]
    assert not Deal.objects.exists()


def test_unknown_kind_and_wrong_encoding_are_clear(db):
    from tiejun.imports.registry import KINDS

    assert list(KINDS)[:5] == ["units", "people", "moves", "targets", "deals"]
    assert lines(run_import("widgets", b"")) == [
        f"kind: unknown import kind widgets; use one of {', '.join(KINDS)}"
    ]
    latin = "code,name,kind,parent_code\r\nCO,Société,company,\r\n".encode("latin-1")
    result = run_import("units", latin)
    assert lines(result)[0].startswith("row 2: file: the file is not text in UTF-8 or GB18030")
    assert not Unit.objects.exists()


def test_by_is_recorded(company):
    admin = Person.objects.get(employee_no="M1")
    result = run_import("moves", csv_bytes([MOVES[0], MOVES[1]]), by=admin, today=TODAY)
    assert result.ok
    assert Membership.objects.get(person__employee_no="E2", valid_to=None).created_by == admin


@pytest.mark.parametrize("metric", ["revenue", "new_customers"])
def test_existing_deals_count_with_imported_ones(company, metric):
    e1 = Person.objects.get(employee_no="E1")
    deal(e1, 100, dt.date(2026, 6, 2), customer="OLD")
    assert run_import("deals", csv_bytes(DEALS[:2]), today=TODAY).ok
    board = board_for_unit(
        Unit.objects.get(code="T1"), month=JUNE, as_of=dt.date(2026, 6, 30), metric=metric
    )
    assert board.to_json()["achieved"] == ("6100.00" if metric == "revenue" else 2)
