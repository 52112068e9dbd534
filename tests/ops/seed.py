"""A small company for the tests that drive a served app: run inside ``tiejun shell`` against the
scratch database. Prints one JSON line: the reps' API tokens and their customers' codes."""

from __future__ import annotations

import json
from decimal import Decimal

LAT, LON = Decimal("30.250000"), Decimal("120.150000")


def main(customers_per_rep: int = 20) -> None:
    from tests.factories import build_org

    from tiejun.crm.models import Customer
    from tiejun.org.services import token_create

    org = build_org()
    out: dict[str, dict] = {}
    for no in ("R1", "R2", "R3"):
        rep = org.reps[no]
        codes = []
        for n in range(customers_per_rep):
            code = f"C-{no}-{n:03d}"
            Customer.objects.create(code=code, name=f"客户{code}", lat=LAT, lon=LON, owner=rep)
            codes.append(code)
        out[no] = {"token": token_create(person=rep), "customers": codes}
    assert org.admin is not None
    out["A1"] = {"token": token_create(person=org.admin), "customers": []}
    print("SEED " + json.dumps(out))


def subscribe(units: tuple[str, ...] = ("HZ1", "HZ2", "NB1"), per_unit: int = 2) -> None:
    """E-mail subscribers to the battle report of each unit: ``<unit>-<n>@example.com``."""
    from tiejun.broadcast.services import subscription_create
    from tiejun.org.models import Unit

    for code in units:
        unit = Unit.objects.get(code=code)
        for n in range(per_unit):
            subscription_create(
                unit=unit,
                report="battle",
                channel="email",
                address=f"{code.lower()}-{n}@example.com",
            )
