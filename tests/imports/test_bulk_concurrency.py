"""A check-in while a large import writes (issue 12): on SQLite it waits for the import's one
short transaction (at most 5 s); on PostgreSQL a check-in of a rep the file does not touch is
not blocked at all."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from tests.factories import build_org
from tiejun.crm.models import Customer
from tiejun.field.models import Visit
from tiejun.field.services.checkins import visit_checkin
from tiejun.field.signals import visits_imported
from tiejun.imports.services import run_import

HEADER = "visit_id,employee_no,customer_code,checkin_at,lat,lon,outcome,channel"
ROWS = 3000


@pytest.mark.django_db(transaction=True)
def test_a_check_in_during_a_large_import():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Shared-cache memory databases lock tables without waiting (no busy timeout): only a
        # database file behaves as the app's does.
        pytest.skip("needs a SQLite database file")
    org = build_org()
    Customer.objects.create(code="C0", name="客户", lat=Decimal("30.25"), lon=Decimal("120.15"))
    day = timezone.localdate() - dt.timedelta(days=3)
    data = "\n".join(
        [HEADER]
        + [
            f"I-{i},R{1 + i % 4},C0,{day} {8 + i % 10}:{i % 60:02d},30.25,120.15,,visit"
            for i in range(ROWS)
        ]
    ).encode()
    inside, release = threading.Event(), threading.Event()

    def hold(sender, **kwargs):  # the import, inside its transaction, waits a moment here
        inside.set()
        release.wait(10 if connection.vendor == "postgresql" else 1)

    outcome = {}

    def run():
        try:
            outcome["result"] = run_import("visits", data, "v.csv")
        finally:
            connections.close_all()

    visits_imported.connect(hold, dispatch_uid="test.hold")
    worker = threading.Thread(target=run)
    try:
        worker.start()
        assert inside.wait(60)
        started = time.monotonic()
        # R5 is not in the file: nothing of the import's touches R5's rows
        _visit, created = visit_checkin(
            id=uuid.uuid4(),
            person=org.reps["R5"],
            customer=Customer.objects.get(code="C0"),
            at=timezone.now(),
            lat="30.25",
            lon="120.15",
        )
        waited = time.monotonic() - started
        still_writing = worker.is_alive()
    finally:
        release.set()
        worker.join(60)
        visits_imported.disconnect(dispatch_uid="test.hold")
    assert created and waited <= 5
    if connection.vendor == "postgresql":
        assert still_writing  # the check-in went through while the import held its transaction
    assert outcome["result"].ok and outcome["result"].created == ROWS
    assert Visit.objects.count() == ROWS + 1
