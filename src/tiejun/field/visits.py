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
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.crm.customer_selectors import customer_visible
from tiejun.crm.models import Customer, SalesChannel
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.metrics import VISITS
from tiejun.org.models import Membership, Person, Unit
from tiejun.org.selectors import is_admin, led_unit_ids, membership_on
from tiejun.org.services import people_lock
from tiejun.scoreboard.services import facts_add, facts_load, facts_replace

from .models import VISIT_COUNTED, Approval, Interest, PlanStop, Visit
from .signals import visit_checked_in, visit_checked_out

EARTH_RADIUS_M = 6_371_008.8
CLOCK_SKEW = dt.timedelta(minutes=10)  # a phone's clock may run a little ahead
MAX_ACCURACY_M = 1_000_000
PHOTO_MAX_PIXELS = 40_000_000  # far below Pillow's own bomb limit: no phone takes more
PHOTO_MAX_SIDE = 1600  # the stored copy: enough to see a shop front, small on the disk


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


def backdate_days() -> int:
    return int(getattr(settings, "CHECKIN_BACKDATE_DAYS", 2))


def merge_window() -> dt.timedelta:
    """Two check-ins of one rep at one customer this close are one visit (a double tap);
    ``TIEJUN_CHECKIN_MERGE_MINUTES=0`` switches merging off (synthetic load that must land)."""
    return dt.timedelta(minutes=int(getattr(settings, "CHECKIN_MERGE_MINUTES", 5)))


def needs_approval(at: dt.datetime, now: dt.datetime) -> bool:
    """A check-in older than the back-dating window, or in a month already over, is held."""
    if at < now - dt.timedelta(days=backdate_days()):
        return True
    local, today = timezone.localtime(at).date(), timezone.localtime(now).date()
    return (local.year, local.month) < (today.year, today.month)


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


