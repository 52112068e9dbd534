"""Writes of the sales-model lab: touches, events and their attendees, field check-ins.

An event's staff hours and cost are shared equally among its attendees: each attendance is a
touch (source ``event``) carrying its share, re-split whenever an attendee is added or the event
changes, so the touches of an event always add up to the event exactly (to the cent).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.crm.importing import insert_rows
from tiejun.crm.models import Customer, SalesChannel
from tiejun.errors import TiejunError
from tiejun.org.models import Membership, Person, Unit

from .models import Attendee, Event, SalesModel, Touch

CREATED = "created"
UPDATED = "updated"
VISIT = SalesChannel.VISIT.value
MAX_HOURS = Decimal("1e8")
MAX_COST = Decimal("1e12")
CENT = Decimal("0.01")


def _amount(value: Any, *, field: str, limit: Decimal, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise TiejunError(_("%(what)s is not a number") % {"what": what}, field=field) from None
    if not number.is_finite():
        raise TiejunError(_("%(what)s is not a number") % {"what": what}, field=field)
    if number < 0:
        raise TiejunError(_("%(what)s cannot be negative") % {"what": what}, field=field)
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise TiejunError(_("%(what)s has more than two decimals") % {"what": what}, field=field)
    if number >= limit:
        raise TiejunError(_("%(what)s is too large") % {"what": what}, field=field)
    return number.quantize(CENT)


def _hours(value: Any) -> Decimal:
    return _amount(value, field="hours", limit=MAX_HOURS, what=_("the hours"))


def _cost(value: Any) -> Decimal:
    return _amount(value, field="cost", limit=MAX_COST, what=_("the cost"))


def sales_model_by_code(code: str) -> SalesModel:
    """The active sales model ``code``, or a user error naming the known ones."""
    model = SalesModel.objects.filter(code=code, active=True).first()
    if model is None:
        choices = SalesModel.objects.filter(active=True).values_list("code", flat=True)
        raise TiejunError(
            _("unknown sales model %(model)s; use one of %(choices)s")
            % {"model": code, "choices": ", ".join(choices)},
            field="model",
        )
    return model


def _check_date(day: dt.date, today: dt.date | None) -> None:
    if day > (today or timezone.localdate()):
        raise TiejunError(_("a touch cannot be in the future"), field="date")


def _unit_of(person: Person, day: dt.date) -> int:
    membership = Membership.objects.on(day).filter(person=person).values_list("unit_id").first()
    if membership is None:
        raise TiejunError(
            _("%(no)s belonged to no unit on %(day)s")
            % {"no": person.employee_no, "day": day.isoformat()},
            field="employee_no",
        )
    return membership[0]


def _touch_save(activity_id: str, values: dict[str, Any]) -> tuple[Touch, str | None]:
    touch = Touch.objects.filter(activity_id=activity_id).first()
    if touch is None:
        return Touch.objects.create(activity_id=activity_id, **values), CREATED
    changed = [name for name, value in values.items() if getattr(touch, name) != value]
    if not changed:
        return touch, None
    for name in changed:
        setattr(touch, name, values[name])
    touch.save(update_fields=changed)
    return touch, UPDATED


@transaction.atomic
def touch_record(
    *,
    activity_id: str,
    person: Person,
    customer: Customer,
    model: SalesModel,
    date: dt.date,
    hours: Decimal,
    cost: Decimal,
    source: str = Touch.Source.IMPORT,
    today: dt.date | None = None,
) -> tuple[Touch, str | None]:
    """Record (or correct, by ``activity_id``) one touch; returns it and created/updated/None.

    The touch counts for the team ``person`` belonged to on ``date``.
    """
    activity_id = activity_id.strip()
    if not activity_id:
        raise TiejunError(_("a touch needs an activity id"), field="activity_id")
    if len(activity_id) > 64:
        raise TiejunError(_("the activity id is longer than 64 characters"), field="activity_id")
    existing = Touch.objects.filter(activity_id=activity_id).values_list("source").first()
    if existing is not None and existing[0] == Touch.Source.EVENT:
        raise TiejunError(
            _("activity id %(id)s belongs to an event attendance") % {"id": activity_id},
            field="activity_id",
        )
    _check_date(date, today)
    values = {
        "model": model,
        "person": person,
        "customer": customer,
        "unit_id": _unit_of(person, date),
        "event": None,
        "date": date,
        "hours": _hours(hours),
        "cost": _cost(cost),
        "source": source,
    }
    return _touch_save(activity_id, values)


@transaction.atomic
def touch_from_checkin(
    *,
    visit_id: str | int,
    person: Person,
    customer: Customer,
    date: dt.date,
    hours: Decimal,
    cost: Decimal = Decimal(0),
    today: dt.date | None = None,
) -> Touch:
    """A field check-in counts as a ``visit`` touch with its measured hours (idempotent by visit)."""
    touch, _outcome = touch_record(
        activity_id=f"checkin:{visit_id}",
        person=person,
        customer=customer,
        model=sales_model_by_code(VISIT),
        date=date,
        hours=hours,
        cost=cost,
        source=Touch.Source.CHECKIN,
        today=today,
    )
    return touch


def on_visit_checked_in(
    sender: object, *, visit: Any, unit_id: int, day: dt.date, **_: object
) -> None:
    """A check-in just inserted counts as a ``visit`` touch, unless that model is switched off.

    One statement (the check-in path is measured): its activity id derives from the new visit's
    id, so it cannot exist yet; the check-out later sets its hours (``on_visit_checked_out``).
    """
    touch = connection.ops.quote_name(Touch._meta.db_table)
    model = connection.ops.quote_name(SalesModel._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {touch} (activity_id, model_id, person_id, customer_id, unit_id, "  # noqa: S608
            "event_id, date, hours, cost, source) "
            f"SELECT %s, id, %s, %s, %s, NULL, %s, 0, 0, %s FROM {model} WHERE code = %s AND active",
            [
                f"checkin:{visit.pk}",
                visit.person_id,
                visit.customer_id,
                unit_id,
                day,
                Touch.Source.CHECKIN.value,
                VISIT,
            ],
        )


def on_visits_imported(sender: object, *, rows: list[tuple[Any, ...]], **_: object) -> None:
    """Imported visits count as ``visit`` touches, as check-ins do: one statement for a batch
    of (visit id, person, customer, unit, day), unless that model is switched off."""
    model_id = SalesModel.objects.filter(code=VISIT, active=True).values_list("id", flat=True)
    model = model_id.first()
    if model is None or not rows:
        return
    source = Touch.Source.CHECKIN.value
    insert_rows(
        Touch._meta.db_table,
        TOUCH_COLUMNS,
        [(f"checkin:{v}", model, p, c, u, None, d, 0, 0, source) for v, p, c, u, d in rows],
    )


TOUCH_COLUMNS = (
    "activity_id",
    "model_id",
    "person_id",
    "customer_id",
    "unit_id",
    "event_id",
    "date",
    "hours",
    "cost",
    "source",
)


def on_visit_checked_out(sender: object, *, visit: Any, hours: Decimal, **_: object) -> None:
    """The check-out's measured hours go to the visit's touch."""
    if not SalesModel.objects.filter(code=VISIT, active=True).exists():
        return
    day = timezone.localtime(visit.checkin_at).date()
    touch_from_checkin(
        visit_id=str(visit.pk),
        person=visit.person,
        customer=visit.customer,
        date=day,
        hours=hours,
        today=day,
    )


def _split(total: Decimal, n: int) -> list[Decimal]:
    """``total`` in ``n`` shares to the cent, the odd cents to the first ones."""
    cents = int(total / CENT)
    base, extra = divmod(cents, n)
    return [Decimal(base + (1 if i < extra else 0)) * CENT for i in range(n)]


def _event_resplit(event: Event) -> None:
    """Give each attendance touch of ``event`` its equal share of the event's hours and cost."""
    touches = list(Touch.objects.filter(event=event).order_by("id"))
    if not touches:
        return
    hours = _split(event.hours, len(touches))
    costs = _split(event.cost, len(touches))
    for touch, h, c in zip(touches, hours, costs, strict=True):
        touch.hours, touch.cost = h, c
        touch.model_id, touch.unit_id, touch.date = event.model_id, event.unit_id, event.date
    Touch.objects.bulk_update(touches, ["hours", "cost", "model", "unit", "date"])


