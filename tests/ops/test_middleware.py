"""A database that refuses writes: the API and the pages answer 503 with a clear message, in
process, on whichever engine the suite runs (SQLite: ``query_only``; PostgreSQL: read-only
transactions)."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, IntegrityError, InternalError, OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tiejun.crm.models import Customer
from tiejun.field.models import Visit
from tiejun.ops.faults import database_fault

READ_ONLY = "The database is read-only: nothing can be saved right now."
DISK_FULL = "The disk is full: nothing can be saved right now."
DOWN = "The database is not available right now. Please try again in a moment."


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (OperationalError("attempt to write a readonly database"), READ_ONLY),
        (InternalError("cannot execute INSERT in a read-only transaction"), READ_ONLY),
        (OperationalError("database or disk is full"), DISK_FULL),
        (OperationalError('could not extend file "base/1/2": No space left on device'), DISK_FULL),
        (OperationalError("connection failed: Connection refused"), DOWN),
        (OperationalError("database is locked"), DOWN),
        (IntegrityError("UNIQUE constraint failed"), None),
        (DatabaseError("syntax error"), None),
        (ValueError("read-only"), None),
    ],
)
def test_which_errors_are_database_faults(exc, message):
    found = database_fault(exc)
    assert (found is None) if message is None else found.startswith(message)


@pytest.fixture
def read_only(transactional_db):
    """Everything this connection does from here on is refused as a write."""

    def turn_on() -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = ON")
            else:
                cursor.execute("SET SESSION default_transaction_read_only = on")

    yield turn_on
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = OFF")
        else:
            cursor.execute("SET SESSION default_transaction_read_only = off")


@pytest.fixture
def company(transactional_db):
    from tests.factories import build_org

    org = build_org()
    Customer.objects.create(
        code="C-1", name="西湖茶业", lat=30.25, lon=120.15, owner=org.reps["R1"]
    )
    return org


def test_api_write_on_a_read_only_database_is_503_json(company, read_only):
    client = Client(raise_request_exception=False)
    client.force_login(company.reps["R1"])
    read_only()
    response = client.post(
        "/api/v1/visits",
        {"id": str(uuid.uuid4()), "customer_code": "C-1", "lat": 30.25, "lon": 120.15},
        content_type="application/json",
    )
    assert response.status_code == 503
    assert response.json()["detail"].startswith(READ_ONLY)
    assert response["Retry-After"] == "5"
    assert not Visit.objects.exists()


def test_page_write_on_a_read_only_database_is_a_503_page(company, read_only):
    client = Client(raise_request_exception=False)
    client.force_login(company.reps["R1"])
    read_only()
    response = client.post(
        reverse("field:report_mine"),
        # today: reports are taken for today and the previous working day only
        {"date": timezone.localdate().isoformat(), "visited": "拜访", "action": "save"},
    )
    assert response.status_code == 503
    body = response.content.decode()
    assert READ_ONLY in body and "Traceback" not in body


def test_a_write_inside_a_middleware_is_a_503_page_too(company, read_only):
    # The language switch saves the person's choice in a middleware, after the view.
    client = Client(raise_request_exception=False)
    client.force_login(company.reps["R1"])
    read_only()
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 503
    assert READ_ONLY in response.content.decode()
