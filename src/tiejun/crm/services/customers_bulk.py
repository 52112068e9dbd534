"""Many customers at once (the ``customers`` import): the rows checked by the import's first
phase written with bulk statements, inside the caller's one transaction.

The rules are ``customer_create``/``customer_update``/``customer_assign``'s: a new customer
without an owner joins the open pool of the importer's team; an owner set by the file is an
administrative assignment (no private-customer limit) that writes an ownership history row and
restarts the follow-up clock, and the customer follows the owner to their team. Changes to
existing customers are audited one by one (what a correction needs); one entry records the
import with its counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_batch, audit_record
from tiejun.errors import TiejunError
from tiejun.org.models import Person

from ..importing import Inserter, db_moment, rows_in
from ..models import Customer, OwnershipChange

BATCH = 2000

# The details a file sets (the owner aside); priority last (a file may leave it to the default).
CUSTOMER_FIELDS = ("name", "industry", "address", "lat", "lon", "phone", "priority")


@dataclass(frozen=True, slots=True)
class StoredCustomer:
    id: int
    code: str
    name: str
    industry: str
    address: str
    lat: Decimal | None
    lon: Decimal | None
    phone: str
    priority: str
    owner_id: int | None
    unit_id: int | None


@dataclass(frozen=True, slots=True)
class CustomerLine:
    """One checked row: the details to set and the owner (None: the open pool)."""

    row: int
    code: str
    fields: dict[str, Any]
    owner_id: int | None
    owner_unit: int | None  # the owner's team on the day of the import


@dataclass
class CustomersPlan:
    codes: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)  # the codes stored when the file was checked
    new: list[CustomerLine] = field(default_factory=list)
    changed: list[tuple[CustomerLine, StoredCustomer]] = field(default_factory=list)
    unchanged: int = 0
    creator_unit: int | None = None  # the importer's team: a new pool customer's

    def add(self, line: CustomerLine, stored: StoredCustomer | None) -> None:
        if stored is None:
            self.new.append(line)
        elif _differs(line, stored):
            self.changed.append((line, stored))
        else:
            self.unchanged += 1


def _differs(line: CustomerLine, stored: StoredCustomer) -> bool:
    if line.owner_id != stored.owner_id:
        return True
    return any(getattr(stored, name) != value for name, value in line.fields.items())


def customers_import(
    *, plan: CustomersPlan, by: Person | None, note: str, today: dt.date
) -> tuple[int, int, int]:
    """Write ``plan`` inside the caller's transaction; (created, updated, unchanged)."""
    now = {c for (c,) in rows_in(Customer.objects.all(), "code", plan.codes, "code")}
    if now != plan.stored:
        raise TiejunError(
            _("customers of this file were added while it was checked; import it again")
        )
    owners = {line.owner_id for line in plan.new} | {
        i for line, stored in plan.changed for i in (line.owner_id, stored.owner_id)
    }
    numbers = dict(rows_in(Person.objects.all(), "id", owners - {None}, "id", "employee_no"))
    moment = timezone.now()
    with audit_batch():
        _create(plan, by=by, today=today, now=moment)
        _update(plan, by=by, note=note, today=today, now=moment, numbers=numbers)
        audit_record(
            action="import",
            object_type="customer",
            object_id=f"import {moment:%Y-%m-%d %H:%M:%S}",
            object_repr=_("%(n)d customers imported") % {"n": len(plan.new) + len(plan.changed)},
            after={
                "created": len(plan.new),
                "updated": len(plan.changed),
                "unchanged": plan.unchanged,
            },
            reason=note,
            actor=by,
        )
    return len(plan.new), len(plan.changed), plan.unchanged


