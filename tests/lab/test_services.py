import datetime as dt
from decimal import Decimal

import pytest

from tiejun.errors import TiejunError
from tiejun.lab.models import Touch
from tiejun.lab.services import touch_from_checkin, touch_record

from .conftest import TODAY, customer, model


def test_a_field_check_in_is_a_visit_touch(org):
    rep = org.reps["R3"]
    touch = touch_from_checkin(
        visit_id=42,
        person=rep,
        customer=customer("C1"),
        date=dt.date(2026, 6, 3),
        hours=Decimal("1.25"),
        today=TODAY,
    )
    assert (touch.model.code, touch.source, touch.unit.code, touch.hours, touch.cost) == (
        "visit",
        "checkin",
        "HZ2",
        Decimal("1.25"),
        Decimal("0.00"),
    )
    # the same visit again (say, its hours corrected) updates the one touch
    again = touch_from_checkin(
        visit_id=42,
        person=rep,
        customer=customer("C1"),
        date=dt.date(2026, 6, 3),
        hours=Decimal("1.5"),
        today=TODAY,
    )
    assert again.pk == touch.pk and Touch.objects.get().hours == Decimal("1.50")


def test_touch_rules(org):
    rep = org.reps["R1"]

    def record(**changes):
        args = {
            "activity_id": "A1",
            "person": rep,
            "customer": customer("C1"),
            "model": model("visit"),
            "date": dt.date(2026, 6, 3),
            "hours": Decimal(1),
            "cost": Decimal(0),
            "today": TODAY,
        }
        return touch_record(**{**args, **changes})

    with pytest.raises(TiejunError, match="more than two decimals"):
        record(hours=Decimal("1.001"))
    with pytest.raises(TiejunError, match="belonged to no unit"):
        record(date=dt.date(2020, 1, 1))
    with pytest.raises(TiejunError, match="activity id"):
        record(activity_id=" ")
    assert record()[1] == "created"
    assert record()[1] is None
    assert Touch.objects.count() == 1
