"""Check-ins and check-outs (外勤签到): services and selectors.

A check-in carries an id the client generated (a phone that may be offline queues its check-ins
and sends them later, maybe twice): the id makes every write idempotent. Each check-in credits
the ``visits`` metric to the scoreboard in the same transaction, and tells the apps above (the
sales-model lab counts it as a ``visit`` touch) through ``signals.visit_checked_in``.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import uuid
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.crm.customer_selectors import customer_visible
from tiejun.crm.models import Channel, Customer
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.metrics import VISITS
from tiejun.org.models import Membership, Person, Unit
from tiejun.org.selectors import is_admin, led_unit_ids, membership_on
from tiejun.org.services import people_lock
from tiejun.scoreboard.services import facts_add, facts_load, facts_replace

from .models import Interest, PlanStop, Visit
from .signals import visit_checked_in, visit_checked_out

EARTH_RADIUS_M = 6_371_008.8
CLOCK_SKEW = dt.timedelta(minutes=10)  # a phone's clock may run a little ahead
MAX_ACCURACY_M = 1_000_000


class Conflict(TiejunError):
    status = 409


class TooLarge(TiejunError):
    status = 413


def geofence_m() -> int:
    return int(getattr(settings, "GEOFENCE_M", 300))


def poor_accuracy_m() -> int:
    return int(getattr(settings, "POOR_ACCURACY_M", 200))


def stale_position_s() -> int:
    return int(getattr(settings, "STALE_POSITION_S", 300))


def photo_max_bytes() -> int:
    return int(getattr(settings, "PHOTO_MAX_BYTES", 5 * 1024 * 1024))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# --- checking the input ------------------------------------------------------------------------


def parse_id(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError, TypeError):
        raise TiejunError(
            _("%(value)s is not a visit id (a UUID)") % {"value": value}, field="id"
        ) from None


def coordinate(value: Any, *, field: str) -> Decimal:
    """A latitude (-90..90) or longitude (-180..180) rounded to six decimals."""
    limit = 90 if field == "lat" else 180
    what = _("latitude") if field == "lat" else _("longitude")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        number = None
    if value is None or value == "" or number is None or not number.is_finite():
        raise TiejunError(_("the %(what)s is not a number") % {"what": what}, field=field)
    if not -limit <= number <= limit:
        raise TiejunError(
            _("the %(what)s %(value)s is out of range (-%(limit)d to %(limit)d)")
            % {"what": what, "value": value, "limit": limit},
            field=field,
        )
    return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


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


def _aware(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def check_photo(photo: Any) -> None:
    """A real image (Pillow can verify it) of at most TIEJUN_PHOTO_MAX_BYTES."""
    from PIL import Image

    size = getattr(photo, "size", None)
    limit = photo_max_bytes()
    if size is not None and size > limit:
        raise TooLarge(
            _("the photo is %(size)s MB; at most %(max)s MB is accepted")
            % {"size": f"{size / 1048576:.1f}", "max": f"{limit / 1048576:.1f}"},
            field="photo",
        )
    try:
        photo.seek(0)
        data = photo.read()
        photo.seek(0)
    except (AttributeError, OSError):
        raise TiejunError(_("the photo could not be read"), field="photo") from None
    if len(data) > limit:
        raise TooLarge(
            _("the photo is %(size)s MB; at most %(max)s MB is accepted")
            % {"size": f"{len(data) / 1048576:.1f}", "max": f"{limit / 1048576:.1f}"},
            field="photo",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception:  # Pillow raises many kinds for a file that is not an image
        raise TiejunError(_("the photo is not an image"), field="photo") from None


# --- who may see what --------------------------------------------------------------------------


def customer_for_checkin(person: Person, code: str) -> Customer:
    """The customer ``code`` if ``person`` may visit it, else NotFound (unknown or not theirs)."""
    code = (code or "").strip()
    if not code:
        raise TiejunError(_("choose a customer"), field="customer_code")
    customer = next(iter(Customer.objects.filter(code=code).order_by()[:1]), None)
    if customer is None or not customer_visible(person, customer):
        raise NotFound(_("unknown customer %(code)s") % {"code": code}, field="customer_code")
    return customer


def visits_visible_to(viewer: Person, day: dt.date | None = None) -> QuerySet[Visit]:
    """Own visits; a supervisor's team's, a manager's subtree's; admin all."""
    qs = Visit.objects.select_related("person", "unit", "customer").order_by("checkin_at", "id")
    if day is not None:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        qs = qs.filter(checkin_at__gte=start, checkin_at__lt=start + dt.timedelta(days=1))
    if is_admin(viewer):
        return qs
    led = led_unit_ids(viewer)
    return qs.filter(Q(person=viewer) | Q(unit_id__in=led)) if led else qs.filter(person=viewer)


def visits_for(person: Person, day: dt.date) -> QuerySet[Visit]:
    """``person``'s own check-ins on ``day``, in time order."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return (
        Visit.objects.select_related("customer", "unit")
        .filter(person=person, checkin_at__gte=start, checkin_at__lt=start + dt.timedelta(days=1))
        .order_by("checkin_at", "id")
    )


