"""Many visits at once (the ``visits`` import of visit history): the rows checked by the import's
first phase written with bulk statements, inside the caller's one transaction.

An imported visit is a record of a visit that happened, not a check-in from a phone, so of the
check-in's rules (``services.checkins``) it keeps: the rep's team on the visit's day, the planned
stop of that day at that customer, the distance to the customer and the geofence flag, and the
hold of a late check-in when a leader imports their own visits (a file from admin or a leader of
the rep is the approval a late check-in needs). It does not merge double taps (every row carries
its own id) and does not check out visits left open (the file has no check-out column).

A counted visit is counted as a check-in counts it: the ``visits`` fact as an upsert per
(day, team, person) adding the number of visits — one statement for all of them, from a
temporary table of the counts (no recount, so no lock on the people: a check-in's own upsert
goes alongside) — the customers' last activity (one ``UPDATE … FROM``), and the apps above
through ``signals.visits_imported`` (the lab's touches), a batch at a time. The visits go in as
rows of values (``COPY`` on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.crm.importing import (
    bulk_writing,
    chunks,
    db_moment,
    insert_rows,
    moment_adapter,
    rows_in,
    temp_fill,
)
from tiejun.crm.models import Customer
from tiejun.errors import TiejunError
from tiejun.metrics import VISITS
from tiejun.scoreboard.models import Fact

from ..models import Approval, Visit
from ..signals import visits_imported

BATCH = 10_000


class VisitLine(NamedTuple):
    """One checked row: the visit as it will be stored."""

    row: int
    pk: uuid.UUID | None  # the file's id when it is a UUID
    external_id: str | None  # else the file's id
    person_id: int
    unit_id: int
    customer_id: int
    plan_stop_id: int | None
    checkin_at: dt.datetime
    day: dt.date  # the local day of the check-in
    lat: float  # rounded to six decimals (stored alike by both engines)
    lon: float
    distance_m: int | None
    outside_geofence: bool
    interest: str
    notes: str
    channel: str
    held: bool


@dataclass
class VisitsPlan:
    new: list[VisitLine] = field(default_factory=list)
    # Stored visits whose outcome or channel the file changes: (id, interest, notes, channel).
    changed: list[tuple[uuid.UUID, str, str, str]] = field(default_factory=list)
    unchanged: int = 0
    # The file's ids, and those stored when it was checked (a UUID, or an external id).
    ids: set[uuid.UUID] = field(default_factory=set)
    external_ids: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)


def _stored_now(plan: VisitsPlan) -> set[str]:
    found = {str(pk) for (pk,) in rows_in(Visit.objects.all(), "pk", plan.ids, "pk")}
    return found | {
        ext
        for (ext,) in rows_in(Visit.objects.all(), "external_id", plan.external_ids, "external_id")
    }


def visits_import(*, plan: VisitsPlan) -> tuple[int, int, int]:
    """Write ``plan`` inside the caller's transaction; (created, updated, unchanged)."""
    with bulk_writing():
        return _visits_import(plan)


def _visits_import(plan: VisitsPlan) -> tuple[int, int, int]:
    if _stored_now(plan) != plan.stored:
        raise TiejunError(
            _("visits of this file were stored while it was checked; import it again")
        )
    counts: Counter[tuple[dt.date, int, int]] = Counter()
    last_activity: dict[int, dt.date] = {}
    sqlite = connection.vendor == "sqlite"
    created = db_moment(timezone.now())
    moment = moment_adapter()
    pending, not_needed, never = Approval.PENDING, Approval.NOT_NEEDED, dt.date.min
    created_n = len(plan.new)
    # The plan's lines are let go of a batch at a time, once written (memory).
    batches = [plan.new[start : start + BATCH] for start in range(0, created_n, BATCH)]
    plan.new.clear()
    batches.reverse()
    while batches:
        batch = batches.pop()
        rows, counted = [], []
        fresh = _new_ids(sum(1 for line in batch if line.pk is None), sqlite)
        for line in batch:
            # One unpacking instead of a look-up per field: this loop runs once per visit.
            (
                _n,
                pk,
                external_id,
                person_id,
                unit_id,
                customer_id,
                plan_stop_id,
                checkin_at,
                day,
                lat,
                lon,
                distance_m,
                outside_geofence,
                interest,
                notes,
                channel,
                held,
            ) = line
            # The id as the table takes it (SQLite: 32 hex digits) and as the receivers read it.
            if pk is None:
                stored, pk = next(fresh)
            else:
                stored = pk.hex if sqlite else pk
            rows.append(
                (
                    stored,
                    external_id,
                    person_id,
                    unit_id,
                    customer_id,
                    plan_stop_id,
                    moment(checkin_at),
                    lat,
                    lon,
                    distance_m,
                    outside_geofence,
                    False,
                    False,
                    "",
                    interest,
                    "",
                    notes,
                    channel,
                    "import",
                    False,
                    pending if held else not_needed,
                    created,
                )
            )
            if held:
                continue
            counts[(day, unit_id, person_id)] += 1
            if last_activity.get(customer_id, never) < day:
                last_activity[customer_id] = day
            counted.append((pk, person_id, customer_id, unit_id, day))
        insert_rows(Visit._meta.db_table, COLUMNS, rows)
        visits_imported.send(Visit, rows=counted)
    _facts_add(counts)
    _last_activity(last_activity)
    for changes in chunks(plan.changed, BATCH):
        Visit.objects.bulk_update(
            [Visit(pk=pk, interest=i, notes=n, channel=c) for pk, i, n, c in changes],
            ["interest", "notes", "channel"],
        )
    return created_n, len(plan.changed), plan.unchanged