def _create(plan: CustomersPlan, *, by: Person | None, today: dt.date, now: dt.datetime) -> None:
    """Insert the new customers as rows of values, then the history rows of those with an owner
    (their ids read back by code)."""
    by_id = by.pk if by is not None else None
    since = db_moment(now)
    default_priority = str(Customer._meta.get_field("priority").get_default())
    customers = Inserter(
        Customer,
        ("code", "owner_id", "owned_since", "last_activity_on", "unit_id", *CUSTOMER_FIELDS),
    )
    for start in range(0, len(plan.new), BATCH):
        customers.insert(
            (
                line.code,
                line.owner_id,
                since if line.owner_id is not None else None,
                today if line.owner_id is not None else None,
                line.owner_unit if line.owner_id is not None else plan.creator_unit,
                *(line.fields[name] for name in CUSTOMER_FIELDS[:-1]),
                line.fields.get("priority", default_priority),
            )
            for line in plan.new[start : start + BATCH]
        )
    owned = [line for line in plan.new if line.owner_id is not None]
    ids = dict(rows_in(Customer.objects.all(), "code", [line.code for line in owned], "code", "id"))
    history = Inserter(
        OwnershipChange,
        ("customer_id", "from_person_id", "to_person_id", "reason", "note", "changed_by_id"),
    )
    note = _("new customer")
    reason = OwnershipChange.Reason.IMPORT.value
    for start in range(0, len(owned), BATCH):
        history.insert(
            (ids[line.code], None, line.owner_id, reason, note, by_id)
            for line in owned[start : start + BATCH]
        )


def _update(
    plan: CustomersPlan,
    *,
    by: Person | None,
    note: str,
    today: dt.date,
    now: dt.datetime,
    numbers: dict[int, str],
) -> None:
    by_id = by.pk if by is not None else None
    for start in range(0, len(plan.changed), BATCH):
        batch = plan.changed[start : start + BATCH]
        customers, history = [], []
        for line, stored in batch:
            customer = Customer(pk=stored.id, code=stored.code, owner_id=stored.owner_id)
            customer.unit_id, customer.owned_since = stored.unit_id, None
            for name in CUSTOMER_FIELDS:
                setattr(customer, name, line.fields.get(name, getattr(stored, name)))
            _audit_fields(line, stored, by)
            if line.owner_id != stored.owner_id:
                history.append(
                    OwnershipChange(
                        customer_id=stored.id,
                        from_person_id=stored.owner_id,
                        to_person_id=line.owner_id,
                        reason=OwnershipChange.Reason.IMPORT,
                        note=note[:300],
                        changed_by_id=by_id,
                    )
                )
                audit_record(
                    action="assign",
                    object_type="customer",
                    object_id=stored.code,
                    object_repr=line.fields["name"],
                    before={"owner": numbers.get(stored.owner_id)},  # type: ignore[arg-type]
                    after={"owner": numbers.get(line.owner_id)},  # type: ignore[arg-type]
                    reason=note,
                    actor=by,
                )
            customers.append((customer, line, stored))
        _save(customers, today=today, now=now)
        OwnershipChange.objects.bulk_create(history)


def _audit_fields(line: CustomerLine, stored: StoredCustomer, by: Person | None) -> None:
    changed = [k for k, v in line.fields.items() if getattr(stored, k) != v]
    if changed:
        audit_record(
            action="update",
            object_type="customer",
            object_id=stored.code,
            object_repr=line.fields["name"],
            before={k: getattr(stored, k) for k in changed},
            after={k: line.fields[k] for k in changed},
            actor=by,
        )


def _save(
    rows: list[tuple[Customer, CustomerLine, StoredCustomer]], *, today: dt.date, now: dt.datetime
) -> None:
    """Two bulk updates: the details of every changed customer, the owner of those moved."""
    Customer.objects.bulk_update([c for c, _l, _s in rows], list(CUSTOMER_FIELDS))
    moved = []
    for customer, line, stored in rows:
        if line.owner_id == stored.owner_id:
            continue
        customer.owner_id = line.owner_id
        customer.owned_since = now if line.owner_id is not None else None
        if line.owner_id is not None:
            customer.last_activity_on = today
            # The customer follows the new owner to their team; back in the pool, it stays.
            customer.unit_id = line.owner_unit or stored.unit_id
        moved.append(customer)
    to_owner = [c for c in moved if c.owner_id is not None]
    to_pool = [c for c in moved if c.owner_id is None]
    if to_owner:
        Customer.objects.bulk_update(to_owner, ["owner", "owned_since", "last_activity_on", "unit"])
    if to_pool:
        Customer.objects.bulk_update(to_pool, ["owner", "owned_since"])
