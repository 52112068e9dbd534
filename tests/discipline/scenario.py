"""One day of field work with one suspicious pattern per rep (and R5's honest day)."""

from __future__ import annotations

import datetime as dt

from tests.factories import deal
from tiejun.crm.services.deals import deal_delete

from .conftest import DAY, NINGBO, WEST_LAKE, ZONE, at, checkin, offset


def suspicious_day(org, time_machine) -> None:
    c = org.customers
    r1, r2, r3, r4, r5 = (org.reps[n] for n in ("R1", "R2", "R3", "R4", "R5"))
    # R1: three check-ins each a kilometre from the customer (outside the 300 m geofence)
    for code, (hour, minute) in zip(
        ("C01", "C02", "C03"), ((9, 0), (10, 30), (14, 0)), strict=True
    ):
        customer = c[code]
        checkin(r1, customer, at(hour, minute), offset(customer.lat, 1000), customer.lon)
    # R2: at C04, then twenty minutes later "at C05" from Ningbo, 140 km away
    checkin(r2, c["C04"], at(9, 0), c["C04"].lat, c["C04"].lon)
    checkin(r2, c["C05"], at(9, 20), *NINGBO)
    # R3: three customers without a position, all checked in from one desk
    for i, code in enumerate(("X1", "X2", "X3")):
        checkin(r3, c[code], at(10, 20 * i), offset(WEST_LAKE[0], i), WEST_LAKE[1])
    # R4: a deal won on 28 November, deleted on 2 December
    won = deal(r4, 88000, dt.date(2026, 11, 28), customer="C-R4", today=dt.date(2026, 11, 28))
    time_machine.move_to(dt.datetime.combine(DAY, dt.time(9, 0), tzinfo=ZONE))
    deal_delete(deal=won, by=r4, reason="客户取消")
    # R5: an honest visit
    checkin(r5, c["C09"], at(11, 0), c["C09"].lat, c["C09"].lon)