def check_photo(photo: Any) -> ContentFile[bytes]:
    """A real image (Pillow can verify it) of at most TIEJUN_PHOTO_MAX_BYTES and
    ``PHOTO_MAX_PIXELS``; returns the copy to store: a JPEG at most ``PHOTO_MAX_SIDE`` pixels
    wide or high, upright, without the original's metadata."""
    import warnings

    from PIL import Image, ImageOps

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
    too_big = TiejunError(
        _("the photo has more than %(n)d megapixels; send a smaller one")
        % {"n": PHOTO_MAX_PIXELS // 1_000_000},
        field="photo",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                # The header's size, read before a pixel is decoded: a bomb stops here.
                if image.width * image.height > PHOTO_MAX_PIXELS:
                    raise too_big
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))  # JPEG: decode scaled down
                copy = ImageOps.exif_transpose(image).convert("RGB")
    except TiejunError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except Exception:  # Pillow raises many kinds for a file that is not an image
        raise TiejunError(_("the photo is not an image"), field="photo") from None
    copy.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=82, optimize=True)
    return ContentFile(out.getvalue())


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
    for at, unit_id in (
        Visit.objects.filter(person_id=person_id, checkin_at__gte=lo, checkin_at__lt=hi)
        .filter(VISIT_COUNTED)
        .values_list("checkin_at", "unit_id")
    ):
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
    for at, unit_id, person_id in (
        Visit.objects.filter(VISIT_COUNTED)
        .values_list("checkin_at", "unit_id", "person_id")
        .iterator()
    ):
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
    channel: str = SalesChannel.VISIT,
    source: str = "app",
    check_visibility: bool = True,
    now: dt.datetime | None = None,
    known_new: bool = False,
    hold: bool | None = None,
) -> tuple[Visit, bool]:
    """Check ``person`` in at ``customer``; returns (visit, created).

    Idempotent on ``id``: a retry returns the stored visit and writes nothing (the same id from
    another person is a conflict). A second check-in of the same person at the same customer
    within ``merge_window()`` (a double tap, queued twice offline) returns the first visit the
    same way. A visit the person left open earlier that day is checked out at ``at``.
    A check-in older than the back-dating window or in a month already over is stored but held
    for the supervisor's approval (``hold``: decide instead, e.g. for a leader's import) and
    counts only once approved. Bad input raises TiejunError and writes nothing.
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
    if channel not in SalesChannel.values:
        raise TiejunError(
            _("unknown channel %(channel)s; use one of %(choices)s")
            % {"channel": channel, "choices": ", ".join(SalesChannel.values)},
            field="channel",
        )
    if check_visibility and not customer_visible(person, customer, _local_day(at)):
        raise NotFound(
            _("unknown customer %(code)s") % {"code": customer.code}, field="customer_code"
        )
    stored_photo = check_photo(photo) if photo is not None else None
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
    held = needs_approval(at, now) if hold is None else hold
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
        approval=Approval.PENDING if held else Approval.NOT_NEEDED,
    )
    visit.closed_visits = []  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            # One check-in of a person at a time: the day's count is recomputed from the rows,
            # and the double tap below is seen by the second of two racing sends.
            people_lock(person.pk)
            same, still_open = _neighbours(pk, person, customer, at)
            if same is not None:
                return same, False
            if stored_photo is not None:
                visit.photo.save(f"{pk}.jpg", stored_photo, save=False)
            visit.save(force_insert=True)
            if still_open:
                # The rep has moved on: the earlier visit ends where this one begins.
                Visit.objects.filter(
                    pk__in=[v.pk for v in still_open], checkout_at__isnull=True
                ).update(checkout_at=at, auto_checkout=True)
                visit.closed_visits = still_open  # type: ignore[attr-defined]
            if not held:
                _credit(visit, day)
    except IntegrityError:
        if visit.photo:
            visit.photo.delete(save=False)  # no orphan file for a retry that raced in
        stored = visit_stored(pk, person)  # the same check-in raced in from a retry
        if stored is None:
            raise
        return stored, False
    return visit, True


def _neighbours(
    pk: uuid.UUID, person: Person, customer: Customer, at: dt.datetime
) -> tuple[Visit | None, list[Visit]]:
    """In one query: ``person``'s visit at ``customer`` within the merge window of ``at`` (a
    double tap, or this very check-in sent again), and the visits left open earlier that day."""
    window = merge_window()
    day_start = timezone.make_aware(dt.datetime.combine(_local_day(at), dt.time.min))
    rows = list(
        Visit.objects.select_related("person", "unit", "customer")
        .filter(person=person)
        .filter(
            Q(customer=customer, checkin_at__gte=at - window, checkin_at__lte=at + window)
            | Q(checkout_at__isnull=True, checkin_at__gte=day_start, checkin_at__lt=at)
        )
        .order_by("checkin_at", "id")
    )
    same = next(
        (v for v in rows if v.customer_id == customer.pk and abs(v.checkin_at - at) <= window),
        None,
    )
    if same is not None and not window and same.pk != pk:
        same = None  # merging switched off (a window of 0): only the same id is the same visit
    return same, [v for v in rows if v.checkout_at is None and v.checkin_at < at]


def _credit(visit: Visit, day: dt.date) -> None:
    """Count ``visit``: the customer's last activity, the ``visits`` fact, the apps above."""
    Customer.objects.filter(pk=visit.customer_id).filter(
        Q(last_activity_on__isnull=True) | Q(last_activity_on__lt=day)
    ).update(last_activity_on=day)
    # A new row adds one visit: an upsert, not a recount (the person lock keeps it in step with
    # a recount of the same person's days).
    facts_add(
        metric=VISITS.code,
        day=day,
        unit_id=visit.unit_id,
        person_id=visit.person_id,
        delta=Decimal(1),
    )
    visit_checked_in.send(Visit, visit=visit, unit_id=visit.unit_id, day=day)


