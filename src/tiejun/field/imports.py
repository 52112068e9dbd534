"""Import kind ``visits`` (visit history), set-based:
``visit_id,employee_no,customer_code,checkin_at,lat,lon,outcome,channel``.

``visit_id`` is the visit's id in the system the file comes from: a UUID (kept as the visit's
own id, as a phone's check-in is) or any other id of up to 64 printable characters (kept as its
external id). A re-import is idempotent per id: a stored visit changes only its outcome and
channel. ``outcome`` is an interest level (none, low, medium, high) or free text kept as the
visit's notes. What an imported visit keeps of the check-in's rules: ``services.visits_bulk``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.crm.importing import (
    Staff,
    cell_rows,
    plain_moment,
    rows_in,
    sight,
    staff,
)
from tiejun.crm.models import Customer, SalesChannel
from tiejun.errors import TiejunError
from tiejun.imports.cells import MAX_ID, Cells, Context, choose
from tiejun.imports.engine import ImportResult, Kind
from tiejun.imports.readers import Records
from tiejun.imports.registry import register
from tiejun.imports.spellings import CHANNEL_LABELS, OUTCOME_LABELS, VISITS_HEADERS
from tiejun.org.imports import admin_or_manager
from tiejun.routing import haversine_m

from .models import Interest, PlanStop, Visit
from .services.visits import CLOCK_SKEW, coordinate, needs_approval
from .services.visits_bulk import VisitLine, VisitsPlan, visits_import

COLUMNS = (
    "visit_id",
    "employee_no",
    "customer_code",
    "checkin_at",
    "lat",
    "lon",
    "outcome",
    "channel",
)

Problems = list[tuple[str, str]]  # (column, problem) of one row
Key = tuple[uuid.UUID | None, str | None]
# id, key, employee_no, customer_code, checkin_at, lat, lon, interest, notes, channel
VisitRow = tuple[str, Key, str, str, Any, Any, Any, str, str, str]

_CHANNELS = {str(value): str(value) for value in SalesChannel.values}
_LEVELS = {str(value): str(value) for value in Interest.values}
_INTEREST = dict(Interest.choices)
_SIX = Decimal("0.000001")


def _outcome(text: str) -> tuple[str, str]:
    """(interest, notes) from the outcome cell: an interest level by value or label (English,
    Chinese, ``OUTCOME_LABELS``), else free text kept as the notes."""
    level = _LEVELS.get(text)
    if level is None and text:
        level = choose(text, _INTEREST, OUTCOME_LABELS)
    return (level, "") if level is not None else ("", text)


def visit_key(value: str) -> Key:
    """(UUID, None) when the id is a UUID, else (None, the external id)."""
    if len(value) < 32:  # a UUID has 32 hex digits at least
        return None, value
    try:
        return uuid.UUID(value), None
    except ValueError:
        return None, value


def _checkin_at(c: Cells, now: dt.datetime, tz: Any) -> dt.datetime | None:
    at = c.datetime("checkin_at")
    if at is not None and at > now + CLOCK_SKEW:
        c.fail("checkin_at", _("a check-in cannot be in the future"))
        return None
    return at.astimezone(tz) if at is not None else None


def _channel(c: Cells) -> str:
    value = c.choice("channel", dict(SalesChannel.choices), required=False, labels=CHANNEL_LABELS)
    return value or str(SalesChannel.VISIT)


def _coordinate(c: Cells, column: str, limit: int) -> Decimal | None:
    """``services.visits.coordinate`` with its messages."""
    value = c.text(column)
    if not value:
        return None
    try:
        return coordinate(value, field=column)
    except TiejunError as exc:
        c.fail(column, str(exc))
    return None


def _plain_coordinate(text: str, limit: int) -> float | None:
    """The coordinate rounded to six decimals as ``coordinate`` rounds it, held as a float: a
    number of at most nine significant digits, stored alike by both engines and a quarter of
    the memory of a ``Decimal``."""
    digits = text[1:] if text[:1] == "-" else text
    whole, point, fraction = digits.partition(".")
    if not (digits.isascii() and whole.isdigit()) or (point and not fraction.isdigit()):
        return None
    if len(fraction) > 6:  # round as ``coordinate`` does, then hold the result
        value = float(Decimal(text).quantize(_SIX, rounding=ROUND_HALF_UP))
    else:  # the nearest float to the text, as to its Decimal
        value = float(text)
    return value if -limit <= value <= limit else None


def _plain_visit(
    cells: tuple[str, ...], latest: dt.datetime, tz: Any, outcomes: dict[str, tuple[str, str]]
) -> VisitRow | None:
    """The row when every cell is in its canonical form and good; else None. ``outcomes``
    keeps what each outcome text read as (a file repeats a few)."""
    raw, employee_no, code, at_text, lat_text, lon_text, outcome, channel = cells
    if not (0 < len(raw) <= MAX_ID and 0 < len(employee_no) <= 32 and 0 < len(code) <= 32):
        return None
    if len(outcome) > 2000 or not raw.isprintable():
        return None
    at = plain_moment(at_text, tz)
    if at is None or at > latest:
        return None
    lat, lon = _plain_coordinate(lat_text, 90), _plain_coordinate(lon_text, 180)
    if lat is None or lon is None:
        return None
    value = _CHANNELS.get(channel) if channel else str(SalesChannel.VISIT)
    if value is None:
        return None
    read = outcomes.get(outcome)
    if read is None:
        read = outcomes[outcome] = _outcome(outcome)
    return raw, visit_key(raw), employee_no, code, at, lat, lon, *read, value


def _parse(
    record: dict[str, str], ctx: Context, now: dt.datetime, tz: Any
) -> tuple[Problems, VisitRow]:
    """Every cell through the ``Cells`` parsers: each problem noted."""
    c = Cells(record, ctx.scope)
    raw = c.text("visit_id", max_length=MAX_ID)
    if raw and not raw.isprintable():
        c.fail("visit_id", _("a visit id is printable characters only"))
    key = visit_key(raw) if raw else (None, None)
    employee_no = c.text("employee_no", max_length=32)
    code = c.text("customer_code", max_length=32)
    at = _checkin_at(c, now, tz)
    lat, lon = _coordinate(c, "lat", 90), _coordinate(c, "lon", 180)
    interest, notes = _outcome(c.text("outcome", required=False, max_length=2000))
    channel = _channel(c)
    return c.errors, (raw, key, employee_no, code, at, lat, lon, interest, notes, channel)


Parsed = list[tuple[int, VisitRow, Sequence[tuple[str, str]]]]


def _parse_all(records: Records, ctx: Context, now: dt.datetime, tz: Any) -> Parsed:
    parsed: Parsed = []
    latest = now + CLOCK_SKEW
    # One string per employee number and customer code, not one per row (memory).
    same: dict[str, str] = {}
    outcomes: dict[str, tuple[str, str]] = {}
    for number, cells in cell_rows(records, COLUMNS):
        row = _plain_visit(cells, latest, tz, outcomes)
        if row is not None:
            raw, key, employee_no, code, *rest = row
            employee_no = same.setdefault(employee_no, employee_no)
            parsed.append((number, (raw, key, employee_no, same.setdefault(code, code), *rest), ()))
        else:
            problems, row = _parse(dict(zip(COLUMNS, cells, strict=True)), ctx, now, tz)
            parsed.append((number, row, problems))
    return parsed


class _Reads:
    """What the file names, read once: people, customers, stored visits, planned stops."""

    def __init__(self, parsed: Parsed, ctx: Context) -> None:
        self.people, by_id = staff(
            employee_nos={row[2] for _n, row, _p in parsed if row[2]},
            ids=[ctx.by.pk] if ctx.by is not None else [],
        )
        self.by = by_id.get(ctx.by.pk) if ctx.by is not None else None
        # code → (id, lat, lon, owner), the position as floats (the distance's)
        self.customers: dict[str, tuple[int, float | None, float | None, int | None]] = {
            code: (
                pk,
                float(lat) if lat is not None else None,
                float(lon) if lon is not None else None,
                owner,
            )
            for code, pk, lat, lon, owner in rows_in(
                Customer.objects.all(),
                "code",
                {row[3] for _n, row, _p in parsed if row[3]},
                "code",
                "id",
                "lat",
                "lon",
                "owner_id",
            )
        }
        ids = {row[1][0] for _n, row, _p in parsed if row[1][0] is not None}
        external = {row[1][1] for _n, row, _p in parsed if row[1][1] is not None}
        columns = ("person_id", "interest", "notes", "channel", "id")
        # Keyed by the file's id (a UUID as text): (person, interest, notes, channel, id).
        self.visits: dict[str, tuple[Any, ...]] = {
            str(pk): tuple(rest)
            for pk, *rest in rows_in(Visit.objects.all(), "pk", ids, "pk", *columns)
        }
        self.visits.update(
            (ext, tuple(rest))
            for ext, *rest in rows_in(
                Visit.objects.all(), "external_id", external, "external_id", *columns
            )
        )
        self.ids, self.external = ids, external
        self.stops = self._stops(parsed)
        today = timezone.localdate()
        owners = {owner for *_rest, owner in self.customers.values() if owner is not None}
        self.sight = sight([*self.people.values(), *([self.by] if self.by else [])], owners, today)

    def _stops(self, parsed: Parsed) -> dict[tuple[int, dt.date, int], int]:
        days = {row[4].date() for _n, row, _p in parsed if row[4] is not None}
        people = [p.id for p in self.people.values()]
        if not days or not people:
            return {}
        found: dict[tuple[int, dt.date, int], int] = {}
        qs = PlanStop.objects.filter(plan__date__gte=min(days), plan__date__lte=max(days))
        for person_id, day, customer_id, pk in rows_in(
            qs.order_by("-seq"),
            "plan__person_id",
            people,
            "plan__person_id",
            "plan__date",
            "customer_id",
            "id",
        ):
            found[(person_id, day, customer_id)] = pk  # the lowest seq wins
        return found

    def stored(self, key: Key) -> tuple[Any, ...] | None:
        """(person, interest, notes, channel, id) of the visit stored under the file's id."""
        pk, external = key
        return self.visits.get(str(pk) if pk is not None else external or "")


