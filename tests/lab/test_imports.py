import datetime as dt
from decimal import Decimal

from tests.imports.conftest import csv_bytes
from tiejun.crm.models import Customer
from tiejun.imports.services import run_import
from tiejun.lab.models import Attendee, Event, Touch

TODAY = dt.date(2026, 11, 28)
ACTIVITIES = ["activity_id", "employee_no", "customer_code", "model", "date", "hours", "cost"]
EVENTS = ["event_id", "model", "unit_code", "date", "title", "hours", "cost"]
ATTENDEES = ["event_id", "customer_code"]


def lines(result):
    return [str(e) for e in result.errors]


def counts():
    return (Touch.objects.count(), Event.objects.count(), Attendee.objects.count())


def customers(*codes):
    for code in codes:
        Customer.objects.create(code=code, name=code)


def test_activities_events_attendees_end_to_end(org):
    customers("C1", "C2", "C3")
    result = run_import(
        "activities",
        csv_bytes(
            [
                ACTIVITIES,
                ["A1", "R1", "C1", "visit", "2026-06-02", "2.5", "30"],
                ["A2", "R3", "C2", "Online", "2026/6/3", "0.5", "0"],
            ]
        ),
        "a.csv",
        today=TODAY,
    )
    assert result.ok, lines(result)
    assert (result.created, result.updated) == (2, 0)
    a1 = Touch.objects.get(activity_id="A1")
    assert (a1.model.code, a1.unit.code, a1.hours, a1.cost, a1.source) == (
        "visit",
        "HZ1",
        Decimal("2.50"),
        Decimal("30.00"),
        "import",
    )
    result = run_import(
        "events",
        csv_bytes([EVENTS, ["E1", "salon", "HZ", "2026-06-12", "茶话会", "6", "100"]]),
        "e.csv",
        today=TODAY,
    )
    assert result.ok, lines(result)
    result = run_import(
        "attendees",
        csv_bytes([ATTENDEES, ["E1", "C1"], ["E1", "C2"], ["E1", "C3"]]),
        "t.csv",
        today=TODAY,
    )
    assert result.ok, lines(result)
    assert result.created == 3
    shares = sorted(
        (t.hours, t.cost) for t in Touch.objects.filter(event__event_id="E1").order_by("id")
    )
    assert shares == [
        (Decimal("2.00"), Decimal("33.33")),
        (Decimal("2.00"), Decimal("33.33")),
        (Decimal("2.00"), Decimal("33.34")),
    ]
    assert set(
        Touch.objects.filter(source="event").values_list("model__code", "unit__code", "date")
    ) == {("salon", "HZ", dt.date(2026, 6, 12))}
    # importing the same files again changes nothing; a corrected row is an update
    again = run_import("attendees", csv_bytes([ATTENDEES, ["E1", "C1"]]), today=TODAY)
    assert again.ok and (again.created, again.updated) == (0, 0)
    fix = run_import(
        "activities",
        csv_bytes([ACTIVITIES, ["A1", "R1", "C1", "visit", "2026-06-02", "3", "30"]]),
        today=TODAY,
    )
    assert fix.ok and (fix.created, fix.updated) == (0, 1)
    # a changed event re-splits among its attendees
    bigger = run_import(
        "events",
        csv_bytes([EVENTS, ["E1", "salon", "HZ", "2026-06-12", "茶话会", "9", "100"]]),
        today=TODAY,
    )
    assert bigger.ok and bigger.updated == 1
    assert {t.hours for t in Touch.objects.filter(event__event_id="E1")} == {Decimal("3.00")}


