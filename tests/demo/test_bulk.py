"""The demo's fast writer stores exactly the rows ``bulk_create`` stores."""

import datetime as dt
import uuid
from decimal import Decimal

from django.utils import timezone

from tiejun.crm.models import Customer, CustomerStatus, Priority
from tiejun.demo.bulk import ids_by, insert_rows
from tiejun.field.models import Interest, Visit

AT = dt.datetime(2026, 6, 12, 9, 50)


def _customer(code, org):
    tz = timezone.get_current_timezone()
    return Customer(
        code=code,
        name="义乌市鑫达饰品厂",
        lat=Decimal("29.306900"),
        lon=Decimal("120.075100"),
        status=CustomerStatus.CUSTOMER,
        priority=Priority.A,
        opens_at=dt.time(8, 30),
        closes_at=dt.time(17, 30),
        owner=org.reps["R1"],
        owned_since=AT.replace(tzinfo=tz),
        unit=org.team_a,
        last_activity_on=dt.date(2026, 6, 12),
    )


def _visit(customer, org):
    at = AT.replace(tzinfo=timezone.get_current_timezone())
    return Visit(
        id=uuid.uuid4(),
        person=org.reps["R1"],
        unit=org.team_a,
        customer=customer,  # not written yet: it takes its id when the visit is written
        checkin_at=at,
        lat=Decimal("29.306912"),
        lon=Decimal("120.075188"),
        accuracy_m=12,
        position_at=at - dt.timedelta(seconds=30),
        distance_m=20,
        checkout_at=at + dt.timedelta(minutes=35),
        met_whom="总经理",
        interest=Interest.HIGH,
        next_step="发送报价",
        next_date=dt.date(2026, 6, 15),
        notes="对直播推广很感兴趣",
    )


def _row(model, pk, *skip):
    row = model.objects.filter(pk=pk).values().get()
    assert row["created_at"] is not None
    return {k: v for k, v in row.items() if k not in {"id", "created_at", *skip}}


def test_insert_rows_stores_what_bulk_create_stores(org):
    # given: twins, one for each writer, the visits naming customers that have no id yet
    fast_customer, slow_customer = _customer("C1", org), _customer("C2", org)
    fast_visit, slow_visit = _visit(fast_customer, org), _visit(slow_customer, org)
    # when
    assert insert_rows([fast_customer]) == 1
    ids = ids_by([fast_customer], "code")
    insert_rows([fast_visit])
    Customer.objects.bulk_create([slow_customer])
    Visit.objects.bulk_create([slow_visit])
    # then
    assert ids == {"C1": fast_customer.pk}
    assert _row(Customer, fast_customer.pk, "code") == _row(Customer, slow_customer.pk, "code")
    fast = _row(Visit, fast_visit.pk)
    assert fast.pop("customer_id") == fast_customer.pk
    slow = _row(Visit, slow_visit.pk)
    assert slow.pop("customer_id") == slow_customer.pk
    assert fast == slow
    assert Visit.objects.get(pk=fast_visit.pk).checkin_at == fast_visit.checkin_at


def test_insert_rows_of_nothing_writes_nothing(db):
    assert insert_rows([]) == 0
    assert ids_by([], "code") == {}
