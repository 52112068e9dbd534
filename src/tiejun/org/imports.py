"""The org's import kinds — ``units``, ``people``, ``moves`` (transfers and promotions) and
``calendar`` — and the cells every kind uses to name a unit or a person (:class:`OrgCells`).
"""

from __future__ import annotations

import contextlib
import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.access import is_admin
from tiejun.errors import TiejunError
from tiejun.imports.cells import (
    CREATED,
    UPDATED,
    Cells,
    Context,
    Outcome,
    RowInvalid,
    check_name,
    choose,
    parse_date,
)
from tiejun.imports.engine import Extension, Kind, Option, Record
from tiejun.imports.registry import extend, register, set_scope_resolver
from tiejun.imports.spellings import (
    CALENDAR_HEADERS,
    MOVES_HEADERS,
    PEOPLE_HEADERS,
    ROLE_LABELS,
    UNIT_KIND_LABELS,
    UNITS_HEADERS,
)

from .checks import MoveNeedsConfirmation, choice_keys, reason_keys
from .holidays import (
    MAX_YEAR,
    MIN_YEAR,
    check_statutory_day,
    parse_kind,
    statutory_day_set,
    statutory_year_clear,
)
from .models import KIND_DEPTH, Person, Role, StatutoryDay, Unit, UnitKind
from .selectors import led_unit_ids, membership_on
from .services import (
    membership_move_checked,
    person_create,
    person_update,
    unit_create,
    unit_update,
)


class OrgCells(Cells):
    """Cells that also name units and people; with a scope, those outside it read as unknown."""

    def person_in_scope(self, person: Person) -> bool:
        if self.scope is None:
            return True
        membership = (
            person.memberships.filter(valid_to__isnull=True).first()
            or person.memberships.order_by("-valid_from").first()
        )
        return membership is not None and membership.unit_id in self.scope

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


def import_scope(by: Person | None, today: dt.date | None) -> frozenset[int] | None:
    """What a file may touch: everything for admin and the CLI, else the subtree ``by`` leads."""
    if by is None or is_admin(by):
        return None
    return frozenset(led_unit_ids(by, today, coordinators=False))


def admin_or_manager(person: Person) -> bool:
    """Who may import on the page: admin, and managers (their files scoped to their subtree)."""
    if is_admin(person):
        return True
    membership = membership_on(person, timezone.localdate())
    return membership is not None and membership.role == Role.MANAGER


def apply_unit(c: OrgCells, ctx: Context) -> Outcome:
    code = c.text("code", max_length=32)
    name = c.text("name", max_length=100)
    check_name(c, "name", name)
    kind = c.choice("kind", dict(UnitKind.choices), labels=UNIT_KIND_LABELS, what=_("unit kind"))
    parent = c.unit("parent_code", required=False)
    parent_code = c.record.get("parent_code", "").strip()
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


def units_order(records: list[Record]) -> list[Record]:
    """Parents before children, whatever order the file lists them in."""

    def depth(item: Record) -> int:
        kind = choose(item[1].get("kind", ""), dict(UnitKind.choices), UNIT_KIND_LABELS)
        return KIND_DEPTH.get(kind, len(KIND_DEPTH))  # type: ignore[call-overload, arg-type]

    return sorted(records, key=depth)


def apply_person(c: OrgCells, ctx: Context) -> Outcome:
    employee_no = c.text("employee_no", max_length=32)
    name = c.text("name", max_length=100)
    check_name(c, "name", name)
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
    role = c.choice("role", dict(Role.choices), labels=ROLE_LABELS)
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


def _check_grant(c: OrgCells, role: str) -> None:
    """Only admin gives the admin role (a manager's file is scoped, an admin's is not)."""
    if c.scope is not None and role == Role.ADMIN:
        c.fail("role", _("only an administrator may give this role"))