def test_bad_activities_write_nothing_and_name_every_problem(org):
    customers("C1")
    before = counts()
    result = run_import(
        "activities",
        csv_bytes(
            [
                ACTIVITIES,
                ["A1", "R1", "C1", "visit", "2026-06-02", "1", "0"],  # good, but not written
                ["A2", "R1", "C1", "telepathy", "2026-06-02", "1", "0"],
                ["A3", "R1", "C1", "visit", "2026-06-02", "-1", "0"],
                ["A4", "R1", "C1", "visit", "2026-06-02", "1", "-5"],
                ["A5", "NOBODY", "C1", "visit", "2026-06-02", "1", "0"],
                ["A6", "R1", "NOCUST", "visit", "2026-06-02", "1", "0"],
                ["A7", "R1", "C1", "visit", "2026-06-31", "1", "0"],
                ["A8", "R1", "C1", "visit", "2099-01-01", "1", "0"],
                ["A9", "R1", "C1", "visit", "2026-06-02", "abc", "0"],
            ]
        ),
        today=TODAY,
    )
    assert not result.ok
    assert counts() == before
    got = lines(result)
    assert got[0].startswith("row 3: model: unknown sales model telepathy")
    assert "row 4: hours: the hours cannot be negative" in got
    assert "row 5: cost: the cost cannot be negative" in got
    assert "row 6: employee_no: unknown employee NOBODY" in got
    assert "row 7: customer_code: unknown customer NOCUST" in got
    assert (
        "row 8: date: 2026-06-31 is not a date YYYY-MM-DD (also YYYY/M/D, YYYY.M.D, "
        "YYYY年M月D日, an Excel date)" in got
    )
    assert "row 9: date: a touch cannot be in the future" in got
    assert "row 10: hours: abc is not a number" in got
    assert len(got) == 8


def test_bad_events_and_attendees_write_nothing(org):
    customers("C1")
    run_import(
        "events",
        csv_bytes([EVENTS, ["E1", "salon", "HZ", "2026-06-12", "ok", "1", "1"]]),
        today=TODAY,
    )
    before = counts()
    result = run_import(
        "events",
        csv_bytes(
            [
                EVENTS,
                ["E2", "salon", "HZ", "2026-06-12", "ok", "1", "1"],
                ["E3", "dance", "HZ", "2026-06-12", "bad model", "1", "1"],
                ["E4", "salon", "XX", "2026-06-12", "bad unit", "1", "1"],
                ["E5", "salon", "HZ", "2026-06-12", "bad hours", "-2", "1"],
                ["E6", "salon", "HZ", "2026-06-12", "", "1", "1"],
            ]
        ),
        today=TODAY,
    )
    assert counts() == before
    assert [e.row for e in result.errors] == [3, 4, 5, 6]
    assert "row 4: unit_code: unknown unit XX" in lines(result)
    result = run_import(
        "attendees",
        csv_bytes([ATTENDEES, ["E1", "C1"], ["NOEVENT", "C1"], ["E1", "NOCUST"]]),
        today=TODAY,
    )
    assert counts() == before
    assert lines(result) == [
        "row 3: event_id: unknown event NOEVENT",
        "row 4: customer_code: unknown customer NOCUST",
    ]


def test_a_wrong_header_is_refused(org):
    result = run_import(
        "activities", csv_bytes([["activity_id", "who"], ["A1", "R1"]]), today=TODAY
    )
    assert not result.ok
    assert Touch.objects.count() == 0


# --- a manager's file stays in their subtree -------------------------------------------------


def _other_branch_lab(org):
    """Ningbo's customer, touch and event (HZ's manager M1 must not reach them), and C-HZ, C-POOL."""
    from tiejun.lab.models import SalesModel
    from tiejun.lab.services import event_record, touch_record

    nb = Customer.objects.create(code="C-NB", name="宁波客户", owner=org.reps["R5"])
    Customer.objects.create(code="C-HZ", name="杭州客户", owner=org.reps["R1"])
    Customer.objects.create(code="C-POOL", name="公海客户")
    visit = SalesModel.objects.get(code="visit")
    touch_record(
        activity_id="NB-A1",
        person=org.reps["R5"],
        customer=nb,
        model=visit,
        date=dt.date(2026, 6, 2),
        hours=Decimal(2),
        cost=Decimal(10),
        today=TODAY,
    )
    event_record(
        event_id="NB-E1",
        model=SalesModel.objects.get(code="salon"),
        unit=org.other_branch,
        date=dt.date(2026, 6, 12),
        title="宁波沙龙",
        hours=Decimal(6),
        cost=Decimal(300),
        today=TODAY,
    )
    run_import(
        "events",
        csv_bytes([EVENTS, ["HZ-E1", "salon", "HZ", "2026-06-12", "杭州沙龙", "4", "100"]]),
        today=TODAY,
    )


