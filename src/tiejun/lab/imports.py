"""The sales-model lab's import kinds: ``activities`` (touches), ``events`` and ``attendees``."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.crm.models import Customer, SalesChannel
from tiejun.imports.cells import CREATED, Context, Outcome
from tiejun.imports.engine import Kind
from tiejun.imports.registry import register
from tiejun.imports.spellings import (
    ACTIVITIES_HEADERS,
    ATTENDEES_HEADERS,
    CHANNEL_LABELS,
    EVENTS_HEADERS,
)
from tiejun.org.imports import OrgCells as Cells
from tiejun.org.imports import admin_or_manager
from tiejun.org.models import Membership

from .models import Event, SalesModel, Touch
from .services import attendee_add, event_record, touch_record


def _lab_customer(c: Cells, column: str) -> Customer | None:

    code = c.text(column, max_length=32)
    if not code:
        return None
    customer = Customer.objects.filter(code=code).select_related("owner").first()
    # A manager's file reaches the customers their pages show (the subtree's and the open pool);
    # any other reads as unknown, exactly like one that does not exist.
    if customer is None or (customer.owner is not None and not c.person_in_scope(customer.owner)):
        c.fail(column, _("unknown customer %(code)s") % {"code": code})
        return None
    return customer


def _lab_model(c: Cells, column: str) -> SalesModel | None:
    """An active sales model by its code or its name (Chinese or English): 沙龙, Salon, salon."""
    models = {m.code: m for m in SalesModel.objects.filter(active=True)}
    # A built-in model is a deal channel: its labels (沙龙, Salon) name it too.
    channels = dict(SalesChannel.choices)
    choices = {code: channels.get(code, m.name) for code, m in models.items()}
    names = {k: v for k, v in CHANNEL_LABELS.items() if v in models}
    names.update((n, m.code) for m in models.values() for n in (m.name, m.name_en) if n)
    code = c.choice(column, choices, labels=names, what=_("sales model"))
    return models.get(code)


def _lab_id_taken(c: Cells, column: str, problem: str, unit_id: int | None) -> None:
    """A scoped file may not rewrite another branch's touch or event by naming its id; the
    answer is that of a foreign id, telling nothing about the row."""
    if unit_id is not None and not c.unit_in_scope(unit_id):
        c.fail(column, problem)


def apply_activity(c: Cells, ctx: Context) -> Outcome:

    activity_id = c.external_id("activity_id")
    person = c.person("employee_no")
    customer = _lab_customer(c, "customer_code")
    model = _lab_model(c, "model")
    date = c.date("date")
    hours = c.decimal("hours")
    cost = c.amount("cost", allow_negative=True)
    if c.scope is not None:
        if activity_id:
            taken = Touch.objects.filter(activity_id=activity_id).values_list("unit_id").first()
            _lab_id_taken(
                c,
                "activity_id",
                _("activity id %(id)s cannot be used; choose another") % {"id": activity_id},
                taken[0] if taken else None,
            )
        if person is not None and date is not None:
            # The touch counts for the team the rep was in on the day, which must be in scope.
            then = Membership.objects.on(date).filter(person=person).values_list("unit_id").first()
            if then is not None and not c.unit_in_scope(then[0]):
                c.fail(
                    "employee_no",
                    _("on %(day)s %(no)s belonged to a unit outside yours")
                    % {"day": date.isoformat(), "no": person.employee_no},
                )
    c.check()
    assert person and customer and model and date and hours is not None and cost is not None
    _touch, outcome = touch_record(
        activity_id=activity_id,
        person=person,
        customer=customer,
        model=model,
        date=date,
        hours=hours,
        cost=cost,
        today=ctx.today,
    )
    return outcome


def apply_event(c: Cells, ctx: Context) -> Outcome:

    event_id = c.external_id("event_id")
    model = _lab_model(c, "model")
    unit = c.unit("unit_code")
    date = c.date("date")
    title = c.text("title", max_length=200)
    hours = c.decimal("hours")
    cost = c.amount("cost", allow_negative=True)
    if c.scope is not None and event_id:
        taken = Event.objects.filter(event_id=event_id).values_list("unit_id").first()
        _lab_id_taken(
            c,
            "event_id",
            _("event id %(id)s cannot be used; choose another") % {"id": event_id},
            taken[0] if taken else None,
        )
    c.check()
    assert model and unit and date and hours is not None and cost is not None
    _event, outcome = event_record(
        event_id=event_id,
        model=model,
        unit=unit,
        date=date,
        title=title,
        hours=hours,
        cost=cost,
        today=ctx.today,
    )
    return outcome


def apply_attendee(c: Cells, ctx: Context) -> Outcome:

    event_id = c.external_id("event_id")
    event = Event.objects.filter(event_id=event_id).first() if event_id else None
    if event is not None and not c.unit_in_scope(event.unit_id):
        event = None  # another branch's event reads as unknown
    if event_id and event is None:
        c.fail("event_id", _("unknown event %(id)s") % {"id": event_id})
    customer = _lab_customer(c, "customer_code")
    c.check()
    assert event is not None and customer is not None
    _attendee, created = attendee_add(event=event, customer=customer)
    return CREATED if created else None


def register_kinds() -> None:
    register(
        Kind(
            "activities",
            ("activity_id", "employee_no", "customer_code", "model", "date", "hours", "cost"),
            "activity_id",
            label=gettext_lazy("Sales activities (touches)"),
            position=60,
            headers=ACTIVITIES_HEADERS,
            may_import=admin_or_manager,
            cells=Cells,
            apply=apply_activity,
        ),
        Kind(
            "events",
            ("event_id", "model", "unit_code", "date", "title", "hours", "cost"),
            "event_id",
            label=gettext_lazy("Events (salons, livestreams)"),
            position=70,
            headers=EVENTS_HEADERS,
            aliases={"unit": "unit_code"},
            may_import=admin_or_manager,
            cells=Cells,
            apply=apply_event,
        ),
        Kind(
            "attendees",
            ("event_id", "customer_code"),
            "event_id",
            label=gettext_lazy("Event attendees"),
            position=80,
            headers=ATTENDEES_HEADERS,
            may_import=admin_or_manager,
            cells=Cells,
            apply=apply_attendee,
        ),
    )
