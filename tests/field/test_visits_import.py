"""Import kind ``visits``: history rows become check-ins; a bad row writes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from tiejun.crm.models import Customer
from tiejun.field.models import Visit
from tiejun.imports.services import run_import
from tiejun.scoreboard.models import Fact

HEADER = "visit_id,employee_no,customer_code,checkin_at,lat,lon,outcome,channel"


@pytest.fixture
def customers(org):
    Customer.objects.create(
        code="C1",
        name="西湖茶业",
        lat=Decimal("30.25"),
        lon=Decimal("120.15"),
        owner=org.reps["R1"],
    )
    Customer.objects.create(code="C2", name="钱塘机械", lat=Decimal("30.30"), lon=Decimal("120.20"))
    return org


def csv(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def test_good_rows_create_visits_credit_the_board_and_a_rerun_changes_nothing(customers):
    a, b = uuid.uuid4(), uuid.uuid4()
    day = timezone.localdate() - dt.timedelta(days=1)
    data = csv(
        f"{a},R1,C1,{day} 09:30,30.2501,120.1500,high,visit",
        f"{b},R3,C2,{day:%Y/%m/%d} 14:05,30.3100,120.2000,wants a demo,",
    )
    result = run_import("visits", data, "visits.csv")
    assert result.ok, result.to_json()
    assert result.created == 2
    first = Visit.objects.get(pk=a)
    assert first.interest == "high" and first.source == "import" and first.unit.code == "HZ1"
    assert not first.outside_geofence
    second = Visit.objects.get(pk=b)
    assert second.notes == "wants a demo" and second.outside_geofence  # ~1.1 km away
    assert timezone.localtime(second.checkin_at).time() == dt.time(14, 5)
    assert Fact.objects.filter(metric="visits", day=day).count() == 2
    again = run_import("visits", data, "visits.csv")
    assert again.ok and again.created == 0 and again.updated == 0
    assert Visit.objects.count() == 2


def test_bad_rows_are_reported_and_nothing_is_written(customers):
    day = timezone.localdate() - dt.timedelta(days=1)
    data = csv(
        f"{uuid.uuid4()},R1,C1,{day} 09:30,30.25,120.15,,visit",  # good, but the file is bad
        f"{uuid.uuid4()},R1,C1,2026-02-30 09:30,30.25,120.15,,",  # broken date
        f"{uuid.uuid4()},R1,C1,{day} 10:00,95,120.15,,",  # latitude out of range
        f"{uuid.uuid4()},R1,C1,{day} 10:00,30.25,190,,",  # longitude out of range
        f"{uuid.uuid4()},R1,NOPE,{day} 10:00,30.25,120.15,,",  # unknown customer
        f"{'V' * 65},R1,C1,{day} 10:00,30.25,120.15,,",  # an id longer than 64 characters
        f"{uuid.uuid4()},R9,C1,{day} 10:00,30.25,120.15,,",  # unknown employee
        f"{uuid.uuid4()},R1,C1,{day} 10:00,30.25,120.15,,bicycle",  # unknown channel
    )
    result = run_import("visits", data, "visits.csv")
    assert not result.ok and result.created == 0
    problems = {(e.row, e.column) for e in result.errors}
    assert problems == {
        (3, "checkin_at"),
        (4, "lat"),
        (5, "lon"),
        (6, "customer_code"),
        (7, "visit_id"),
        (8, "employee_no"),
        (9, "channel"),
    }
    messages = " ".join(str(e.problem) for e in result.errors)
    assert "2026-02-30 09:30 is not a date and time" in messages
    assert "unknown customer NOPE" in messages
    assert not Visit.objects.exists() and not Fact.objects.filter(metric="visits").exists()


def test_a_visit_id_of_another_person_is_a_row_error(customers):
    pk = uuid.uuid4()
    day = timezone.localdate() - dt.timedelta(days=1)
    assert run_import("visits", csv(f"{pk},R1,C1,{day} 09:30,30.25,120.15,,"), "v.csv").ok
    result = run_import("visits", csv(f"{pk},R2,C1,{day} 09:30,30.25,120.15,,"), "v.csv")
    assert not result.ok
    assert result.errors[0].column == "visit_id"
    assert Visit.objects.get().person.employee_no == "R1"
