"""``crm.importing``'s reads for the set-based kinds: past ``MANY_KEYS`` keys the keys go to the
database as one array parameter (text, integer and UUID keys, both engines), and a file's cells
in their canonical form read as the ``Cells`` parsers read them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tiejun.crm.importing import MANY_KEYS, plain_date, plain_decimal, plain_moment, rows_in
from tiejun.crm.models import Customer
from tiejun.field.models import Visit
from tiejun.imports.cells import parse_amount, parse_date, parse_datetime


def test_many_keys_of_each_type_are_one_query(org):
    # given more customers than MANY_KEYS, and a visit
    n = MANY_KEYS + 50
    Customer.objects.bulk_create(Customer(code=f"K{i}", name=f"客户{i}") for i in range(n))
    ids = dict(Customer.objects.values_list("code", "id"))
    visit = Visit.objects.create(
        person=org.reps["R1"],
        unit=org.team_a,
        customer_id=ids["K7"],
        checkin_at=timezone.now(),
    )
    codes = [f"K{i}" for i in range(n)] + ["NONE"]
    uuids = [uuid.uuid4() for _ in range(n)] + [visit.pk]
    # when / then: text, integer and UUID keys, one query each
    with CaptureQueriesContext(connection) as captured:
        by_code = rows_in(Customer.objects.all(), "code", codes, "code", "id")
        by_id = rows_in(Customer.objects.all(), "id", ids.values(), "id")
        by_uuid = rows_in(Visit.objects.all(), "pk", uuids, "pk", "customer_id")
    assert len(captured) == 3
    assert dict(by_code) == ids
    assert sorted(i for (i,) in by_id) == sorted(ids.values())
    assert by_uuid == [(visit.pk, ids["K7"])]


@pytest.mark.parametrize(
    "text", ["2026-06-03", "2026-6-3", "2026/06/03", "2026-02-30", "２０２６-06-03", "2026-06-0x"]
)
def test_a_plain_date_reads_as_the_parser_or_not_at_all(text):
    plain = plain_date(text)
    if plain is not None:
        assert plain == parse_date(text)
    else:
        assert text != "2026-06-03"


@pytest.mark.parametrize(
    "text",
    ["2026-06-03 09:05", "2026-06-03T09:05:07", "2026-06-03 24:00", "2026-06-03 9:05", "x" * 16],
)
def test_a_plain_moment_reads_as_the_parser_or_not_at_all(text):
    tz = timezone.get_current_timezone()
    plain = plain_moment(text, tz)
    if plain is not None:
        assert plain == parse_datetime(text, tz)
    else:
        assert text not in ("2026-06-03 09:05", "2026-06-03T09:05:07")


@pytest.mark.parametrize("text", ["1234.50", "0123", "5.", ".5", "1_000", "1e3", "１２", "1,234"])
def test_a_plain_decimal_reads_as_the_parser_or_not_at_all(text):
    plain = plain_decimal(text)
    if plain is not None:
        assert plain == parse_amount(text)
    else:
        assert text not in ("1234.50", "0123")
    assert plain_decimal("-30.5", signed=True) == Decimal("-30.5")
    assert plain_decimal("-30.5") is None
    assert dt.date(2026, 6, 3) == plain_date("2026-06-03")
