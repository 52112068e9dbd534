"""Many won deals at once (the ``deals`` import): the rows checked by the import's first phase
written with bulk statements, inside the caller's one transaction.

New deals and the customers they name are inserted as rows of values (``importing.Inserter``:
``COPY`` on PostgreSQL), their ids read back by deal number and code, each deal with its history
row;
corrections are updated in batches and keep their before/after in the deal's history and the
audit trail; one audit entry records the import with its counts. The deal facts of every touched
(person, day) are rebuilt set-based (``deal_facts.deals_recredit_many``), and the apps above hear
of the import once, on commit (``signals.deals_imported``), never once per deal.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_batch, audit_change, audit_record
from tiejun.errors import TiejunError
from tiejun.money import money
from tiejun.org.models import Person

from ..importing import Inserter, bulk_writing, filter_in, rows_in
from ..models import Customer, CustomerStatus, Deal, DealChange
from ..signals import deals_imported
from .deal_facts import Span, deals_recredit_many, first_deal_spans_many

BATCH = 2000


class DealLine(NamedTuple):
    """One checked row: the deal as it will be stored."""

    row: int
    deal_no: str
    person_id: int
    employee_no: str
    unit_id: int
    customer_code: str
    customer_name: str  # names a customer the deal creates; never renames one
    amount: Decimal
    won_date: dt.date
    channel: str


class StoredDeal(NamedTuple):
    id: int
    person_id: int
    employee_no: str
    customer_id: int
    customer_code: str
    customer_name: str
    amount: Decimal
    won_date: dt.date
    channel: str


@dataclass
class DealsPlan:
    """What the check found: the new deals, the corrections, the customers they name."""

    new: list[DealLine] = field(default_factory=list)
    changed: list[tuple[DealLine, StoredDeal]] = field(default_factory=list)
    unchanged: int = 0
    # Existing customers the rows name: code → (id, name).
    customers: dict[str, tuple[int, str]] = field(default_factory=dict)
    # Customers the deals create: code → (name, the team whose pool they join).
    new_customers: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Every deal number of the file that was stored when it was checked.
    stored_numbers: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class DealsImported:
    created: int
    updated: int
    unchanged: int


def snapshot(line: DealLine | StoredDeal, customer_name: str) -> dict[str, Any]:
    """The deal's fields as its history and the audit trail keep them (``deals._snapshot``)."""
    return {
        "deal_no": line.deal_no if isinstance(line, DealLine) else "",
        "employee_no": line.employee_no,
        "customer_code": line.customer_code,
        "customer_name": customer_name,
        "amount": f"{line.amount:.2f}",
        "won_date": line.won_date.isoformat(),
        "channel": line.channel,
    }


def stored_snapshot(deal_no: str, stored: StoredDeal) -> dict[str, Any]:
    return {**snapshot(stored, stored.customer_name), "deal_no": deal_no}


def changed_since_check(plan: DealsPlan) -> TiejunError | None:
    """The error to stop on when deals of the file were added or removed since the check."""
    now = {no for (no,) in rows_in(Deal.objects.all(), "deal_no", plan.numbers, "deal_no")}
    if now != plan.stored_numbers:
        return TiejunError(
            _("deals of this file were recorded or removed while it was checked; import it again")
        )
    return None


def deals_import(
    *, plan: DealsPlan, by: Person | None, reason: str, today: dt.date
) -> DealsImported:
    """Write ``plan`` inside the caller's transaction (see the module's docstring)."""
    with bulk_writing():
        return _deals_import(plan=plan, by=by, reason=reason, today=today)


def _deals_import(
    *, plan: DealsPlan, by: Person | None, reason: str, today: dt.date
) -> DealsImported:
    problem = changed_since_check(plan)
    if problem is not None:
        raise problem
    customer_ids = {code: pk for code, (pk, _name) in plan.customers.items()}
    customer_ids.update(_customers_create(plan.new_customers))
    names = {code: name for code, (_pk, name) in plan.customers.items()}
    names.update({code: name for code, (name, _unit) in plan.new_customers.items()})
    touched = {customer_ids[line.customer_code] for line in plan.new}
    for line, stored in plan.changed:
        touched |= {customer_ids[line.customer_code], stored.customer_id}
    spans: list[Span] = first_deal_spans_many(touched)  # where the first deals were
    new_ids = _deals_create(plan.new, customer_ids, names, by=by, reason=reason)
    with audit_batch():
        _deals_correct(plan.changed, customer_ids, names, by=by, reason=reason)
        audit_record(
            action="import",
            object_type="deal",
            object_id=f"import {timezone.now():%Y-%m-%d %H:%M:%S}",
            object_repr=_("%(n)d deals imported") % {"n": len(plan.new) + len(plan.changed)},
            after={
                "created": len(plan.new),
                "updated": len(plan.changed),
                "unchanged": plan.unchanged,
                "customers_created": len(plan.new_customers),
                "amount": str(sum((line.amount for line in plan.new), Decimal(0))),
            },
            reason=reason,
            actor=by,
        )
    won = {customer_ids[line.customer_code] for line in plan.new}
    for part in filter_in(Customer.objects.all(), "id", won):
        # A won deal makes a prospect (pool or private) a customer.
        part.exclude(status=CustomerStatus.CUSTOMER).update(status=CustomerStatus.CUSTOMER)
    spans += [(line.person_id, line.won_date, line.won_date) for line in plan.new]
    for line, stored in plan.changed:
        spans += [
            (stored.person_id, stored.won_date, stored.won_date),
            (line.person_id, line.won_date, line.won_date),
        ]
    spans += first_deal_spans_many(touched)  # where they are now
    deals_recredit_many(spans)
    if plan.new:
        transaction.on_commit(partial(_announce, plan.new, new_ids, today))
    return DealsImported(len(plan.new), len(plan.changed), plan.unchanged)


