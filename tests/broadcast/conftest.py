import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import deal
from tiejun.targets.services import target_set

NOV = dt.date(2026, 11, 1)
DAY = dt.date(2026, 11, 27)  # a Friday; the month has 21 working days, one left after this


def set_target(org, no: str, value: int) -> None:
    target_set(
        month=NOV,
        metric="revenue",
        value=Decimal(value),
        person=org.reps[no],
        today=dt.date(2026, 10, 30),
    )


@pytest.fixture
def company(org):
    """HZ1: R1 (target 10,000) and R2 (20,000); HZ2: R3 (5,000), R4 (no target); NB1: R5."""
    for no, value in [("R1", 10000), ("R2", 20000), ("R3", 5000), ("R5", 8000)]:
        set_target(org, no, value)
    deal(org.reps["R1"], 6000, dt.date(2026, 11, 10), deal_no="W-1")
    deal(org.reps["R1"], 5000, DAY, customer="K-1", deal_no="W-2")
    deal(org.reps["R2"], 3000, DAY, customer="K-2", channel="salon", deal_no="W-3")
    deal(org.reps["R3"], 1000, dt.date(2026, 11, 3), deal_no="W-4")
    deal(org.reps["R4"], 2500, DAY, customer="K-4", deal_no="W-5")
    deal(org.reps["R5"], 9000, dt.date(2026, 11, 20), deal_no="W-6")  # another branch
    return org