def snapshot():
    return (
        sorted(Touch.objects.values_list("activity_id", "unit__code", "customer__code", "hours")),
        sorted(Event.objects.values_list("event_id", "unit__code", "title", "hours")),
        sorted(Attendee.objects.values_list("event__event_id", "customer__code")),
    )


def test_a_managers_activities_cannot_reach_another_branch(org):
    # given: R6 was in Ningbo until June's end, then moved to Hangzhou team A
    from tests.factories import person
    from tiejun.org.services import membership_move

    _other_branch_lab(org)
    r6 = person("R6", org.team_c)
    membership_move(person=r6, effective=dt.date(2026, 7, 1), unit=org.team_a)
    before = snapshot()
    # when: Hangzhou's manager imports activities touching Ningbo
    result = run_import(
        "activities",
        csv_bytes(
            [
                ACTIVITIES,
                ["HZ-A1", "R1", "C-HZ", "visit", "2026-06-02", "1", "0"],  # good, not written
                ["HZ-A2", "R1", "C-NB", "visit", "2026-06-02", "1", "0"],  # Ningbo's customer
                ["NB-A1", "R1", "C-HZ", "visit", "2026-06-02", "9", "0"],  # Ningbo's touch id
                ["HZ-A3", "R6", "C-HZ", "visit", "2026-06-05", "1", "0"],  # R6 in Ningbo then
                ["HZ-A4", "R5", "C-HZ", "visit", "2026-06-05", "1", "0"],  # Ningbo's rep
            ]
        ),
        by=org.manager,
        today=TODAY,
    )
    # then: one error row each, and nothing is written
    assert lines(result) == [
        "row 3: customer_code: unknown customer C-NB",
        "row 4: activity_id: activity id NB-A1 cannot be used; choose another",
        "row 5: employee_no: on 2026-06-05 R6 belonged to a unit outside yours",
        "row 6: employee_no: unknown employee R5",
    ]
    assert snapshot() == before
    # the good row alone, a pool customer, and R6 after the move all go in
    ok = run_import(
        "activities",
        csv_bytes(
            [
                ACTIVITIES,
                ["HZ-A1", "R1", "C-HZ", "visit", "2026-06-02", "1", "0"],
                ["HZ-A2", "R2", "C-POOL", "visit", "2026-06-02", "1", "0"],
                ["HZ-A3", "R6", "C-HZ", "visit", "2026-07-02", "1", "0"],
            ]
        ),
        by=org.manager,
        today=TODAY,
    )
    assert ok.ok, lines(ok)
    assert Touch.objects.get(activity_id="HZ-A3").unit == org.team_a


def test_a_managers_events_and_attendees_cannot_reach_another_branch(org):
    _other_branch_lab(org)
    before = snapshot()
    events = run_import(
        "events",
        csv_bytes(
            [
                EVENTS,
                ["NB-E1", "salon", "HZ", "2026-06-12", "改成杭州的", "1", "1"],  # Ningbo's id
                ["HZ-E2", "salon", "NB", "2026-06-12", "宁波的活动", "1", "1"],  # Ningbo's unit
            ]
        ),
        by=org.manager,
        today=TODAY,
    )
    assert lines(events) == [
        "row 2: event_id: event id NB-E1 cannot be used; choose another",
        "row 3: unit_code: unknown unit NB",
    ]
    attendees = run_import(
        "attendees",
        csv_bytes(
            [
                ATTENDEES,
                ["HZ-E1", "C-HZ"],  # good, not written
                ["NB-E1", "C-HZ"],  # Ningbo's event
                ["HZ-E1", "C-NB"],  # Ningbo's customer
            ]
        ),
        by=org.manager,
        today=TODAY,
    )
    assert lines(attendees) == [
        "row 3: event_id: unknown event NB-E1",
        "row 4: customer_code: unknown customer C-NB",
    ]
    assert snapshot() == before
    # an admin's file (and the CLI's) reaches everything, as before
    admin = run_import(
        "attendees", csv_bytes([ATTENDEES, ["NB-E1", "C-HZ"]]), by=org.admin, today=TODAY
    )
    assert admin.ok and admin.created == 1
    mine = run_import(
        "attendees",
        csv_bytes([ATTENDEES, ["HZ-E1", "C-HZ"], ["HZ-E1", "C-POOL"]]),
        by=org.manager,
        today=TODAY,
    )
    assert mine.ok and mine.created == 2, lines(mine)
