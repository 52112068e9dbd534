"""The import kinds: their header row and how one row is checked and applied through the services.

A row's text is parsed first (every bad cell reported at once), then handed to the same service
a page or the API would call, so an import obeys exactly the rules they do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from tiejun.crm.models import Deal
from tiejun.crm.services import DealInput, deal_record
from tiejun.errors import TiejunError
from tiejun.org.models import KIND_DEPTH, Person, Role, Unit, UnitKind
from tiejun.org.services import (
    membership_move,
    person_create,
    person_update,
    unit_create,
    unit_update,
)
from tiejun.targets.models import Target
from tiejun.targets.services import target_set

CREATED = "created"
UPDATED = "updated"
Outcome = str | None  # CREATED, UPDATED, or None when the row changed nothing

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
MAX_VALUE = Decimal("1e14")


class RowInvalid(Exception):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors  # (column, problem)


@dataclass(frozen=True)
class Context:
    by: Person | None
    reason: str
    today: dt.date | None
    # The units a manager's file may touch (the subtree they lead); None: all (admin, the CLI).
    scope: frozenset[int] | None = None


class Cells:
    """One row's cells with parsers that note every bad cell instead of stopping at the first.

    With a ``scope``, units and people outside it read as unknown, as on the pages.
    """

    def __init__(self, record: dict[str, str], scope: frozenset[int] | None = None) -> None:
        self.record = record
        self.scope = scope
        self.errors: list[tuple[str, str]] = []

    def unit_in_scope(self, unit_id: int | None) -> bool:
        return self.scope is None or unit_id in self.scope

    def person_in_scope(self, person: Person) -> bool:
        if self.scope is None:
            return True
        membership = (
            person.memberships.filter(valid_to__isnull=True).first()
            or person.memberships.order_by("-valid_from").first()
        )
        return membership is not None and membership.unit_id in self.scope

    def fail(self, column: str, problem: str) -> None:
        self.errors.append((column, problem))

    def check(self) -> None:
        if self.errors:
            raise RowInvalid(self.errors)

    def text(self, column: str, *, required: bool = True, max_length: int | None = None) -> str:
        value = self.record.get(column, "").strip()
        if required and not value:
            self.fail(column, _("a value is required"))
        elif max_length is not None and len(value) > max_length:
            self.fail(column, _("longer than %(n)d characters") % {"n": max_length})
        return value

    def date(self, column: str, *, required: bool = True) -> dt.date | None:
        value = self.text(column, required=required)
        if not value:
            return None
        match = _DATE.match(value)
        try:
            if match is None:
                raise ValueError(value)
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            self.fail(column, _("%(value)s is not a date YYYY-MM-DD") % {"value": value})
            return None

    def month(self, column: str) -> dt.date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            match = _MONTH.match(value)
            if match is not None:
                return dt.date(int(match[1]), int(match[2]), 1)
            match = _DATE.match(value)  # a spreadsheet turns 2026-06 into 2026-06-01
            if match is not None and int(match[3]) == 1:
                return dt.date(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
        self.fail(column, _("%(value)s is not a month YYYY-MM") % {"value": value})
        return None

    def decimal(self, column: str) -> Decimal | None:
        value = self.text(column)
        if not value:
            return None
        try:
            number = Decimal(value.replace(",", "").replace(" ", ""))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite():
            self.fail(column, _("%(value)s is not a number") % {"value": value})
            return None
        if abs(number) >= MAX_VALUE:
            self.fail(column, _("the number is too large"))
            return None
        return number

    def unit(self, column: str, *, required: bool = True) -> Unit | None:
        """The unit whose code is in ``column`` (one created earlier in the same file too)."""
        code = self.text(column, required=required, max_length=32)
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None or not self.unit_in_scope(unit.pk):
            self.fail(column, _("unknown unit %(code)s") % {"code": code})
            return None
        return unit

    def person(self, column: str) -> Person | None:
        employee_no = self.text(column, max_length=32)
        if not employee_no:
            return None
        person = Person.objects.filter(employee_no=employee_no).first()
        if person is None or not self.person_in_scope(person):
            self.fail(column, _("unknown employee %(no)s") % {"no": employee_no})
            return None
        return person


# --- units -------------------------------------------------------------------------------------


def _check_name(c: Cells, column: str, value: str) -> None:
    from tiejun.text import name_problem

    problem = name_problem(value)
    if problem is not None:
        c.fail(column, problem)


def _apply_unit(c: Cells, ctx: Context) -> Outcome:
    code = c.text("code", max_length=32)
    name = c.text("name", max_length=100)
    _check_name(c, "name", name)
    kind = c.text("kind").lower()
    parent = c.unit("parent_code", required=False)
    parent_code = c.record.get("parent_code", "").strip()
    if kind and kind not in UnitKind.values:
        c.fail(
            "kind",
            _("unknown unit kind %(kind)s; use one of %(choices)s")
            % {"kind": kind, "choices": ", ".join(UnitKind.values)},
        )
    if c.scope is not None and parent is None and not c.errors:
        c.fail("parent_code", _("a value is required"))
    c.check()
    existing = Unit.objects.filter(code=code).select_related("parent").first()
    if existing is not None and not c.unit_in_scope(existing.pk):
        raise TiejunError(_("unit code %(code)s is taken") % {"code": code}, field="code")
    if existing is not None:
        if existing.kind != kind:
            raise TiejunError(
                _("unit %(code)s is a %(kind)s; an import cannot change its kind")
                % {"code": code, "kind": existing.kind},
                field="kind",
            )
        current_parent = existing.parent.code if existing.parent else ""
        if current_parent != parent_code:
            raise TiejunError(
                _("unit %(code)s sits under %(parent)s; an import cannot move a unit")
                % {"code": code, "parent": current_parent or "-"},
                field="parent_code",
            )
        if existing.name == name:
            return None
        unit_update(unit=existing, name=name)
        return UPDATED
    unit_create(code=code, name=name, kind=kind, parent=parent)
    return CREATED


def _units_order(records: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
    """Parents before children, whatever order the file lists them in."""

    def depth(item: tuple[int, dict[str, str]]) -> int:
        kind = item[1].get("kind", "").strip().lower()
        return KIND_DEPTH.get(kind, len(KIND_DEPTH))  # type: ignore[call-overload]

    return sorted(records, key=depth)


# --- people ------------------------------------------------------------------------------------


def _apply_person(c: Cells, ctx: Context) -> Outcome:
    employee_no = c.text("employee_no", max_length=32)
    name = c.text("name", max_length=100)
    _check_name(c, "name", name)
    email = c.text("email", required=False, max_length=254)
    phone = c.text("phone", required=False, max_length=32)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            c.fail("email", _("%(value)s is not an e-mail address") % {"value": email})
    existing = Person.objects.filter(employee_no=employee_no).first() if employee_no else None
    if existing is not None and not c.person_in_scope(existing):
        raise TiejunError(
            _("employee number %(no)s is taken") % {"no": employee_no}, field="employee_no"
        )
    if existing is not None:
        # Only the contact details; a transfer or promotion is a move, with its own date.
        c.check()
        if (existing.name, existing.email, existing.phone) == (name, email, phone):
            return None
        person_update(person=existing, name=name, email=email, phone=phone)
        return UPDATED
    unit = c.unit("unit_code")
    role = c.text("role").lower()
    start_date = c.date("start_date")
    _check_grant(c, role)
    c.check()
    assert unit is not None and start_date is not None
    person_create(
        employee_no=employee_no,
        name=name,
        unit=unit,
        role=role,
        start_date=start_date,
        email=email,
        phone=phone,
        by=ctx.by,
    )
    return CREATED


# --- moves -------------------------------------------------------------------------------------


def _check_grant(c: Cells, role: str) -> None:
    """Only admin gives the admin role (a manager's file is scoped, an admin's is not)."""
    if c.scope is not None and role == Role.ADMIN:
        c.fail("role", _("only an administrator may give this role"))


def _apply_move(c: Cells, ctx: Context) -> Outcome:
    person = c.person("employee_no")
    unit = c.unit("unit_code", required=False)
    role = c.text("role", required=False).lower()
    effective = c.date("effective_date")
    if not c.record.get("unit_code", "").strip() and not role:
        c.fail("unit_code", _("give a new unit_code, a new role, or both"))
    if role and role not in Role.values:
        c.fail(
            "role",
            _("unknown role %(role)s; use one of %(choices)s")
            % {"role": role, "choices": ", ".join(Role.values)},
        )
    _check_grant(c, role)
    if c.scope is not None and person is not None and ctx.by is not None and person == ctx.by:
        c.fail("employee_no", _("you may not move yourself"))
    c.check()
    assert person is not None and effective is not None
    membership_move(person=person, effective=effective, unit=unit, role=role or None, by=ctx.by)
    return CREATED


# --- targets -----------------------------------------------------------------------------------


def _apply_target(c: Cells, ctx: Context) -> Outcome:
    month = c.month("month")
    scope = c.text("scope").lower()
    owner: dict[str, Unit | Person | None] = {}
    if scope == "unit":
        owner["unit"] = c.unit("code")
    elif scope == "person":
        owner["person"] = c.person("code")
    else:
        c.text("code", max_length=32)
        if scope:
            c.fail("scope", _("scope is unit or person, not %(scope)s") % {"scope": scope})
    metric = c.text("metric").lower()
    value = c.decimal("value")
    c.check()
    assert month is not None and value is not None
    before = Target.objects.filter(month=month, metric=metric, **owner).first()
    target = target_set(
        month=month,
        metric=metric,
        value=value,
        by=ctx.by,
        reason=ctx.reason,
        today=ctx.today,
        **owner,  # type: ignore[arg-type]
    )
    if before is None:
        return CREATED
    return UPDATED if before.value != target.value else None


# --- deals -------------------------------------------------------------------------------------


def _deal_state(deal_no: str) -> tuple | None:
    return (
        Deal.objects.filter(deal_no=deal_no)
        .values_list("person_id", "customer__code", "amount", "won_date", "channel")
        .first()
    )


def _apply_deal(c: Cells, ctx: Context) -> Outcome:
    from tiejun.crm.customers import validate_customer_code
    from tiejun.crm.services import deal_number_unusable

    deal_no = c.text("deal_no", max_length=40)
    person = c.person("employee_no")
    customer_code = c.text("customer_code", max_length=32)
    customer_name = c.text("customer_name", required=False, max_length=200)
    amount = c.decimal("amount")
    won_date = c.date("won_date")
    channel = c.text("channel", required=False).lower()
    if customer_code and not any(col == "customer_code" for col, _msg in c.errors):
        try:
            validate_customer_code(customer_code, field="customer_code")
        except TiejunError as exc:
            c.fail("customer_code", str(exc))
    _check_name(c, "customer_name", customer_name)
    if c.scope is not None and deal_no:
        taken = Deal.objects.filter(deal_no=deal_no).values_list("unit_id", flat=True).first()
        if taken is not None and not c.unit_in_scope(taken):
            # Another branch's deal: the answer of a foreign id, nothing about the deal.
            c.fail("deal_no", str(deal_number_unusable(deal_no)))
    c.check()
    assert person is not None and amount is not None and won_date is not None
    before = _deal_state(deal_no)
    item = DealInput(
        deal_no=deal_no,
        person=person,
        customer_code=customer_code,
        customer_name=customer_name,
        amount=amount,
        won_date=won_date,
        channel=channel,
    )
    deal_record(item=item, by=ctx.by, reason=ctx.reason, today=ctx.today)
    if before is None:
        return CREATED
    return UPDATED if _deal_state(deal_no) != before else None


# --- sales-model lab: activities, events, attendees -------------------------------------------


def _lab_customer(c: Cells, column: str):  # -> Customer | None
    from tiejun.crm.models import Customer

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


def _lab_model(c: Cells, column: str):  # -> SalesModel | None
    from tiejun.lab.models import SalesModel

    code = c.text(column).lower()
    if not code:
        return None
    model = SalesModel.objects.filter(code=code, active=True).first()
    if model is None:
        choices = SalesModel.objects.filter(active=True).values_list("code", flat=True)
        c.fail(
            column,
            _("unknown sales model %(model)s; use one of %(choices)s")
            % {"model": code, "choices": ", ".join(choices)},
        )
    return model


def _lab_id_taken(c: Cells, column: str, problem: str, unit_id: int | None) -> None:
    """A scoped file may not rewrite another branch's touch or event by naming its id; the
    answer is that of a foreign id, telling nothing about the row."""
    if unit_id is not None and not c.unit_in_scope(unit_id):
        c.fail(column, problem)


def _apply_activity(c: Cells, ctx: Context) -> Outcome:
    from tiejun.lab.models import Touch
    from tiejun.lab.services import touch_record
    from tiejun.org.models import Membership

    activity_id = c.text("activity_id", max_length=64)
    person = c.person("employee_no")
    customer = _lab_customer(c, "customer_code")
    model = _lab_model(c, "model")
    date = c.date("date")
    hours = c.decimal("hours")
    cost = c.decimal("cost")
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


def _apply_event(c: Cells, ctx: Context) -> Outcome:
    from tiejun.lab.models import Event
    from tiejun.lab.services import event_record

    event_id = c.text("event_id", max_length=64)
    model = _lab_model(c, "model")
    unit = c.unit("unit_code")
    date = c.date("date")
    title = c.text("title", max_length=200)
    hours = c.decimal("hours")
    cost = c.decimal("cost")
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


def _apply_attendee(c: Cells, ctx: Context) -> Outcome:
    from tiejun.lab.models import Event
    from tiejun.lab.services import attendee_add

    event_id = c.text("event_id", max_length=64)
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


# --- visits (check-in history) ---------------------------------------------------------------


def _apply_visit(c: Cells, ctx: Context) -> Outcome:
    from tiejun.field.visits_import import apply_visit_row

    return apply_visit_row(c, ctx)


# --- subscriptions (to the broadcasts) -------------------------------------------------------


def _apply_subscription(c: Cells, ctx: Context) -> Outcome:
    from tiejun.broadcast.services import check_address, check_report, subscription_create

    unit = c.unit("unit_code")
    report = c.text("report").lower()
    channel = c.text("channel").lower()
    address = c.text("address", max_length=1000)
    if report:
        try:
            check_report(report)
        except TiejunError as exc:
            c.fail("report", str(exc))
    if channel:
        try:
            address = check_address(channel, address) if address else address
        except TiejunError as exc:
            c.fail("channel" if exc.field == "channel" else "address", str(exc))
    c.check()
    assert unit is not None
    _row, created = subscription_create(
        unit=unit, report=report, channel=channel, address=address, by=ctx.by
    )
    return CREATED if created else None


# --- customers (the crm customer base) ---------------------------------------------------------


def _apply_customer(c: Cells, ctx: Context) -> Outcome:
    from tiejun.crm.customer_import import apply_customer

    return apply_customer(c, ctx)


# --- calendar (a year's official holidays and make-up working days) --------------------------


def _calendar_years(records: list[tuple[int, dict[str, str]]]) -> set[int]:
    years = set()
    for _number, record in records:
        match = _DATE.match(record.get("date", "").strip())
        if match is not None:
            years.add(int(match[1]))
    return years


def _calendar_prepare(records: list[tuple[int, dict[str, str]]], ctx: Context) -> None:
    """A file replaces the statutory days of every year it covers (exceptions stay)."""
    from tiejun.org.holidays import MAX_YEAR, MIN_YEAR, statutory_year_clear

    if ctx.scope is not None:  # only an administrator loads the calendar; every row says so
        return
    for year in sorted(_calendar_years(records)):
        if MIN_YEAR <= year <= MAX_YEAR:
            statutory_year_clear(year=year, by=ctx.by)


def _apply_calendar(c: Cells, ctx: Context) -> Outcome:
    from tiejun.org.holidays import check_statutory_day, parse_kind, statutory_day_set
    from tiejun.org.models import StatutoryDay

    if c.scope is not None:
        c.fail("date", _("only an administrator may load the calendar"))
        c.check()
    day = c.date("date")
    kind = c.text("kind")
    name = c.text("name", required=False, max_length=100)
    is_workday = parse_kind(kind) if kind else None
    if kind and is_workday is None:
        c.fail("kind", _("kind is off or work (放假 or 上班), not %(kind)s") % {"kind": kind})
    c.check()
    assert day is not None and is_workday is not None
    check_statutory_day(day=day, is_workday=is_workday, name=name)
    if StatutoryDay.objects.filter(date=day).exists():  # the year was cleared: listed twice
        raise TiejunError(_("%(day)s is listed twice") % {"day": day.isoformat()}, field="date")
    statutory_day_set(day=day, is_workday=is_workday, name=name, by=ctx.by)
    return CREATED


# --- the registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[str, ...]
    apply: Callable[[Cells, Context], Outcome]
    default_column: str
    order: Callable[[list[tuple[int, dict[str, str]]]], list[tuple[int, dict[str, str]]]] | None = (
        None
    )
    aliases: tuple[tuple[str, str], ...] = ()
    # Other spellings of the header's column names (Chinese headers), each to its column.
    headers: tuple[tuple[str, str], ...] = ()
    # Called with every row in the import's transaction before the first row is applied.
    prepare: Callable[[list[tuple[int, dict[str, str]]], Context], None] | None = None

    def header_name(self, name: str) -> str:
        return dict(self.headers).get(name, name)

    def column_for(self, field: str | None) -> str:
        """The column to blame for a service error about ``field``."""
        field = dict(self.aliases).get(field or "", field)
        return field if field in self.columns else self.default_column


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("units", ("code", "name", "kind", "parent_code"), _apply_unit, "code", _units_order),
        Kind(
            "people",
            ("employee_no", "name", "unit_code", "role", "start_date", "email", "phone"),
            _apply_person,
            "employee_no",
        ),
        Kind(
            "moves",
            ("employee_no", "unit_code", "role", "effective_date"),
            _apply_move,
            "employee_no",
            aliases=(("effective", "effective_date"),),
        ),
        Kind(
            "targets",
            ("month", "scope", "code", "metric", "value"),
            _apply_target,
            "value",
            aliases=(("reason", "value"),),
        ),
        Kind(
            "deals",
            (
                "deal_no",
                "employee_no",
                "customer_code",
                "customer_name",
                "amount",
                "won_date",
                "channel",
            ),
            _apply_deal,
            "deal_no",
        ),
        Kind(
            "activities",
            ("activity_id", "employee_no", "customer_code", "model", "date", "hours", "cost"),
            _apply_activity,
            "activity_id",
        ),
        Kind(
            "events",
            ("event_id", "model", "unit_code", "date", "title", "hours", "cost"),
            _apply_event,
            "event_id",
            aliases=(("unit", "unit_code"),),
        ),
        Kind("attendees", ("event_id", "customer_code"), _apply_attendee, "event_id"),
        Kind(
            "visits",
            (
                "visit_id",
                "employee_no",
                "customer_code",
                "checkin_at",
                "lat",
                "lon",
                "outcome",
                "channel",
            ),
            _apply_visit,
            "visit_id",
            aliases=(("id", "visit_id"),),
        ),
        Kind(
            "subscriptions",
            ("unit_code", "report", "channel", "address"),
            _apply_subscription,
            "address",
        ),
        Kind(
            "customers",
            (
                "customer_code",
                "name",
                "industry",
                "address",
                "lat",
                "lon",
                "owner_employee_no",
                "phone",
                "priority",
            ),
            _apply_customer,
            "customer_code",
            aliases=(("code", "customer_code"), ("owner", "owner_employee_no")),
        ),
        Kind(
            "calendar",
            ("date", "kind", "name"),
            _apply_calendar,
            "date",
            aliases=(("year", "date"), ("name", "name")),
            headers=(("日期", "date"), ("类型", "kind"), ("名称", "name")),
            prepare=_calendar_prepare,
        ),
    )
}
