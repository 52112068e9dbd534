"""Check-ins (外勤签到): the busiest write, measured by ``tiejun bench checkin``.

A check-in carries an id the client generated (a phone that may be offline queues its check-ins
and sends them later, maybe twice): the id makes every write idempotent. It is one transaction:
one statement reads the customer, the rep's team and the planned stop (and locks the customer),
one looks for a double tap, a retry and the visits left open; then the insert, the check-out of
those left open, and the counting (``visits.visit_credit``). Its statements are SQL written once
per process, not querysets compiled on every request (the insert excepted).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.crm.models import Customer, SalesChannel
from tiejun.crm.selectors.customers import customer_visible
from tiejun.errors import NotFound, TiejunError
from tiejun.ops.statements import fetch_instance, prepared_cursor
from tiejun.org.models import Membership, Person, Unit
from tiejun.routing import haversine_m

from ..models import Approval, PlanStop, Visit, VisitPlan
from ..selectors.visits import day_start, local_day, parse_id, visit_stored
from .photos import check_photo
from .visits import CLOCK_SKEW, aware, channel_checked, coordinate, needs_approval, visit_credit

MAX_ACCURACY_M = 1_000_000


def _accuracy(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0 or number > MAX_ACCURACY_M:
        raise TiejunError(
            _("the accuracy must be a number of metres between 0 and %(max)d")
            % {"max": MAX_ACCURACY_M},
            field="accuracy_m",
        )
    return round(number)


def _checkin_at(at: Any, now: dt.datetime) -> dt.datetime:
    if not isinstance(at, dt.datetime):
        raise TiejunError(_("the check-in time is missing"), field="checkin_at")
    at = aware(at)
    if at > now + CLOCK_SKEW:
        raise TiejunError(_("a check-in cannot be in the future"), field="checkin_at")
    return at


_CONTEXT_SQL = """
SELECT {columns}, u.id, u.code,
    (SELECT s.id FROM {stop} s JOIN {plan} p ON p.id = s.plan_id
     WHERE p.person_id = %s AND p.date = %s AND s.customer_id = c.id
     ORDER BY s.seq LIMIT 1){key_share}
FROM {customer} c
LEFT JOIN {membership} m ON m.person_id = %s AND m.valid_from <= %s
    AND (m.valid_to IS NULL OR m.valid_to >= %s)
LEFT JOIN {unit} u ON u.id = m.unit_id
WHERE c.{key} = %s
ORDER BY m.valid_from, m.id LIMIT 1{lock}
"""
_KEY_SHARE_SQL = ",\n    (SELECT 1 FROM {person} WHERE id = %s FOR KEY SHARE)"


def _attnames(model: type[Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


def _columns_sql(alias: str, model: type[Model]) -> str:
    q = connection.ops.quote_name
    return ", ".join(f"{alias}.{q(str(f.column))}" for f in model._meta.concrete_fields)


@functools.cache
def _context_sql(vendor: str, by_code: bool) -> str:
    """The statement of ``_context``; its parameters: person, day, [person,] person, day, day,
    and the customer's code or id."""
    q = connection.ops.quote_name
    tables = {
        name: q(model._meta.db_table)
        for name, model in (
            ("stop", PlanStop),
            ("plan", VisitPlan),
            ("customer", Customer),
            ("membership", Membership),
            ("unit", Unit),
        )
    }
    postgresql = vendor == "postgresql"
    key_share = _KEY_SHARE_SQL.format(person=q(Person._meta.db_table))
    return _CONTEXT_SQL.format(  # table names from the models; values are parameters
        **tables,
        columns=_columns_sql("c", Customer),
        key="code" if by_code else "id",
        key_share=key_share if postgresql else "",
        lock=" FOR NO KEY UPDATE OF c" if postgresql else "",
    )


@dataclass(frozen=True)
class _Context:
    customer: Customer | None
    unit: Unit | None  # the person's team on the day of the check-in
    plan_stop_id: int | None  # the stop at this customer on that day's plan
    last_activity_on: dt.date | None = None  # the customer's, as locked


