"""The import kinds ``units``, ``people`` and ``moves`` (transfers and promotions)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.org.models import KIND_DEPTH, Person, Role, Unit, UnitKind
from tiejun.org.services import (
    membership_move,
    person_create,
    person_update,
    unit_create,
    unit_update,
)

from .cells import CREATED, UPDATED, Cells, Context, Outcome, check_name


def apply_unit(c: Cells, ctx: Context) -> Outcome:
    code = c.text("code", max_length=32)
    name = c.text("name", max_length=100)
    check_name(c, "name", name)
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


def units_order(records: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
    """Parents before children, whatever order the file lists them in."""

    def depth(item: tuple[int, dict[str, str]]) -> int:
        kind = item[1].get("kind", "").strip().lower()
        return KIND_DEPTH.get(kind, len(KIND_DEPTH))  # type: ignore[call-overload]

    return sorted(records, key=depth)


def apply_person(c: Cells, ctx: Context) -> Outcome:
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


def _check_grant(c: Cells, role: str) -> None:
    """Only admin gives the admin role (a manager's file is scoped, an admin's is not)."""
    if c.scope is not None and role == Role.ADMIN:
        c.fail("role", _("only an administrator may give this role"))


def apply_move(c: Cells, ctx: Context) -> Outcome:
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