def access_visit(viewer: Person, visit_id: Any) -> Visit:
    try:
        pk = parse_id(visit_id)
    except TiejunError:
        raise NotFound(_("unknown visit %(id)s") % {"id": visit_id}, field="id") from None
    visit = visits_visible_to(viewer).filter(pk=pk).first()
    if visit is None:
        raise NotFound(_("unknown visit %(id)s") % {"id": visit_id}, field="id")
    return visit


def checkin_customers(person: Person, day: dt.date) -> tuple[list[Customer], set[int]]:
    """The customers to pick from on the check-in page: today's plan first, then own customers.

    Returns the list and the ids of the planned ones.
    """
    planned = [
        s.customer
        for s in PlanStop.objects.filter(plan__person=person, plan__date=day)
        .select_related("customer")
        .order_by("seq")
    ]
    planned_ids = {c.pk for c in planned}
    own = Customer.objects.filter(owner=person).exclude(pk__in=planned_ids).order_by("code")[:500]
    return planned + list(own), planned_ids


# --- the visits metric -------------------------------------------------------------------------


def _local_day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)),
    )


@transaction.atomic
def visits_recredit(person_id: int, start: dt.date, end: dt.date) -> None:
    """Recompute ``person_id``'s ``visits`` facts from ``start`` to ``end`` from the visits."""
    lo, hi = _day_bounds(start, end)
    people_lock(person_id)  # as a check-in does: a recount never misses one committing meanwhile
    counts: dict[tuple[dt.date, int], int] = defaultdict(int)
    for at, unit_id in Visit.objects.filter(
        person_id=person_id, checkin_at__gte=lo, checkin_at__lt=hi
    ).values_list("checkin_at", "unit_id"):
        counts[(_local_day(at), unit_id)] += 1
    rows = [(VISITS.code, day, unit_id, Decimal(n)) for (day, unit_id), n in counts.items()]
    facts_replace(metrics=[VISITS.code], person_id=person_id, start=start, end=end, rows=rows)


def visits_recredit_all() -> None:
    """Recompute every ``visits`` fact (``tiejun scoreboard rebuild``); units follow memberships."""
    for membership in Membership.objects.all().iterator():
        lo = timezone.make_aware(dt.datetime.combine(membership.valid_from, dt.time.min))
        qs = Visit.objects.filter(person_id=membership.person_id, checkin_at__gte=lo)
        if membership.valid_to:
            qs = qs.filter(checkin_at__lt=_day_bounds(membership.valid_to, membership.valid_to)[1])
        qs.exclude(unit_id=membership.unit_id).update(unit_id=membership.unit_id)
    counts: dict[tuple[dt.date, int, int], int] = defaultdict(int)
    for at, unit_id, person_id in Visit.objects.values_list(
        "checkin_at", "unit_id", "person_id"
    ).iterator():
        counts[(_local_day(at), unit_id, person_id)] += 1
    facts_load(
        metrics=[VISITS.code],
        rows=[(VISITS.code, d, u, p, Decimal(n)) for (d, u, p), n in counts.items()],
    )


