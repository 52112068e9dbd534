"""A small seeded company for the fuzzers: units, people, customers, deals, visits, targets,
daily reports, a lab event, so generated requests and files hit real rows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from tests.factories import Org, build_org, deal


@dataclass
class Seeded:
    org: Org
    admin_token: str
    rep_token: str
    today: dt.date
    snapshot: dict[str, list[str]] | None = None  # every table's rows, once taken


# Values the fuzzers mix into generated requests and rows, so that some hit seeded rows.
UNIT_CODES = ["HQ", "ZJ", "HZ", "NB", "HZ1", "HZ2", "NB1"]
EMPLOYEE_NOS = ["R1", "R2", "R3", "R4", "R5", "S1", "M1", "A1"]
CUSTOMER_CODES = ["C1", "C2", "C3", "C-POOL", "C-NOLOC"]
DEAL_NOS = ["D1", "D2", "D3"]
VISIT_IDS = [str(uuid.UUID(int=n)) for n in (1, 2)]
EVENT_IDS = ["EV1"]


# What the fuzzers ran, printed at the end of the session (the figures in docs/security.md).
API_REQUESTS: Counter[str] = Counter()  # by "METHOD /path"
API_STATUSES: Counter[int] = Counter()
IMPORT_FILES: Counter[str] = Counter()  # by property
IMPORT_OUTCOMES: Counter[str] = Counter()  # "kind ok" / "kind refused"


def pytest_terminal_summary(terminalreporter) -> None:
    if API_REQUESTS:
        terminalreporter.write_sep("-", "API fuzz")
        terminalreporter.write_line(
            f"{API_REQUESTS.total()} requests to {len(API_REQUESTS)} method+path pairs; "
            f"statuses {dict(sorted(API_STATUSES.items()))}"
        )
    if IMPORT_FILES:
        terminalreporter.write_sep("-", "import fuzz")
        terminalreporter.write_line(
            f"{IMPORT_FILES.total()} files: {dict(sorted(IMPORT_FILES.items()))}"
        )
        terminalreporter.write_line(f"outcomes: {dict(sorted(IMPORT_OUTCOMES.items()))}")


@pytest.fixture
def in_process_wsgi():
    """Let a WSGI call run inside the test's transaction, as Django's test client does: the
    request signals would otherwise close the connection that holds it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db) -> Seeded:
    from tiejun.crm.models import Customer
    from tiejun.crm.services.contacts import contact_add
    from tiejun.crm.services.customers import customer_create
    from tiejun.crm.services.opportunities import opportunity_create
    from tiejun.field.services.checkins import visit_checkin
    from tiejun.field.services.reports import daily_report_save
    from tiejun.lab.models import SalesModel
    from tiejun.lab.services import event_record
    from tiejun.org.services import token_create
    from tiejun.targets.services import target_set

    org = build_org()
    today = timezone.localdate()
    month = today.replace(day=1)
    r1, r3 = org.reps["R1"], org.reps["R3"]
    lat, lon = Decimal("30.250000"), Decimal("120.150000")
    for code, owner in [("C1", r1), ("C2", r1), ("C3", r3), ("C-POOL", None)]:
        customer_create(code=code, name=f"客户{code}", owner=owner, lat=lat, lon=lon)
    customer_create(code="C-NOLOC", name="无坐标", owner=r1)
    c1 = Customer.objects.get(code="C1")
    contact_add(customer=c1, name="王经理", title="采购", phone="13800000001")
    opportunity_create(customer=c1, title="二期", amount="5000", probability="0.5")
    deal(r1, "1200.50", today, customer="C1", deal_no="D1", today=today)
    deal(r1, 800, month, customer="C2", deal_no="D2", today=today)
    deal(r3, 300, today, customer="C3", deal_no="D3", today=today)
    for visit_id, customer in zip(VISIT_IDS, ["C1", "C2"], strict=True):
        visit_checkin(
            id=visit_id,
            person=r1,
            customer=Customer.objects.get(code=customer),
            at=timezone.now() - dt.timedelta(hours=1),
            lat=lat,
            lon=lon,
        )
    for unit, value in [(org.branch, 50000), (org.team_a, 20000), (org.team_b, 20000)]:
        target_set(month=month, metric="revenue", value=Decimal(value), unit=unit, today=today)
    target_set(month=month, metric="revenue", value=Decimal(9000), person=r1, today=today)
    daily_report_save(person=r1, day=today, texts={"visited": "C1"}, submit=True)
    event_record(
        event_id="EV1",
        model=SalesModel.objects.get(code="salon"),
        unit=org.team_a,
        date=today,
        title="沙龙",
        hours=Decimal(3),
        cost=Decimal(500),
        today=today,
    )
    assert org.admin is not None
    return Seeded(
        org=org,
        admin_token=token_create(person=org.admin),
        rep_token=token_create(person=r1),
        today=today,
    )
