import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from tests.factories import deal
from tiejun.crm.models import Customer
from tiejun.lab.models import Event, SalesModel
from tiejun.lab.services import attendee_add, event_record, touch_record

TODAY = dt.date(2026, 11, 28)
JUNE = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))


def model(code):
    return SalesModel.objects.get(code=code)


def customer(code):
    return Customer.objects.get_or_create(code=code, defaults={"name": f"客户{code}"})[0]


def touch(activity_id, rep, customer_code, model_code, day, hours, cost="0"):
    return touch_record(
        activity_id=activity_id,
        person=rep,
        customer=customer(customer_code),
        model=model(model_code),
        date=day,
        hours=Decimal(hours),
        cost=Decimal(cost),
        today=TODAY,
    )[0]


@dataclass
class History:
    org: object
    event: Event
    deals: dict = field(default_factory=dict)


@pytest.fixture
def history(org):
    """A tiny June 2026 (see tests/lab/test_selectors.py for the figures it must give)."""
    r1, r3, r5 = org.reps["R1"], org.reps["R3"], org.reps["R5"]
    touch("A1", r1, "C1", "visit", dt.date(2026, 5, 20), "2", "50")  # before June: look-back only
    touch("A2", r1, "C1", "visit", dt.date(2026, 6, 2), "3")
    touch("A3", r1, "C2", "visit", dt.date(2026, 6, 5), "1.5", "10")
    touch("A4", r3, "C3", "online", dt.date(2026, 6, 3), "0.5", "5")
    touch("A5", r3, "C1", "online", dt.date(2026, 6, 10), "1")
    event, _ = event_record(
        event_id="E1",
        model=model("salon"),
        unit=org.branch,
        date=dt.date(2026, 6, 12),
        title="茶话会",
        hours=Decimal(6),
        cost=Decimal(300),
        today=TODAY,
    )
    for code in ("C2", "C3", "C4"):
        attendee_add(event=event, customer=customer(code))
    h = History(org=org, event=event)
    h.deals["D1"] = deal(r1, 10000, dt.date(2026, 6, 15), customer="C1", deal_no="D1")
    h.deals["D2"] = deal(r1, 6000, dt.date(2026, 6, 20), customer="C2", deal_no="D2")
    h.deals["D3"] = deal(
        r5, 2000, dt.date(2026, 6, 25), customer="C9", channel="partner", deal_no="D3"
    )
    h.deals["D4"] = deal(r3, 4000, dt.date(2026, 6, 30), customer="C3", deal_no="D4")
    return h