def checkin_warnings(visit: Visit) -> list[str]:
    """What the rep should know the moment the check-in is answered."""
    warnings = []
    if visit.outside_geofence and visit.distance_m is not None:
        warnings.append(
            _(
                "You are %(distance)d m from %(customer)s; check-ins farther than %(limit)d m "
                "are flagged."
            )
            % {"distance": visit.distance_m, "customer": visit.customer.name, "limit": geofence_m()}
        )
    if visit.approval == Approval.PENDING:
        warnings.append(
            _(
                "This check-in is more than %(days)d days old or in a month already over: it "
                "waits for your supervisor's approval and counts once approved."
            )
            % {"days": backdate_days()}
        )
    for earlier in getattr(visit, "closed_visits", ()):
        warnings.append(
            _("Your open visit at %(customer)s was checked out at %(time)s.")
            % {
                "customer": earlier.customer.name,
                "time": f"{timezone.localtime(visit.checkin_at):%H:%M}",
            }
        )
    return warnings


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
    # The outcome of a visit the next check-in closed keeps that end (the rep had left by then).
    auto = at is None and visit.auto_checkout and visit.checkout_at is not None
    at = visit.checkout_at if auto else (_aware(at) if at else now)
    assert at is not None
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
    channel = (channel or visit.channel or SalesChannel.VISIT).strip().lower()
    if channel not in SalesChannel.values:
        raise TiejunError(
            _("unknown channel %(channel)s; use one of %(choices)s")
            % {"channel": channel, "choices": ", ".join(SalesChannel.values)},
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
    visit.auto_checkout = auto
    visit.save(
        update_fields=[
            "checkout_at",
            "met_whom",
            "interest",
            "next_step",
            "next_date",
            "notes",
            "channel",
            "auto_checkout",
        ]
    )
    if visit.is_counted and not auto:  # a held visit reaches the lab when it is approved
        visit_checked_out.send(Visit, visit=visit, hours=_hours(visit))
    return visit


def _hours(visit: Visit) -> Decimal:
    assert visit.checkout_at is not None
    seconds = (visit.checkout_at - visit.checkin_at).total_seconds()
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"))


# --- approval of a late check-in ---------------------------------------------------------------


def visits_awaiting(viewer: Person) -> QuerySet[Visit]:
    """The held check-ins ``viewer`` may approve: their team's (admin: all), never their own."""
    return (
        visits_visible_to(viewer)
        .filter(approval=Approval.PENDING)
        .exclude(person=viewer)
        .order_by("checkin_at", "id")
    )


def visits_held(person: Person, *, now: dt.datetime | None = None) -> QuerySet[Visit]:
    """``person``'s own check-ins waiting for approval, and those refused in the last 31 days."""
    since = (now or timezone.now()) - dt.timedelta(days=31)
    return (
        Visit.objects.select_related("customer", "approved_by")
        .filter(person=person)
        .filter(Q(approval=Approval.PENDING) | Q(approval=Approval.REFUSED, approved_at__gte=since))
        .order_by("checkin_at", "id")
    )


def visit_approve(
    *, visit: Visit, by: Person, approve: bool, now: dt.datetime | None = None
) -> Visit:
    """Approve (it counts from now on, on its own day) or refuse a held check-in.

    ``visit`` comes from ``access_visit`` for ``by``; nobody approves their own. Repeating the
    same decision changes nothing; the other decision after one is a conflict.
    """
    if visit.person_id == by.pk:
        raise Forbidden(_("your own check-in needs your supervisor's approval"), field="id")
    decision = Approval.APPROVED if approve else Approval.REFUSED
    with transaction.atomic():
        people_lock(visit.person_id)
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.approval == decision:
            return locked
        if locked.approval != Approval.PENDING:
            raise Conflict(
                _("this check-in does not wait for approval (%(state)s)")
                % {"state": locked.get_approval_display()},
                field="id",
            )
        locked.approval = decision
        locked.approved_by = by
        locked.approved_at = now or timezone.now()
        locked.save(update_fields=["approval", "approved_by", "approved_at"])
        locked.person, locked.customer, locked.unit = visit.person, visit.customer, visit.unit
        if approve:
            _credit(locked, _local_day(locked.checkin_at))
            if locked.checkout_at is not None:
                visit_checked_out.send(Visit, visit=locked, hours=_hours(locked))
    return locked