def on_membership_changed(
    sender: object, *, person_id: int, effective: dt.date, **_: object
) -> None:
    """A backdated move changes the team a visit counts for: follow it."""
    lo = timezone.make_aware(dt.datetime.combine(effective, dt.time.min))
    last = (
        Visit.objects.filter(person_id=person_id, checkin_at__gte=lo)
        .order_by("-checkin_at")
        .values_list("checkin_at", flat=True)
        .first()
    )
    if last is None:
        return
    end = _local_day(last)
    for membership in Membership.objects.filter(person_id=person_id).overlapping(effective, end):
        a, b = _day_bounds(
            max(effective, membership.valid_from), min(end, membership.valid_to or end)
        )
        Visit.objects.filter(person_id=person_id, checkin_at__gte=a, checkin_at__lt=b).exclude(
            unit_id=membership.unit_id
        ).update(unit_id=membership.unit_id)
    visits_recredit(person_id, effective, end)


# --- check-in ----------------------------------------------------------------------------------


def _unit_on(person: Person, day: dt.date) -> Unit:
    membership = membership_on(person, day)
    if membership is None:
        raise TiejunError(
            _("%(name)s did not belong to any unit on %(day)s")
            % {"name": person.name, "day": day.isoformat()},
            field="checkin_at",
        )
    return membership.unit


def visit_stored(pk: uuid.UUID, person: Person) -> Visit | None:
    visit = Visit.objects.select_related("person", "unit", "customer").filter(pk=pk).first()
    if visit is not None and visit.person_id != person.pk:
        raise Conflict(
            _("visit id %(id)s belongs to another person's check-in") % {"id": pk}, field="id"
        )
    return visit


def visit_checkin(
    *,
    id: Any,
    person: Person,
    customer: Customer,
    at: dt.datetime,
    lat: Any,
    lon: Any,
    accuracy_m: Any = None,
    position_at: dt.datetime | None = None,
    photo: UploadedFile | None = None,
    plan_stop: PlanStop | None = None,
    channel: str = Channel.VISIT,
    source: str = "app",
    check_visibility: bool = True,
    now: dt.datetime | None = None,
    known_new: bool = False,
) -> tuple[Visit, bool]:
    """Check ``person`` in at ``customer``; returns (visit, created).

    Idempotent on ``id``: a retry returns the stored visit and writes nothing (the same id from
    another person is a conflict). Bad input raises TiejunError and writes nothing.
    ``known_new``: the caller has just looked the id up (the insert still guards against a race).
    """
    pk = parse_id(id)
    stored = None if known_new else visit_stored(pk, person)
    if stored is not None:
        return stored, False
    lat_d, lon_d = coordinate(lat, field="lat"), coordinate(lon, field="lon")
    accuracy = _accuracy(accuracy_m)
    if not isinstance(at, dt.datetime):
        raise TiejunError(_("the check-in time is missing"), field="checkin_at")
    at = _aware(at)
    now = now or timezone.now()
    if at > now + CLOCK_SKEW:
        raise TiejunError(_("a check-in cannot be in the future"), field="checkin_at")
    position_at = _aware(position_at) if position_at else None
    if channel not in Channel.values:
        raise TiejunError(
            _("unknown channel %(channel)s; use one of %(choices)s")
            % {"channel": channel, "choices": ", ".join(Channel.values)},
            field="channel",
        )
    if check_visibility and not customer_visible(person, customer, _local_day(at)):
        raise NotFound(
            _("unknown customer %(code)s") % {"code": customer.code}, field="customer_code"
        )
    if photo is not None:
        check_photo(photo)
    day = _local_day(at)
    unit = _unit_on(person, day)
    distance = None
    if customer.lat is not None and customer.lon is not None:
        distance = round(
            haversine_m(float(lat_d), float(lon_d), float(customer.lat), float(customer.lon))
        )
    if plan_stop is None:
        plan_stop = next(
            iter(
                PlanStop.objects.filter(
                    plan__person=person, plan__date=day, customer=customer
                ).order_by("seq")[:1]
            ),
            None,
        )
    elif plan_stop.plan.person_id != person.pk:
        raise TiejunError(_("that planned stop is not yours"), field="plan_stop")
    visit = Visit(
        id=pk,
        person=person,
        unit=unit,
        customer=customer,
        plan_stop=plan_stop,
        checkin_at=at,
        lat=lat_d,
        lon=lon_d,
        accuracy_m=accuracy,
        position_at=position_at,
        distance_m=distance,
        outside_geofence=distance is not None and distance > geofence_m(),
        poor_accuracy=accuracy is not None and accuracy > poor_accuracy_m(),
        stale_position=position_at is not None
        and (at - position_at).total_seconds() > stale_position_s(),
        channel=channel,
        source=source,
    )
    try:
        with transaction.atomic():
            # One check-in of a person at a time: the day's count is recomputed from the rows.
            people_lock(person.pk)
            if photo is not None:
                if Visit.objects.filter(pk=pk).exists():  # no orphan file for a retry
                    raise IntegrityError("visit id taken")
                photo.seek(0)
                visit.photo.save(f"{pk}{_photo_suffix(photo)}", photo, save=False)
            visit.save(force_insert=True)
            Customer.objects.filter(pk=customer.pk).filter(
                Q(last_activity_on__isnull=True) | Q(last_activity_on__lt=day)
            ).update(last_activity_on=day)
            # A new row adds one visit: an upsert, not a recount (the person lock above keeps it
            # in step with a recount of the same person's days).
            facts_add(
                metric=VISITS.code, day=day, unit_id=unit.pk, person_id=person.pk, delta=Decimal(1)
            )
            visit_checked_in.send(Visit, visit=visit, unit_id=unit.pk, day=day)
    except IntegrityError:
        stored = visit_stored(pk, person)  # the same check-in raced in from a retry
        if stored is None:
            raise
        return stored, False
    return visit, True


