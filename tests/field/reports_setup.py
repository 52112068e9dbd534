"""Small builders for the daily report and field note tests (visits straight through the ORM)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from tiejun.crm.models import Customer
from tiejun.field.models import PlanStop, Visit, VisitPlan
from tiejun.org.models import Person
from tiejun.org.selectors import membership_on

DAY = dt.date(2026, 11, 25)  # a Wednesday, a working day
NEXT_DAY = dt.date(2026, 11, 26)


def customer(code: str, name: str | None = None, owner: Person | None = None) -> Customer:
    return Customer.objects.create(code=code, name=name or f"客户{code}", owner=owner)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = hhmm.split(":")
    return timezone.make_aware(dt.datetime.combine(day, dt.time(int(hour), int(minute))))


def visit(rep: Person, cust: Customer, when: dt.datetime, **outcome) -> Visit:
    membership = membership_on(rep, timezone.localtime(when).date())
    assert membership is not None, f"{rep} has no team on {when}"
    unit = membership.unit
    return Visit.objects.create(
        id=uuid.uuid4(), person=rep, unit=unit, customer=cust, checkin_at=when, **outcome
    )


def plan(rep: Person, day: dt.date, customers: list[Customer]) -> VisitPlan:
    p = VisitPlan.objects.create(person=rep, date=day)
    for seq, c in enumerate(customers, start=1):
        PlanStop.objects.create(plan=p, customer=c, seq=seq, arrival=dt.time(9 + seq, 0))
    return p