def _context(person: Person, customer: Customer | str, day: dt.date) -> _Context:
    """In one statement: the customer (the one given, or the one of that code), the person's
    team on ``day`` and the stop of that day's plan at the customer.

    It locks the customer's row, so two sends of one double tap run one after the other and the
    second sees the first; on PostgreSQL it also takes at once the key-share lock on the person
    that the visit's foreign key takes at commit anyway, so a recount of the person's facts
    (which locks the person) waits for this check-in, or it for the recount, and they never
    deadlock. Check-ins of one person do not wait for each other.
    """
    by_code = isinstance(customer, str)
    day_value = connection.ops.adapt_datefield_value(day)
    params: list[Any] = [person.pk, day_value]
    if connection.vendor == "postgresql":
        params.append(person.pk)
    params += [person.pk, day_value, day_value]
    params.append(customer if isinstance(customer, str) else customer.pk)
    with prepared_cursor() as cursor:
        cursor.execute(_context_sql(connection.vendor, by_code), params)
        found = fetch_instance(Customer, cursor, _attnames(Customer))
    if found is None:
        return _Context(None, None, None)
    row, (unit_id, unit_code, plan_stop_id, *_lock) = found
    unit = None
    if unit_id is not None:  # the code is read; the rest loads if asked for
        unit = Unit.from_db(None, ["id", "code"], [unit_id, unit_code])
    if isinstance(customer, Customer):
        row = customer
    return _Context(row, unit, plan_stop_id, found[0].last_activity_on)


def visit_checkin(
    *,
    id: Any,
    person: Person,
    customer: Customer | str,
    at: dt.datetime,
    lat: Any,
    lon: Any,
    accuracy_m: Any = None,
    position_at: dt.datetime | None = None,
    photo: UploadedFile | None = None,
    plan_stop: PlanStop | None = None,
    channel: str = SalesChannel.VISIT,
    source: str = "app",
    check_visibility: bool = True,
    now: dt.datetime | None = None,
    known_new: bool = False,
    hold: bool | None = None,
) -> tuple[Visit, bool]:
    """Check ``person`` in at ``customer`` (or the customer of that code); returns (visit, created).

    Idempotent on ``id``: a retry returns the stored visit and writes nothing (the same id from
    another person is a conflict). A second check-in of the same person at the same customer
    within TIEJUN_CHECKIN_MERGE_MINUTES (a double tap, queued twice offline) returns the first
    visit the same way. A visit the person left open earlier that day is checked out at ``at``.
    A check-in older than the back-dating window or in a month already over is stored but held
    for the supervisor's approval (``hold``: decide instead, e.g. for a leader's import) and
    counts only once approved. Bad input raises TiejunError and writes nothing; a customer code
    the person may not visit is "not found", unless this id was stored before (a retry).
    ``known_new``: do not look the id up first (the API: a first send is the common case, and a
    retry is found anyway, in the query that finds a double tap).
    """
    pk = parse_id(id)
    stored = None if known_new else visit_stored(pk, person)
    if stored is not None:
        return stored, False
    now = now or timezone.now()
    visit = _visit_checked(
        pk,
        person,
        at=at,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy_m,
        position_at=position_at,
        channel=channel,
        source=source,
        now=now,
    )
    stored_photo = check_photo(photo) if photo is not None else None
    try:
        return _checkin(
            visit,
            customer,
            photo=stored_photo,
            plan_stop=plan_stop,
            check_visibility=check_visibility,
            held=needs_approval(visit.checkin_at, now) if hold is None else hold,
        )
    except _Refused as refused:
        stored = visit_stored(pk, person)  # a retry of a send the customer took then
        if stored is None:
            raise refused.error from None
        return stored, False
    except IntegrityError:
        if visit.photo:
            visit.photo.delete(save=False)  # no orphan file for a retry that raced in
        stored = visit_stored(pk, person)  # the same check-in raced in from a retry
        if stored is None:
            raise
        return stored, False