def check_visits(records: Records, ctx: Context, result: ImportResult) -> VisitsPlan:
    now = timezone.now()
    tz = timezone.get_current_timezone()
    parsed = _parse_all(records, ctx, now, tz)
    reads = _Reads(parsed, ctx)
    plan = VisitsPlan(ids=reads.ids, external_ids=reads.external)
    plan.stored = set(reads.visits)
    first_row: dict[str, int] = {}
    parsed.reverse()  # each row let go of once planned (memory), in the file's order
    while parsed:
        number, row, parse_problems = parsed.pop()
        problems = list(parse_problems)
        key = row[0]
        if key in first_row:
            problems.append(
                (
                    "visit_id",
                    _("%(key)s is listed twice (first on row %(row)d)")
                    % {"key": key, "row": first_row[key]},
                )
            )
        elif key:
            first_row[key] = number
        _plan_row(plan, number, problems, row, reads, ctx, now)
        for column, problem in problems:
            result.fail(number, column, problem)
    result.created, result.updated, result.unchanged = (
        len(plan.new),
        len(plan.changed),
        plan.unchanged,
    )
    return plan


def _customer(
    problems: Problems, code: str, reads: _Reads, person: Staff | None, ctx: Context
) -> Any:
    found = reads.customers.get(code) if code else None
    # A manager's file (scoped) may name the customers the manager and the rep may see; an
    # administrator's history names any customer, as it did when it was recorded.
    hidden = (
        found is not None
        and ctx.scope is not None
        and not all(
            reads.sight.visible(who.id, found[3]) for who in (reads.by, person) if who is not None
        )
    )
    if code and (found is None or hidden):
        problems.append(("customer_code", _("unknown customer %(code)s") % {"code": code}))
        return None
    return found