@transaction.atomic
def event_record(
    *,
    event_id: str,
    model: SalesModel,
    unit: Unit,
    date: dt.date,
    title: str,
    hours: Decimal,
    cost: Decimal,
    today: dt.date | None = None,
) -> tuple[Event, str | None]:
    """Record (or correct, by ``event_id``) a one-to-many event; returns it and the outcome."""
    event_id = event_id.strip()
    if not event_id:
        raise TiejunError(_("an event needs an event id"), field="event_id")
    if len(event_id) > 64:
        raise TiejunError(_("the event id is longer than 64 characters"), field="event_id")
    if not title.strip():
        raise TiejunError(_("an event needs a title"), field="title")
    if date > (today or timezone.localdate()):
        raise TiejunError(_("an event cannot be in the future"), field="date")
    values = {
        "model": model,
        "unit": unit,
        "date": date,
        "title": title.strip()[:200],
        "hours": _hours(hours),
        "cost": _cost(cost),
    }
    event = Event.objects.filter(event_id=event_id).first()
    if event is None:
        return Event.objects.create(event_id=event_id, **values), CREATED
    changed = [name for name, value in values.items() if getattr(event, name) != value]
    if not changed:
        return event, None
    for name in changed:
        setattr(event, name, values[name])
    event.save(update_fields=changed)
    _event_resplit(event)
    return event, UPDATED


@transaction.atomic
def attendee_add(*, event: Event, customer: Customer) -> tuple[Attendee, bool]:
    """``customer`` attended ``event``: a touch of the event's model on its date for the customer;
    the event's hours and cost are shared anew among all its attendees. Returns (attendee, created).
    """
    attendee, created = Attendee.objects.get_or_create(event=event, customer=customer)
    if not created:
        return attendee, False
    Touch.objects.create(
        activity_id=f"event:{event.pk}:{customer.pk}",
        model_id=event.model_id,
        person=None,
        customer=customer,
        unit_id=event.unit_id,
        event=event,
        date=event.date,
        hours=Decimal(0),
        cost=Decimal(0),
        source=Touch.Source.EVENT,
    )
    _event_resplit(event)
    return attendee, True
