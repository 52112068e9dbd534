"""The check-in tests' customers (R1's own, the pool's, R3's, one without a location)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from tiejun.crm.models import Customer

# West Lake, Hangzhou; about 111 m per 0.001 degree of latitude.
LAT, LON = Decimal("30.250000"), Decimal("120.150000")
# The check-in tests' clock: a working Wednesday mid-morning, mid-month (nothing depends on the
# day the tests run; ``fixed_clock`` starts the clock there and lets it run).
CLOCK = dt.datetime(2026, 12, 16, 10, 30)


@pytest.fixture
def fixed_clock(time_machine):
    time_machine.move_to(CLOCK.replace(tzinfo=ZoneInfo(settings.TIME_ZONE)))


@pytest.fixture
def customers(org):
    r1 = org.reps["R1"]
    return {
        "own": Customer.objects.create(code="C-OWN", name="西湖茶业", lat=LAT, lon=LON, owner=r1),
        "pool": Customer.objects.create(code="C-POOL", name="公海客户", lat=LAT, lon=LON),
        "other": Customer.objects.create(
            code="C-R3", name="别人的客户", lat=LAT, lon=LON, owner=org.reps["R3"]
        ),
        "nowhere": Customer.objects.create(code="C-NOLOC", name="无坐标", owner=r1),
    }