def _plan_row(
    plan: VisitsPlan,
    number: int,
    problems: Problems,
    row: VisitRow,
    reads: _Reads,
    ctx: Context,
    now: dt.datetime,
) -> None:
    raw, key, employee_no, code, at, _lat, _lon, interest, notes, channel = row
    person = None
    if employee_no:
        person = reads.people.get(employee_no)
        if person is None or not person.in_scope(ctx.scope):
            problems.append(("employee_no", _("unknown employee %(no)s") % {"no": employee_no}))
            person = None
    found = reads.customers.get(code)
    if found is not None and ctx.scope is None:  # an unscoped file names any customer
        customer: Any = found
    else:
        customer = _customer(problems, code, reads, person, ctx)
    stored = reads.stored(key) if raw and reads.visits else None
    if stored is not None and person is not None and stored[0] != person.id:
        problems.append(
            ("visit_id", _("visit id %(id)s belongs to another person's check-in") % {"id": raw})
        )
    if problems or person is None or customer is None or at is None:
        return
    if stored is not None:
        if (stored[1], stored[2], stored[3]) == (interest, notes, channel):
            plan.unchanged += 1
        else:
            plan.changed.append((stored[4], interest, notes, channel))
        return
    line = _line(problems, number, row, person, customer, reads, ctx, now)
    if line is not None:
        plan.new.append(line)


def _line(
    problems: Problems,
    number: int,
    row: VisitRow,
    person: Staff,
    customer: tuple[int, float | None, float | None, int | None],
    reads: _Reads,
    ctx: Context,
    now: dt.datetime,
) -> VisitLine | None:
    _raw, (pk, external), _employee_no, _code, at, lat_cell, lon_cell, interest, notes, channel = (
        row
    )
    lat, lon = float(lat_cell), float(lon_cell)  # (a Decimal from the ``Cells`` path)
    day = at.date()  # local: the parser gives the check-in in the current time zone
    unit_id = person.unit_or_problem(day, "checkin_at", problems)
    if unit_id is None:
        return None
    customer_id, customer_lat, customer_lon, _owner = customer
    distance = None
    if customer_lat is not None and customer_lon is not None:
        distance = round(haversine_m(lat, lon, customer_lat, customer_lon))
    return VisitLine(
        number,
        pk,
        external,
        person.id,
        unit_id,
        customer_id,
        reads.stops.get((person.id, day, customer_id)),
        at,
        day,
        lat,
        lon,
        distance,
        distance is not None and distance > settings.GEOFENCE_M,
        interest,
        notes,
        channel,
        # A leader's file about the rep is the approval a late check-in needs; their own is not.
        ctx.by is not None and ctx.by.pk == person.id and needs_approval(at, now),
    )


def write_visits(plan: VisitsPlan, ctx: Context, result: ImportResult) -> None:
    result.created, result.updated, result.unchanged = visits_import(plan=plan)


def register_kinds() -> None:
    register(
        Kind(
            "visits",
            COLUMNS,
            "visit_id",
            label=gettext_lazy("Visit history"),
            position=55,
            headers=VISITS_HEADERS,
            aliases={"id": "visit_id"},
            may_import=admin_or_manager,
            check=check_visits,
            write=write_visits,
        )
    )
