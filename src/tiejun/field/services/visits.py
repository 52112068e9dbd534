"""Visits (外勤签到) after the check-in: the check-out, the approval of a late check-in, the
``visits`` metric and its recount; and what the check-in (``services.checkins``) shares with
them: the input checks and the counting of a visit.

A visit counts once: it credits the ``visits`` metric to the scoreboard in the write's
transaction, and tells the apps above (the sales-model lab counts it as a ``visit`` touch)
through ``signals.visit_checked_in``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.crm.models import Customer, SalesChannel
from tiejun.errors import Forbidden, TiejunError
from tiejun.metrics import VISITS
from tiejun.org.models import Membership, Person
from tiejun.org.services import people_lock
from tiejun.scoreboard.services import facts_add, facts_load, facts_replace

from ..models import VISIT_COUNTED, Approval, Interest, Visit
from ..selectors.visits import Conflict, day_start, local_day
from ..signals import visit_checked_in, visit_checked_out

CLOCK_SKEW = dt.timedelta(minutes=10)  # a phone's clock may run a little ahead


def needs_approval(at: dt.datetime, now: dt.datetime) -> bool:
    """A check-in older than the back-dating window, or in a month already over, is held."""
    if at < now - dt.timedelta(days=settings.CHECKIN_BACKDATE_DAYS):
        return True
    local, today = local_day(at), local_day(now)
    return (local.year, local.month) < (today.year, today.month)


# --- checking the input ------------------------------------------------------------------------


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


def aware(value: dt.datetime) -> dt.datetime:
    """``value`` in the current time zone when it comes without one."""
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def channel_checked(channel: str) -> str:
    """``channel`` if it is a sales channel, else a user error."""
    if channel not in SalesChannel.values:
        raise TiejunError(
            _("unknown channel %(channel)s; use one of %(choices)s")
            % {"channel": channel, "choices": ", ".join(SalesChannel.values)},
            field="channel",
        )
    return channel


# --- the visits metric -------------------------------------------------------------------------


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return day_start(start), day_start(end + dt.timedelta(days=1))


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
        counts[(local_day(at), unit_id)] += 1
    rows = [(VISITS.code, day, unit_id, Decimal(n)) for (day, unit_id), n in counts.items()]
    facts_replace(metrics=[VISITS.code], person_id=person_id, start=start, end=end, rows=rows)


def visits_recredit_all() -> None:
    """Recompute every ``visits`` fact (``tiejun scoreboard rebuild``); units follow memberships."""
    for membership in Membership.objects.all().iterator():
        lo = day_start(membership.valid_from)
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
        counts[(local_day(at), unit_id, person_id)] += 1
    facts_load(
        metrics=[VISITS.code],
        rows=[(VISITS.code, d, u, p, Decimal(n)) for (d, u, p), n in counts.items()],
    )


def on_membership_changed(
    sender: object, *, person_id: int, effective: dt.date, **_: object
) -> None:
    """A backdated move changes the team a visit counts for: follow it."""
    last = (
        Visit.objects.filter(person_id=person_id, checkin_at__gte=day_start(effective))
        .order_by("-checkin_at")
        .values_list("checkin_at", flat=True)
        .first()
    )
    if last is None:
        return
    end = local_day(last)
    for membership in Membership.objects.filter(person_id=person_id).overlapping(effective, end):
        a, b = _day_bounds(
            max(effective, membership.valid_from), min(end, membership.valid_to or end)
        )
        Visit.objects.filter(person_id=person_id, checkin_at__gte=a, checkin_at__lt=b).exclude(
            unit_id=membership.unit_id
        ).update(unit_id=membership.unit_id)
    visits_recredit(person_id, effective, end)


# --- counting a visit ----------------------------------------------------------------------


_LAST_ACTIVITY_SQL = (
    "UPDATE {customer} SET last_activity_on = %s "
    "WHERE id = %s AND (last_activity_on IS NULL OR last_activity_on < %s)"
)


def visit_credit(visit: Visit, day: dt.date, *, last_activity: bool = True) -> None:
    """Count ``visit``, inside the caller's transaction: the customer's last activity
    (``last_activity``: it may be older than ``day``), the ``visits`` fact, the apps above."""
    if last_activity:
        table = connection.ops.quote_name(Customer._meta.db_table)
        day_value = connection.ops.adapt_datefield_value(day)
        with connection.cursor() as cursor:
            cursor.execute(
                _LAST_ACTIVITY_SQL.format(customer=table), [day_value, visit.customer_id, day_value]
            )
    # A new row adds one visit: an upsert, not a recount (the key-share lock on the person keeps
    # it in step with a recount of the same person's days).
    facts_add(
        metric=VISITS.code,
        day=day,
        unit_id=visit.unit_id,
        person_id=visit.person_id,
        delta=Decimal(1),
    )
    visit_checked_in.send(Visit, visit=visit, unit_id=visit.unit_id, day=day)


# --- check-out ---------------------------------------------------------------------------------


def _outcome_checked(
    visit: Visit,
    *,
    interest: str,
    channel: str | None,
    met_whom: str,
    next_step: str,
    next_date: dt.date | None,
) -> tuple[str, str]:
    """The check-out's interest level and channel, normalised, or a user error."""
    interest = (interest or "").strip().lower()
    if interest and interest not in Interest.values:
        raise TiejunError(
            _("unknown interest level %(value)s; use one of %(choices)s")
            % {"value": interest, "choices": ", ".join(Interest.values)},
            field="interest",
        )
    channel = channel_checked((channel or visit.channel or SalesChannel.VISIT).strip().lower())
    for name, value, limit in (("met_whom", met_whom, 200), ("next_step", next_step, 300)):
        if len(value or "") > limit:
            raise TiejunError(_("longer than %(n)d characters") % {"n": limit}, field=name)
    if next_date is not None and next_date < local_day(visit.checkin_at):
        raise TiejunError(_("the next step is before the visit"), field="next_date")
    return interest, channel


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
    at = visit.checkout_at if auto else (aware(at) if at else now)
    assert at is not None
    if at < visit.checkin_at:
        raise TiejunError(_("the check-out is before the check-in"), field="checkout_at")
    if at > now + CLOCK_SKEW:
        raise TiejunError(_("a check-out cannot be in the future"), field="checkout_at")
    interest, channel = _outcome_checked(
        visit,
        interest=interest,
        channel=channel,
        met_whom=met_whom,
        next_step=next_step,
        next_date=next_date,
    )
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
            visit_credit(locked, local_day(locked.checkin_at))
            if locked.checkout_at is not None:
                visit_checked_out.send(Visit, visit=locked, hours=_hours(locked))
    return locked