def apply_move(c: OrgCells, ctx: Context) -> Outcome:
    person = c.person("employee_no")
    unit = c.unit("unit_code", required=False)
    role = c.choice("role", dict(Role.choices), required=False, labels=ROLE_LABELS)
    effective = c.date("effective_date")
    if not c.record.get("unit_code", "").strip() and not c.record.get("role", "").strip():
        c.fail("unit_code", _("give a new unit_code, a new role, or both"))
    _check_grant(c, role)
    if c.scope is not None and person is not None and ctx.by is not None and person == ctx.by:
        c.fail("employee_no", _("you may not move yourself"))
    target = c.text("target", required=False).lower()
    # The choices the other move checks take (``milestone`` and its reason: the promotion
    # advisor's columns, added to this kind by the app that registers the check).
    choices = {"target": target}
    reasons = reason_keys()
    for key in choice_keys():
        if key != "target":
            value = c.text(key, required=False, max_length=500)
            choices[key] = value if key in reasons else value.lower()
    c.check()
    assert person is not None and effective is not None
    try:
        membership_move_checked(
            person=person,
            effective=effective,
            unit=unit,
            role=role or None,
            by=ctx.by,
            confirm=ctx.options.get("confirm") == "yes",
            choices=choices,
        )
    except MoveNeedsConfirmation as refused:  # "row N: warning: …", unless --confirm
        raise RowInvalid([("warning", w.message) for w in refused.warnings]) from None
    return CREATED


def _calendar_years(records: list[Record]) -> set[int]:
    years = set()
    for _number, record in records:
        with contextlib.suppress(ValueError):  # the row reports it
            years.add(parse_date(record.get("date", "")).year)
    return years


def prepare_calendar(records: list[Record], ctx: Context) -> None:
    """A file replaces the statutory days of every year it covers (exceptions stay)."""

    if ctx.scope is not None:  # only an administrator loads the calendar; every row says so
        return
    for year in sorted(_calendar_years(records)):
        if MIN_YEAR <= year <= MAX_YEAR:
            statutory_year_clear(year=year, by=ctx.by)


def apply_calendar(c: Cells, ctx: Context) -> Outcome:

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


CONFIRM_OPTION = Extension(
    "confirm",
    options={
        "confirm": Option(
            gettext_lazy("Save moves with warnings"),
            {"yes": gettext_lazy("yes, save them despite the warnings")},
        )
    },
)


def register_kinds() -> None:
    extend("moves", CONFIRM_OPTION)
    set_scope_resolver(import_scope)
    register(
        Kind(
            "units",
            ("code", "name", "kind", "parent_code"),
            "code",
            label=gettext_lazy("Units"),
            position=10,
            headers=UNITS_HEADERS,
            may_import=admin_or_manager,
            cells=OrgCells,
            apply=apply_unit,
            order=units_order,
        ),
        Kind(
            "people",
            ("employee_no", "name", "unit_code", "role", "start_date", "email", "phone"),
            "employee_no",
            label=gettext_lazy("People"),
            position=20,
            headers=PEOPLE_HEADERS,
            may_import=admin_or_manager,
            cells=OrgCells,
            apply=apply_person,
        ),
        Kind(
            "moves",
            ("employee_no", "unit_code", "role", "effective_date"),
            "employee_no",
            label=gettext_lazy("Transfers and promotions"),
            position=30,
            aliases={"effective": "effective_date"},
            headers={**MOVES_HEADERS, "目标处理": "target"},
            may_import=admin_or_manager,
            cells=OrgCells,
            apply=apply_move,
            # What becomes of the person's next-month targets: leave, move or resplit.
            optional=("target",),
        ),
        Kind(
            "calendar",
            ("date", "kind", "name"),
            "date",
            label=gettext_lazy("Calendar: a year's statutory holidays and make-up days"),
            position=110,
            aliases={"year": "date", "name": "name"},
            headers=CALENDAR_HEADERS,
            apply=apply_calendar,
            prepare=prepare_calendar,
        ),
    )