def _visit_checked(
    pk: uuid.UUID,
    person: Person,
    *,
    at: Any,
    lat: Any,
    lon: Any,
    accuracy_m: Any,
    position_at: dt.datetime | None,
    channel: str,
    source: str,
    now: dt.datetime,
) -> Visit:
    """The new visit from the checked input, without its customer and team yet."""
    lat_d, lon_d = coordinate(lat, field="lat"), coordinate(lon, field="lon")
    accuracy = _accuracy(accuracy_m)
    checkin_at = _checkin_at(at, now)
    return Visit(
        id=pk,
        person=person,
        checkin_at=checkin_at,
        lat=lat_d,
        lon=lon_d,
        accuracy_m=accuracy,
        position_at=aware(position_at) if position_at else None,
        channel=channel_checked(channel),
        source=source,
    )


class _Refused(Exception):
    """A customer code the person may not visit: rolled back, then the id is looked up."""

    def __init__(self, error: TiejunError) -> None:
        self.error = error


@transaction.atomic
def _checkin(
    visit: Visit,
    customer: Customer | str,
    *,
    photo: ContentFile[bytes] | None,
    plan_stop: PlanStop | None,
    check_visibility: bool,
    held: bool,
) -> tuple[Visit, bool]:
    """The check-in's one transaction: its customer, team and planned stop; a double tap or a
    retry answered with the stored visit; else the new visit, the open one checked out, the
    visit counted (unless ``held``)."""
    person, day = visit.person, local_day(visit.checkin_at)
    if isinstance(customer, str):
        customer = customer.strip()
        if not customer:
            raise _Refused(TiejunError(_("choose a customer"), field="customer_code"))
    context = _context(person, customer, day)
    visit.customer = _customer_checked(person, customer, context, day, check_visibility)
    visit.unit = _unit_of(person, context, day)
    if plan_stop is not None and plan_stop.plan.person_id != person.pk:
        raise TiejunError(_("that planned stop is not yours"), field="plan_stop")
    visit.plan_stop_id = plan_stop.pk if plan_stop is not None else context.plan_stop_id
    visit.approval = Approval.PENDING if held else Approval.NOT_NEEDED
    for name, value in _flags(visit).items():
        setattr(visit, name, value)
    earlier, still_open = _neighbours(visit)
    if earlier is not None:
        return earlier, False
    if photo is not None:
        visit.photo.save(f"{visit.pk}.jpg", photo, save=False)
    visit.save(force_insert=True)
    visit.closed_customers = [name for _pk, name in still_open]  # type: ignore[attr-defined]
    if still_open:
        # The rep has moved on: the earlier visit ends where this one begins.
        _check_out([pk for pk, _name in still_open], at=visit.checkin_at)
    if not held:
        active = context.last_activity_on
        visit_credit(visit, day, last_activity=active is None or active < day)
    return visit, True


def _customer_checked(
    person: Person, customer: Customer | str, context: _Context, day: dt.date, check: bool
) -> Customer:
    """The customer to check in at, or "not found" when the person may not visit it."""
    found = context.customer
    if isinstance(customer, str) and (found is None or not customer_visible(person, found)):
        raise _Refused(
            NotFound(_("unknown customer %(code)s") % {"code": customer}, field="customer_code")
        )
    assert found is not None
    if check and not customer_visible(person, found, day):
        raise NotFound(_("unknown customer %(code)s") % {"code": found.code}, field="customer_code")
    return found


def _unit_of(person: Person, context: _Context, day: dt.date) -> Unit:
    if context.unit is None:
        raise TiejunError(
            _("%(name)s did not belong to any unit on %(day)s")
            % {"name": person.name, "day": day.isoformat()},
            field="checkin_at",
        )
    return context.unit


def _flags(visit: Visit) -> dict[str, Any]:
    """The distance to the customer and what is off about the position."""
    customer, at, accuracy = visit.customer, visit.checkin_at, visit.accuracy_m
    assert visit.lat is not None and visit.lon is not None  # checked by ``coordinate``
    distance = None
    if customer.lat is not None and customer.lon is not None:
        here = (float(visit.lat), float(visit.lon))
        distance = round(haversine_m(*here, float(customer.lat), float(customer.lon)))
    return {
        "distance_m": distance,
        "outside_geofence": distance is not None and distance > settings.GEOFENCE_M,
        "poor_accuracy": accuracy is not None and accuracy > settings.POOR_ACCURACY_M,
        "stale_position": visit.position_at is not None
        and (at - visit.position_at).total_seconds() > settings.STALE_POSITION_S,
    }