def _customers_create(new: dict[str, tuple[str, int]]) -> dict[str, int]:
    """The customers the deals name for the first time, each in its rep's team's open pool."""
    inserter = Inserter(Customer, ("code", "name", "unit_id"))
    items = list(new.items())
    for start in range(0, len(items), BATCH):
        inserter.insert(
            (code, name, unit_id) for code, (name, unit_id) in items[start : start + BATCH]
        )
    return dict(rows_in(Customer.objects.all(), "code", new, "code", "id"))


def _deals_create(
    lines: list[DealLine],
    customer_ids: dict[str, int],
    names: dict[str, str],
    *,
    by: Person | None,
    reason: str,
) -> list[int]:
    """Insert the new deals, then their history rows; their ids, in the order of ``lines``."""
    by_id = by.pk if by is not None else None
    deals = Inserter(
        Deal,
        (
            "deal_no",
            "person_id",
            "unit_id",
            "customer_id",
            "amount",
            "won_date",
            "channel",
            "created_by_id",
        ),
    )
    for start in range(0, len(lines), BATCH):
        deals.insert(
            (
                line.deal_no,
                line.person_id,
                line.unit_id,
                customer_ids[line.customer_code],
                line.amount,
                line.won_date,
                line.channel,
                by_id,
            )
            for line in lines[start : start + BATCH]
        )
    ids: dict[str, int] = dict(
        rows_in(Deal.objects.all(), "deal_no", [line.deal_no for line in lines], "deal_no", "id")
    )
    history = Inserter(
        DealChange, ("deal_id", "deal_no", "before", "after", "reason", "changed_by_id")
    )
    dumps = json.dumps
    for start in range(0, len(lines), BATCH):
        history.insert(
            (
                ids[line.deal_no],
                line.deal_no,
                None,
                dumps(snapshot(line, names[line.customer_code])),
                reason,
                by_id,
            )
            for line in lines[start : start + BATCH]
        )
    return [ids[line.deal_no] for line in lines]


def _deals_correct(
    changed: list[tuple[DealLine, StoredDeal]],
    customer_ids: dict[str, int],
    names: dict[str, str],
    *,
    by: Person | None,
    reason: str,
) -> None:
    """Update the corrected deals; each keeps its before and after in its history and the
    audit trail, as a correction on the deal page does."""
    by_id = by.pk if by is not None else None
    now = timezone.now()
    for start in range(0, len(changed), BATCH):
        batch = changed[start : start + BATCH]
        deals, history = [], []
        for line, stored in batch:
            deals.append(
                Deal(
                    pk=stored.id,
                    person_id=line.person_id,
                    unit_id=line.unit_id,
                    customer_id=customer_ids[line.customer_code],
                    amount=line.amount,
                    won_date=line.won_date,
                    channel=line.channel,
                    updated_at=now,
                )
            )
            before = stored_snapshot(line.deal_no, stored)
            after = snapshot(line, names[line.customer_code])
            history.append(
                DealChange(
                    deal_id=stored.id,
                    deal_no=line.deal_no,
                    before=before,
                    after=after,
                    reason=reason,
                    changed_by_id=by_id,
                )
            )
            audit_change(
                action="update",
                object_type="deal",
                object_id=line.deal_no,
                object_repr=f"{line.deal_no} {after['customer_name']} {money(line.amount)}",
                before=before,
                after=after,
                reason=reason,
                actor=by,
            )
        Deal.objects.bulk_update(
            deals,
            ["person", "unit", "customer", "amount", "won_date", "channel", "updated_at"],
        )
        DealChange.objects.bulk_create(history)


def _announce(lines: list[DealLine], ids: list[int], today: dt.date) -> None:
    """Tell the apps above, once: the new deals' count and amount per team, and the deals won
    on the day of the import (only those may complete a milestone worth a flash)."""
    per_unit: dict[int, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for line in lines:
        per_unit[line.unit_id][0] += 1
        per_unit[line.unit_id][1] += line.amount
    deals_imported.send(
        sender=Deal,
        key=uuid.uuid4().hex,
        day=today,
        units={unit: (n, str(total)) for unit, (n, total) in per_unit.items()},
        won_today=_won_on(lines, ids, today),
    )


def _won_on(lines: Iterable[DealLine], ids: list[int], day: dt.date) -> list[int]:
    return [pk for line, pk in zip(lines, ids, strict=True) if line.won_date == day]
