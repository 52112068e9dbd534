"""Writes to the org tree: units, people, transfers and promotions."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Mapping

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_change, audit_record
from tiejun.errors import TiejunError
from tiejun.ops.statements import fetch_instance, prepared_cursor
from tiejun.text import check_name

from .checks import (
    MoveWarning,
    leaver_proposal_for,
    proposal_for,
    resolve_choices,
    settle,
)
from .models import (
    KIND_DEPTH,
    ApiToken,
    Membership,
    Person,
    PersonSession,
    Role,
    Unit,
    UnitClosure,
    UnitKind,
)
from .signals import membership_changed

PARENT_KIND = {
    UnitKind.REGION: UnitKind.COMPANY,
    UnitKind.BRANCH: UnitKind.REGION,
    UnitKind.TEAM: UnitKind.BRANCH,
}


def _check_parent(kind: str, parent: Unit | None) -> None:
    if kind not in KIND_DEPTH:
        raise TiejunError(_("unknown unit kind %(kind)s") % {"kind": kind}, field="kind")
    if kind == UnitKind.COMPANY:
        if parent is not None:
            raise TiejunError(_("a company has no parent unit"), field="parent_code")
        if Unit.objects.filter(parent__isnull=True).exists():
            raise TiejunError(_("there is already a company"), field="parent_code")
        return
    if parent is None:
        raise TiejunError(_("a %(kind)s needs a parent unit") % {"kind": kind}, field="parent_code")
    if parent.kind != PARENT_KIND[UnitKind(kind)]:
        raise TiejunError(
            _("a %(kind)s must sit under a %(parent)s, not a %(actual)s")
            % {"kind": kind, "parent": PARENT_KIND[UnitKind(kind)], "actual": parent.kind},
            field="parent_code",
        )


@transaction.atomic
def unit_create(*, code: str, name: str, kind: str, parent: Unit | None, sort: int = 0) -> Unit:
    name = check_name(name)
    _check_parent(kind, parent)
    if Unit.objects.filter(code=code).exists():
        raise TiejunError(_("unit code %(code)s is taken") % {"code": code}, field="code")
    unit = Unit.objects.create(code=code, name=name, kind=kind, parent=parent, sort=sort)
    links = [UnitClosure(ancestor=unit, descendant=unit, depth=0)]
    if parent is not None:
        links += [
            UnitClosure(ancestor_id=a, descendant=unit, depth=d + 1)
            for a, d in UnitClosure.objects.filter(descendant=parent).values_list(
                "ancestor_id", "depth"
            )
        ]
    UnitClosure.objects.bulk_create(links)
    audit_record(
        action="create",
        object_type="unit",
        object_id=code,
        object_repr=name,
        after={"name": name, "kind": kind, "parent": parent.code if parent else None},
    )
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, name: str) -> Unit:
    """Rename a unit. Moving a unit elsewhere in the tree is a reorganisation, not an edit."""
    name = check_name(name)
    audit_change(
        action="update",
        object_type="unit",
        object_id=unit.code,
        object_repr=name,
        before={"name": unit.name},
        after={"name": name},
    )
    unit.name = name
    unit.save(update_fields=["name"])
    return unit


def closure_rebuild() -> None:
    """Recompute the closure table from the parent links (after a bulk load)."""
    parents = dict(Unit.objects.values_list("id", "parent_id"))
    links: list[UnitClosure] = []
    for unit_id in parents:
        node: int | None = unit_id
        depth = 0
        while node is not None:
            links.append(UnitClosure(ancestor_id=node, descendant_id=unit_id, depth=depth))
            node = parents[node]
            depth += 1
    with transaction.atomic():
        UnitClosure.objects.all().delete()
        UnitClosure.objects.bulk_create(links, batch_size=2000)


def _check_role_for_unit(role: str, unit: Unit) -> None:
    if role not in Role.values:
        raise TiejunError(_("unknown role %(role)s") % {"role": role}, field="role")
    if role == Role.REP and unit.kind != UnitKind.TEAM:
        raise TiejunError(_("a sales rep belongs to a team"), field="unit_code")
    if role == Role.SUPERVISOR and unit.kind != UnitKind.TEAM:
        raise TiejunError(_("a supervisor leads a team"), field="unit_code")


@transaction.atomic
def person_create(
    *,
    employee_no: str,
    name: str,
    unit: Unit,
    role: str,
    start_date: dt.date,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    by: Person | None = None,
) -> Person:
    name = check_name(name)
    _check_role_for_unit(role, unit)
    if Person.objects.filter(employee_no=employee_no).exists():
        raise TiejunError(
            _("employee number %(no)s is taken") % {"no": employee_no}, field="employee_no"
        )
    person = Person(
        employee_no=employee_no, name=name, email=email, phone=phone, start_date=start_date
    )
    person.set_password(password) if password else person.set_unusable_password()
    person.save()
    Membership.objects.create(
        person=person, unit=unit, role=role, valid_from=start_date, created_by=by
    )
    audit_record(
        action="create",
        object_type="person",
        object_id=employee_no,
        object_repr=name,
        after={"name": name, "email": email, "phone": phone, "start_date": start_date},
        actor=by,
    )
    audit_record(
        action="create",
        object_type="membership",
        object_id=employee_no,
        object_repr=name,
        after={"unit": unit.code, "role": role, "valid_from": start_date},
        actor=by,
    )
    return person


@transaction.atomic
def membership_move(
    *,
    person: Person,
    effective: dt.date,
    unit: Unit | None = None,
    role: str | None = None,
    by: Person | None = None,
) -> Membership:
    """Transfer and/or promote ``person`` from ``effective``: close the open membership, open the next.

    History is never rewritten: a move may only take effect after the current membership began,
    and the facts credited from ``effective`` onwards follow the person to the new unit.
    """
    current = (
        Membership.objects.select_for_update()
        .filter(person=person, valid_to__isnull=True)
        .select_related("unit")
        .first()
    )
    if current is None:
        raise TiejunError(_("%(name)s has no current membership") % {"name": person.name})
    new_unit = unit or current.unit
    new_role = role or current.role
    if new_unit == current.unit and new_role == current.role:
        raise TiejunError(_("the move changes neither the unit nor the role"), field="unit_code")
    _check_role_for_unit(new_role, new_unit)
    if effective <= current.valid_from:
        raise TiejunError(
            _("a move must take effect after %(day)s, when the current membership began")
            % {"day": current.valid_from.isoformat()},
            field="effective_date",
        )
    current.valid_to = effective - dt.timedelta(days=1)
    current.save(update_fields=["valid_to"])
    membership = Membership.objects.create(
        person=person, unit=new_unit, role=new_role, valid_from=effective, created_by=by
    )
    audit_record(
        action="transfer" if new_unit != current.unit else "promote",
        object_type="membership",
        object_id=person.employee_no,
        object_repr=person.name,
        before={"unit": current.unit.code, "role": current.role, "valid_to": None},
        after={"unit": new_unit.code, "role": new_role, "valid_from": effective},
        actor=by,
    )
    membership_changed.send(sender=Membership, person_id=person.pk, effective=effective)
    return membership


@transaction.atomic
def membership_move_checked(
    *,
    person: Person,
    effective: dt.date,
    unit: Unit | None = None,
    role: str | None = None,
    by: Person | None = None,
    confirm: bool = False,
    choices: Mapping[str, str] | None = None,
) -> tuple[Membership, list[MoveWarning]]:
    """``membership_move`` after the move checks (``checks.move_warnings``): a move with
    warnings is refused with ``MoveNeedsConfirmation`` (nothing written) unless ``confirm``;
    a confirmed one is audited with its warnings, and the options chosen (``choices``, such as
    ``{"target": "resplit"}``) are carried out in the same transaction."""
    proposal = proposal_for(person, effective=effective, unit=unit, role=role)
    warnings: list[MoveWarning] = []
    chosen: dict[str, str] = {}
    if proposal is not None:  # (``settle`` may move the date later: the advisor's postpone)
        proposal, warnings, chosen = settle(proposal, choices or {}, confirm=confirm)
        effective = proposal.effective
    membership = membership_move(person=person, effective=effective, unit=unit, role=role, by=by)
    if proposal is not None and (warnings or chosen):
        resolve_choices(proposal, chosen, by)
    if warnings:
        audit_record(
            action="confirm_move",
            object_type="membership",
            object_id=person.employee_no,
            object_repr=person.name,
            after={
                "unit": membership.unit.code,
                "role": membership.role,
                "valid_from": effective,
                "warnings": [w.code for w in warnings],
                "choices": chosen,
            },
            reason="; ".join(w.message for w in warnings),
            actor=by,
        )
    return membership, warnings


@transaction.atomic
def person_update(*, person: Person, name: str, email: str, phone: str) -> Person:
    name = check_name(name)
    audit_change(
        action="update",
        object_type="person",
        object_id=person.employee_no,
        object_repr=name,
        before={"name": person.name, "email": person.email, "phone": person.phone},
        after={"name": name, "email": email, "phone": phone},
    )
    person.name, person.email, person.phone = name, email, phone
    person.save(update_fields=["name", "email", "phone"])
    return person


LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def people_lock(*person_ids: int) -> None:
    """Hold the rows of these people until the transaction ends, in id order (never a deadlock).

    Writes that recount one person's facts (check-ins, deals) take this lock first, so that two
    of them never replace the same facts at once. On SQLite the write transaction is the lock.
    """
    ids = sorted(set(person_ids))
    if not ids or not connection.features.has_select_for_update:
        return
    table = connection.ops.quote_name(Person._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE id IN ({marks}) ORDER BY id FOR UPDATE",  # noqa: S608
            ids,
        )


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, person: Person) -> str:
    """A new API token for ``person``; the plain key is returned once and never stored."""
    key = "tj_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(person=person, key_hash=_hash_token(key), prefix=key[:8])
    audit_record(
        action="create",
        object_type="api_token",
        object_id=person.employee_no,
        object_repr=person.name,
        after={"prefix": key[:8]},
    )
    return key


# Every API request asks this: one statement written once per process (and prepared on
# PostgreSQL), not a queryset compiled each time.
_TOKEN_SQL = (
    "SELECT {columns}, t.id, "
    "(t.last_used_at IS NULL OR t.last_used_at < %s) "
    "FROM {person} p JOIN {token} t ON t.person_id = p.id "
    "WHERE t.key_hash = %s AND t.revoked_at IS NULL"
)
_PERSON_FIELDS = tuple(f.attname for f in Person._meta.concrete_fields)


@functools.cache
def _token_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    return _TOKEN_SQL.format(
        columns=", ".join(f"p.{q(str(f.column))}" for f in Person._meta.concrete_fields),
        person=q(Person._meta.db_table),
        token=q(ApiToken._meta.db_table),
    )


def token_authenticate(key: str) -> Person | None:
    now = timezone.now()
    since = connection.ops.adapt_datetimefield_value(now - LAST_USED_RESOLUTION)
    with prepared_cursor() as cursor:
        cursor.execute(_token_sql(connection.vendor), [since, _hash_token(key)])
        found = fetch_instance(Person, cursor, _PERSON_FIELDS)
    if found is None:
        return None
    person, (token_id, used_long_ago) = found
    if not person.is_active:
        return None
    # "Last used" to the minute is enough; a write on every API request is not.
    if used_long_ago:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return person


@transaction.atomic
def token_revoke_all(*, person: Person) -> int:
    """Revoke every live API token of ``person``; returns how many were revoked."""
    live = ApiToken.objects.filter(person=person, revoked_at__isnull=True)
    prefixes = list(live.values_list("prefix", flat=True))
    if prefixes:
        live.update(revoked_at=timezone.now())
        audit_record(
            action="revoke",
            object_type="api_token",
            object_id=person.employee_no,
            object_repr=person.name,
            before={"prefixes": prefixes},
        )
    return len(prefixes)


@transaction.atomic
def person_deactivate(*, person: Person) -> Person:
    """Shut ``person`` out at once: no sign-in, every session ended, every API token revoked.

    Their history (memberships, deals, visits) stays; ending a membership is a separate move."""
    _audit_active(person, False, "deactivate")
    Person.objects.filter(pk=person.pk).update(is_active=False)
    person.is_active = False
    token_revoke_all(person=person)
    PersonSession.objects.filter(person=person).delete()
    return person


@transaction.atomic
def person_deactivate_checked(
    *,
    person: Person,
    by: Person | None = None,
    confirm: bool = False,
    choices: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> tuple[Person, list[MoveWarning]]:
    """``person_deactivate`` after the move checks registered for leavers (a milestone the
    leaver forfeits): refused with ``MoveNeedsConfirmation`` (nothing written) like a move.
    When the option chosen names a later day (postpone), nothing is deactivated: the person
    stays until then and the choice is recorded by its check."""
    today = today or timezone.localdate()
    proposal = leaver_proposal_for(person, effective=today)
    if proposal is None:
        return person_deactivate(person=person), []
    proposal, warnings, chosen = settle(proposal, choices or {}, confirm=confirm)
    if proposal.effective > today:
        resolve_choices(proposal, chosen, by)
        return person, warnings
    person_deactivate(person=person)
    if warnings or chosen:
        resolve_choices(proposal, chosen, by)
    if warnings:
        audit_record(
            action="confirm_leave",
            object_type="person",
            object_id=person.employee_no,
            object_repr=person.name,
            after={"warnings": [w.code for w in warnings], "choices": chosen},
            reason="; ".join(w.message for w in warnings),
            actor=by,
        )
    return person, warnings


@transaction.atomic
def person_reactivate(*, person: Person) -> Person:
    """Let ``person`` sign in again; revoked tokens stay revoked (create new ones)."""
    _audit_active(person, True, "reactivate")
    Person.objects.filter(pk=person.pk).update(is_active=True)
    person.is_active = True
    return person


def _audit_active(person: Person, active: bool, action: str) -> None:
    audit_change(
        action=action,
        object_type="person",
        object_id=person.employee_no,
        object_repr=person.name,
        before={"is_active": person.is_active},
        after={"is_active": active},
    )


def on_person_saved(
    sender: type[Person], instance: Person, update_fields: frozenset[str] | None, **_kwargs: object
) -> None:
    """A person saved as inactive by any other path (the admin, a shell) is shut out too."""
    if instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    token_revoke_all(person=instance)
    PersonSession.objects.filter(person=instance).delete()