def _photo_suffix(photo: Any) -> str:
    name = str(getattr(photo, "name", "") or "").lower()
    for suffix in (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic"):
        if name.endswith(suffix):
            return suffix
    return ".jpg"


# --- check-out ---------------------------------------------------------------------------------


@transaction.atomic
def visit_checkout(
    *,
    visit: Visit,
    by: Person | None = None,
    at: dt.datetime | None = None,
    met_whom: str = "",
    interest: str = "",
    next_step: str = "",
    next_date: dt.date | None = None,
    notes: str = "",
    channel: str | None = None,
    now: dt.datetime | None = None,
) -> Visit:
    """Record the outcome of ``visit`` and its end; a repeat corrects the outcome."""
    if by is not None and by.pk != visit.person_id:
        raise Forbidden(_("only the person who checked in can check out"), field="id")
    now = now or timezone.now()
    at = _aware(at) if at else now
    if at < visit.checkin_at:
        raise TiejunError(_("the check-out is before the check-in"), field="checkout_at")
    if at > now + CLOCK_SKEW:
        raise TiejunError(_("a check-out cannot be in the future"), field="checkout_at")
    interest = (interest or "").strip().lower()
    if interest and interest not in Interest.values:
        raise TiejunError(
            _("unknown interest level %(value)s; use one of %(choices)s")
            % {"value": interest, "choices": ", ".join(Interest.values)},
            field="interest",
        )
    channel = (channel or visit.channel or Channel.VISIT).strip().lower()
    if channel not in Channel.values:
        raise TiejunError(
            _("unknown channel %(channel)s; use one of %(choices)s")
            % {"channel": channel, "choices": ", ".join(Channel.values)},
            field="channel",
        )
    for name, value, limit in (("met_whom", met_whom, 200), ("next_step", next_step, 300)):
        if len(value or "") > limit:
            raise TiejunError(
                _("longer than %(n)d characters") % {"n": limit},
                field=name,
            )
    if next_date is not None and next_date < _local_day(visit.checkin_at):
        raise TiejunError(_("the next step is before the visit"), field="next_date")
    visit.checkout_at = at
    visit.met_whom = (met_whom or "").strip()
    visit.interest = interest
    visit.next_step = (next_step or "").strip()
    visit.next_date = next_date
    visit.notes = (notes or "").strip()
    visit.channel = channel
    visit.save(
        update_fields=[
            "checkout_at",
            "met_whom",
            "interest",
            "next_step",
            "next_date",
            "notes",
            "channel",
        ]
    )
    hours = (Decimal((at - visit.checkin_at).total_seconds()) / 3600).quantize(Decimal("0.01"))
    visit_checked_out.send(Visit, visit=visit, hours=hours)
    return visit