_NEIGHBOURS_SQL = """
SELECT {columns}, c.name
FROM {visit} v JOIN {customer} c ON c.id = v.customer_id
WHERE v.person_id = %s AND (
    v.id = %s
    OR (v.customer_id = %s AND v.checkin_at >= %s AND v.checkin_at <= %s)
    OR (v.checkout_at IS NULL AND v.checkin_at >= %s AND v.checkin_at < %s))
ORDER BY v.checkin_at, v.id
"""


@functools.cache
def _neighbours_sql(vendor: str) -> str:
    """The statement of ``_neighbours``; its parameters: person, id, customer, window from and
    to, the day's start, the check-in time."""
    q = connection.ops.quote_name
    return _NEIGHBOURS_SQL.format(
        columns=_columns_sql("v", Visit),
        visit=q(Visit._meta.db_table),
        customer=q(Customer._meta.db_table),
    )


def _neighbours(visit: Visit) -> tuple[Visit | None, list[tuple[uuid.UUID, str]]]:
    """In one query: the person's visit at this customer within the merge window (a double tap,
    or this very check-in sent again) or under this id (a retry sent later), and the visits left
    open earlier that day (id and customer name)."""
    # TIEJUN_CHECKIN_MERGE_MINUTES=0 switches merging off (synthetic load that must land).
    window = dt.timedelta(minutes=settings.CHECKIN_MERGE_MINUTES)
    at, customer_id = visit.checkin_at, visit.customer_id
    moment = connection.ops.adapt_datetimefield_value
    params = [
        visit.person_id,
        _id_value(visit.pk),
        customer_id,
        moment(at - window),
        moment(at + window),
        moment(day_start(local_day(at))),
        moment(at),
    ]
    rows: list[tuple[Visit, str]] = []
    with prepared_cursor() as cursor:
        cursor.execute(_neighbours_sql(connection.vendor), params)
        while (found := fetch_instance(Visit, cursor, _attnames(Visit))) is not None:
            rows.append((found[0], found[1][0]))
    same = next(
        (
            v
            for v, _name in rows
            if v.customer_id == customer_id and abs(v.checkin_at - at) <= window
        ),
        None,
    )
    if same is not None and not window and same.pk != visit.pk:
        same = None  # merging switched off (a window of 0): only the same id is the same visit
    if same is None:
        same = next((v for v, _name in rows if v.pk == visit.pk), None)
    if same is not None:
        return _stored_as_answer(same, visit), []
    return None, [(v.pk, name) for v, name in rows if v.checkout_at is None and v.checkin_at < at]


def _stored_as_answer(stored: Visit, sent: Visit) -> Visit:
    """The stored visit a double tap or a retry is answered with, its person, team and customer
    taken from the check-in just read where they are the same (else read again)."""
    if (stored.customer_id, stored.unit_id) != (sent.customer_id, sent.unit_id):
        return Visit.objects.select_related("person", "unit", "customer").get(pk=stored.pk)
    stored.person, stored.unit, stored.customer = sent.person, sent.unit, sent.customer
    return stored


_CHECK_OUT_SQL = (
    "UPDATE {visit} SET checkout_at = %s, auto_checkout = %s "
    "WHERE id IN ({ids}) AND checkout_at IS NULL"
)


def _id_value(pk: uuid.UUID) -> Any:
    """A visit id as the database takes it in a parameter (SQLite: hex text)."""
    field = Visit._meta.pk
    assert field is not None
    return field.get_db_prep_value(pk, connection)


def _check_out(ids: list[uuid.UUID], *, at: dt.datetime) -> None:
    """Check the visits ``ids`` out at ``at`` on the rep's behalf (those still open)."""
    sql = _CHECK_OUT_SQL.format(
        visit=connection.ops.quote_name(Visit._meta.db_table), ids=", ".join(["%s"] * len(ids))
    )
    with prepared_cursor() as cursor:
        cursor.execute(
            sql,
            [
                connection.ops.adapt_datetimefield_value(at),
                True,
                *(_id_value(i) for i in ids),
            ],
        )
