"""Reads of check-ins (外勤签到): who sees which visits, the check-in page's customers, the
held (late) check-ins, and what the rep is told the moment a check-in is answered."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.crm.models import Customer
from tiejun.crm.selectors.customers import customer_visible
from tiejun.errors import NotFound, TiejunError
from tiejun.org.models import Person
from tiejun.org.selectors import is_admin, led_unit_ids

from ..models import Approval, PlanStop, Visit


class Conflict(TiejunError):
    status = 409


def parse_id(value: Any) -> uuid.UUID:
    """A visit id as the client sent it (a UUID), or a user error."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError, TypeError):
        raise TiejunError(
            _("%(value)s is not a visit id (a UUID)") % {"value": value}, field="id"
        ) from None


def local_day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


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
        start = day_start(day)
        qs = qs.filter(checkin_at__gte=start, checkin_at__lt=start + dt.timedelta(days=1))
    if is_admin(viewer):
        return qs
    led = led_unit_ids(viewer)
    return qs.filter(Q(person=viewer) | Q(unit_id__in=led)) if led else qs.filter(person=viewer)


def visits_for(person: Person, day: dt.date) -> QuerySet[Visit]:
    """``person``'s own check-ins on ``day``, in time order."""
    start = day_start(day)
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


def visit_stored(pk: uuid.UUID, person: Person) -> Visit | None:
    """The visit stored under the client's id ``pk``, if any: a retry finds its first send.
    The id of another person's check-in is a conflict."""
    visit = Visit.objects.select_related("person", "unit", "customer").filter(pk=pk).first()
    if visit is not None and visit.person_id != person.pk:
        raise Conflict(
            _("visit id %(id)s belongs to another person's check-in") % {"id": pk}, field="id"
        )
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


def checkin_warnings(visit: Visit) -> list[str]:
    """What the rep should know the moment the check-in is answered."""
    warnings = []
    if visit.outside_geofence and visit.distance_m is not None:
        warnings.append(
            _(
                "You are %(distance)d m from %(customer)s; check-ins farther than %(limit)d m "
                "are flagged."
            )
            % {
                "distance": visit.distance_m,
                "customer": visit.customer.name,
                "limit": settings.GEOFENCE_M,
            }
        )
    if visit.approval == Approval.PENDING:
        warnings.append(
            _(
                "This check-in is more than %(days)d days old or in a month already over: it "
                "waits for your supervisor's approval and counts once approved."
            )
            % {"days": settings.CHECKIN_BACKDATE_DAYS}
        )
    for customer in getattr(visit, "closed_customers", ()):  # noted by the check-in
        warnings.append(
            _("Your open visit at %(customer)s was checked out at %(time)s.")
            % {"customer": customer, "time": f"{timezone.localtime(visit.checkin_at):%H:%M}"}
        )
    return warnings


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
