"""A company for the red-line tests: the factories' org, customers with positions, and helpers
that check reps in through the real check-in service at fixed moments."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from tests.factories import person
from tiejun.crm.models import Customer
from tiejun.field.services.checkins import visit_checkin
from tiejun.org.models import Role

ZONE = ZoneInfo(settings.TIME_ZONE)
# The scanned day: a working Wednesday early in the month (a reversal of November is right after
# its close). The suite's clock stands at 2026-12-16.
DAY = dt.date(2026, 12, 2)
WEST_LAKE = (Decimal("30.250000"), Decimal("120.150000"))
NINGBO = (Decimal("29.870000"), Decimal("121.540000"))  # about 140 km from the West Lake


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def checkin(rep, customer, when: dt.datetime, lat, lon):
    visit, _ = visit_checkin(
        id=uuid.uuid4(),
        person=rep,
        customer=customer,
        at=when,
        lat=lat,
        lon=lon,
        accuracy_m=15,
        position_at=when,
        now=when + dt.timedelta(minutes=1),
        check_visibility=False,
    )
    return visit


def offset(lat: Decimal, metres_north: int) -> Decimal:
    """About ``metres_north`` metres north of ``lat`` (111 m per 0.001 degree)."""
    return lat + Decimal(metres_north) / Decimal(111_000)


@pytest.fixture
def company(org):
    org.supervisor_b = person("S2", org.team_b, Role.SUPERVISOR, name="郑主管")
    lat, lon = WEST_LAKE
    org.customers = {}
    for i, rep_no in enumerate(["R1", "R1", "R1", "R2", "R2", "R3", "R3", "R3", "R5"]):
        code = f"C{i + 1:02d}"
        org.customers[code] = Customer.objects.create(
            code=code,
            name=f"西湖客户{i + 1:02d}",
            lat=offset(lat, 2000 * (i + 1)),
            lon=lon,
            owner=org.reps[rep_no],
            unit=org.reps[rep_no].memberships.get().unit,
        )
    for code in ("X1", "X2", "X3"):
        org.customers[code] = Customer.objects.create(
            code=code, name=f"无坐标{code}", owner=org.reps["R3"], unit=org.team_b
        )
    return org