def _new_ids(n: int, sqlite: bool) -> Iterator[tuple[Any, Any]]:
    """``n`` random (version 4) UUIDs, as ``uuid.uuid4`` makes them, from one read of the
    system's random source instead of one each: (the id as the visits table takes it, the
    id). On SQLite both are text (its 32 hex digits; the canonical form), made from the bytes
    without a ``UUID`` object in between (≈ 3.5 µs less an id, the receivers' text included)."""
    random = bytearray(os.urandom(16 * n))
    if not sqlite:
        for start in range(0, 16 * n, 16):
            pk = uuid.UUID(bytes=bytes(random[start : start + 16]), version=4)
            yield pk, pk
        return
    # The version (4) and variant (RFC 4122) bits, set as ``UUID(..., version=4)`` sets them.
    random[6::16] = bytes(b & 0x0F | 0x40 for b in random[6::16])
    random[8::16] = bytes(b & 0x3F | 0x80 for b in random[8::16])
    digits = random.hex()
    for start in range(0, 32 * n, 32):
        h = digits[start : start + 32]
        yield h, f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# The visit's columns as ``_visits_import`` writes them (in this order); the rest are NULL.
COLUMNS = (
    "id",
    "external_id",
    "person_id",
    "unit_id",
    "customer_id",
    "plan_stop_id",
    "checkin_at",
    "lat",
    "lon",
    "distance_m",
    "outside_geofence",
    "poor_accuracy",
    "stale_position",
    "met_whom",
    "interest",
    "next_step",
    "notes",
    "channel",
    "source",
    "auto_checkout",
    "approval",
    "created_at",
)


_COUNTS = "tiejun_visit_counts"
_FACT_SQL = (
    "INSERT INTO {fact} (metric, day, unit_id, person_id, value) "
    "SELECT %s, day, unit_id, person_id, n FROM {counts} WHERE n > 0 "
    "ORDER BY day, unit_id, person_id "
    "ON CONFLICT (metric, day, unit_id, person_id) "
    "DO UPDATE SET value = {fact}.value + excluded.value"
)
_DAYS = "tiejun_customer_days"
_ACTIVITY_SQL = (
    "UPDATE {customer} SET last_activity_on = t.day FROM {days} t "
    "WHERE {customer}.id = t.id "
    "AND ({customer}.last_activity_on IS NULL OR {customer}.last_activity_on < t.day)"
)


def _facts_add(counts: Counter[tuple[dt.date, int, int]]) -> None:
    """The ``visits`` facts: what ``facts_add`` does for one visit, for every (day, team,
    person) at once: the counts in a temporary table, one upsert adding them."""
    if not counts:
        return
    fact = connection.ops.quote_name(Fact._meta.db_table)
    day = connection.ops.adapt_datefield_value
    temp_fill(
        _COUNTS,
        "day date, unit_id bigint, person_id bigint, n integer",
        ("day", "unit_id", "person_id", "n"),
        [(day(d), u, p, n) for (d, u, p), n in counts.items()],
    )
    with connection.cursor() as cursor:
        cursor.execute(_FACT_SQL.format(fact=fact, counts=_COUNTS), [VISITS.code])


def _last_activity(days: dict[int, dt.date]) -> None:
    """The customers' idle clocks restart on their latest imported visit (never go back)."""
    if not days:
        return
    table = connection.ops.quote_name(Customer._meta.db_table)
    day = connection.ops.adapt_datefield_value
    temp_fill(_DAYS, "id bigint, day date", ("id", "day"), [(pk, day(d)) for pk, d in days.items()])
    with connection.cursor() as cursor:
        cursor.execute(_ACTIVITY_SQL.format(customer=table, days=_DAYS))
