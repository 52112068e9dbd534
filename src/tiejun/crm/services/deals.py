"""Writes to deals: record, correct and delete won deals; each credits its facts to the
scoreboard in the same transaction (``services.deal_facts``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_batch, audit_change, audit_record
from tiejun.errors import NotFound, TiejunError
from tiejun.money import money
from tiejun.org.models import Membership, Person
from tiejun.text import check_name

from ..models import Customer, CustomerStatus, Deal, DealChange, SalesChannel
from ..selectors.customers import customer_visible
from ..signals import deal_won
from .customers import validate_customer_code
from .deal_facts import Span, first_deal_spans, recredit_with_customers


class DealNumberTaken(TiejunError):
    """A new deal's number holds a deal already (found inside the transaction, or the unique
    constraint refused the insert): nothing was written. ``deal_record(new=True)`` raises it; the
    caller decides what the caller may be told (a retry, a conflict, or "not found")."""

    status = 409

    def __init__(self, deal_no: str) -> None:
        super().__init__(
            _("deal number %(no)s is taken; correct that deal with PUT instead") % {"no": deal_no},
            field="deal_no",
        )
        self.deal_no = deal_no


def deal_number_unusable(deal_no: str) -> NotFound:
    """The answer for a deal number held by a deal out of the caller's sight: the same "not
    found" as any foreign id, saying nothing of whether, whose or where."""
    return NotFound(
        _("deal number %(no)s cannot be used; choose another") % {"no": deal_no}, field="deal_no"
    )


@dataclass(frozen=True)
class DealInput:
    deal_no: str
    person: Person
    customer_code: str
    customer_name: str
    amount: Decimal
    won_date: dt.date
    channel: str = SalesChannel.VISIT
    client_id: str | None = None


def _clean(item: DealInput, today: dt.date) -> DealInput:
    if not item.deal_no.strip():
        raise TiejunError(_("a deal needs a deal number"), field="deal_no")
    try:
        amount = Decimal(item.amount)
    except (InvalidOperation, TypeError, ValueError):
        raise TiejunError(_("the amount is not a number"), field="amount") from None
    if not amount.is_finite() or amount <= 0:
        raise TiejunError(_("the amount must be greater than zero"), field="amount")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise TiejunError(_("the amount has more than two decimals"), field="amount")
    if amount >= Decimal("1e14"):
        raise TiejunError(_("the amount is too large"), field="amount")
    if item.won_date > today:
        raise TiejunError(_("a deal cannot be won in the future"), field="won_date")
    channel = item.channel or SalesChannel.VISIT
    if channel not in SalesChannel.values:
        raise TiejunError(
            _("unknown channel %(channel)s; use one of %(choices)s")
            % {"channel": channel, "choices": ", ".join(SalesChannel.values)},
            field="channel",
        )
    if not item.customer_code.strip():
        raise TiejunError(_("a deal needs a customer code"), field="customer_code")
    customer_code = validate_customer_code(item.customer_code, field="customer_code")
    customer_name = check_name(item.customer_name, field="customer_name")
    if len(customer_name) > 200:
        raise TiejunError(_("longer than %(n)d characters") % {"n": 200}, field="customer_name")
    return DealInput(
        deal_no=item.deal_no.strip(),
        person=item.person,
        customer_code=customer_code,
        customer_name=customer_name,
        amount=amount,
        won_date=item.won_date,
        channel=channel,
        client_id=item.client_id,
    )


def _unit_on(person: Person, day: dt.date) -> int:
    membership = Membership.objects.on(day).filter(person=person).values_list("unit_id", flat=True)
    unit_id = membership.first()
    if unit_id is None:
        raise TiejunError(
            _("%(name)s did not belong to any unit on %(day)s")
            % {"name": person.name, "day": day.isoformat()},
            field="won_date",
        )
    return unit_id


def _snapshot(deal: Deal) -> dict[str, Any]:
    return {
        "deal_no": deal.deal_no,
        "employee_no": deal.person.employee_no,
        "customer_code": deal.customer.code,
        "customer_name": deal.customer.name,
        "amount": f"{deal.amount:.2f}",
        "won_date": deal.won_date.isoformat(),
        "channel": deal.channel,
    }


def _audit_repr(deal: Deal) -> str:
    return f"{deal.deal_no} {deal.customer.name} {money(deal.amount)}"


def _customer(item: DealInput, *, by: Person | None, unit_id: int, check: bool) -> Customer:
    """The deal's customer: an existing one only if the recorder and the credited rep may both
    see it (``check``), else "not found" like any foreign id; a new one named ``customer_name``
    (or its code), in the open pool of the rep's team. A deal never renames a customer."""
    code = item.customer_code
    customer, created = Customer.objects.select_related("owner").get_or_create(
        code=code, defaults={"name": item.customer_name or code, "unit_id": unit_id}
    )
    if created:
        audit_record(
            action="create",
            object_type="customer",
            object_id=code,
            object_repr=customer.name,
            after={"name": customer.name},
            reason=_("recorded with a deal"),
        )
    elif check:
        for who in (by, item.person):
            if who is not None and not customer_visible(who, customer):
                raise NotFound(
                    _("unknown customer %(code)s") % {"code": code}, field="customer_code"
                )
    return customer


def _record(
    item: DealInput, *, by: Person | None, reason: str, today: dt.date, new: bool = False
) -> tuple[Deal, bool, list[Span], set[int]]:
    item = _clean(item, today)
    unit_id = _unit_on(item.person, item.won_date)
    # Inside the transaction (the row locked on PostgreSQL; SQLite's writers are serialised by
    # BEGIN IMMEDIATE), so what was read here is what gets written over, or refused.
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("person", "customer")
        .filter(deal_no=item.deal_no)
        .first()
    )
    if deal is not None and new:
        raise DealNumberTaken(item.deal_no)
    # A correction that keeps the customer and the rep touches nobody new; anything else is
    # checked as a new write on that customer would be.
    check = deal is None or (deal.customer.code, deal.person_id) != (
        item.customer_code,
        item.person.pk,
    )
    customer = _customer(item, by=by, unit_id=unit_id, check=check)
    customers = {customer.pk} if deal is None else {customer.pk, deal.customer_id}
    # Where the touched customers' first deals are now: the change may move them elsewhere.
    spans: list[Span] = first_deal_spans(customers)
    if deal is None:
        try:
            # The unique constraint has the final word: a create that raced in first wins.
            with transaction.atomic():
                deal = Deal.objects.create(
                    deal_no=item.deal_no,
                    person=item.person,
                    unit_id=unit_id,
                    customer=customer,
                    amount=item.amount,
                    won_date=item.won_date,
                    channel=item.channel,
                    client_id=item.client_id,
                    created_by=by,
                )
        except IntegrityError:
            raise DealNumberTaken(item.deal_no) from None
        DealChange.objects.create(
            deal=deal,
            deal_no=deal.deal_no,
            before=None,
            after=_snapshot(deal),
            reason=reason,
            changed_by=by,
        )
        audit_record(
            action="create",
            object_type="deal",
            object_id=deal.deal_no,
            object_repr=_audit_repr(deal),
            after=_snapshot(deal),
            reason=reason,
            actor=by,
        )
        # A won deal makes a prospect (pool or private) a customer.
        Customer.objects.filter(pk=customer.pk).exclude(status=CustomerStatus.CUSTOMER).update(
            status=CustomerStatus.CUSTOMER
        )
        spans.append((item.person.pk, item.won_date, item.won_date))
        return deal, True, spans, customers
    before = _snapshot(deal)
    spans.append((deal.person_id, deal.won_date, deal.won_date))
    deal.person, deal.unit_id, deal.customer = item.person, unit_id, customer
    deal.amount, deal.won_date, deal.channel = item.amount, item.won_date, item.channel
    after = _snapshot(deal)
    if after == before:
        return deal, False, [], set()
    deal.save()
    DealChange.objects.create(
        deal=deal, deal_no=deal.deal_no, before=before, after=after, reason=reason, changed_by=by
    )
    audit_change(
        action="update",
        object_type="deal",
        object_id=deal.deal_no,
        object_repr=_audit_repr(deal),
        before=before,
        after=after,
        reason=reason,
        actor=by,
    )
    spans.append((item.person.pk, item.won_date, item.won_date))
    return deal, False, spans, customers


@transaction.atomic
def deal_record(
    *,
    item: DealInput,
    by: Person | None = None,
    reason: str = "",
    today: dt.date | None = None,
    new: bool = False,
) -> tuple[Deal, bool]:
    """Record a won deal, or correct the deal with the same number. Returns (deal, created).

    Corrections keep the fields before and after in the deal's audit trail. A retried write with
    the same ``client_id`` returns the first deal. With ``new`` the deal must not exist yet:
    ``DealNumberTaken`` when it does, however close two creates come (nothing is written).
    A deal on an existing customer needs the recorder ``by`` and the rep to see the customer
    (``NotFound`` otherwise); ``customer_name`` only names a customer the deal creates.
    """
    if item.client_id:
        existing = Deal.objects.filter(client_id=item.client_id).first()
        if existing is not None:
            return existing, False
    today = today or timezone.localdate()
    deal, created, spans, customers = _record(item, by=by, reason=reason, today=today, new=new)
    recredit_with_customers(spans, customers)
    if created:
        transaction.on_commit(lambda: deal_won.send(sender=Deal, deal_id=deal.pk))
    return deal, created


@transaction.atomic
def deals_record_many(
    *,
    items: Iterable[DealInput],
    by: Person | None = None,
    reason: str = "",
    today: dt.date | None = None,
) -> tuple[int, int]:
    """Record many deals in one transaction (an import); returns (created, updated)."""
    today = today or timezone.localdate()
    created_ids: list[int] = []
    updated = 0
    spans: list[Span] = []
    customers: set[int] = set()
    with audit_batch():  # one entry per deal, inserted together
        for item in items:
            deal, created, deal_spans, deal_customers = _record(
                item, by=by, reason=reason, today=today
            )
            spans += deal_spans
            customers |= deal_customers
            if created:
                created_ids.append(deal.pk)
            elif deal_spans:
                updated += 1
    recredit_with_customers(spans, customers)
    for deal_id in created_ids:
        transaction.on_commit(partial(deal_won.send, sender=Deal, deal_id=deal_id))
    return len(created_ids), updated


@transaction.atomic
def deal_delete(*, deal: Deal, by: Person | None = None, reason: str = "") -> None:
    """Remove a deal recorded in error; the audit keeps its last state."""
    spans = [(deal.person_id, deal.won_date, deal.won_date)]
    customer_id = deal.customer_id
    DealChange.objects.create(
        deal=deal,
        deal_no=deal.deal_no,
        before=_snapshot(deal),
        after={},
        reason=reason,
        changed_by=by,
    )
    audit_record(
        action="delete",
        object_type="deal",
        object_id=deal.deal_no,
        object_repr=_audit_repr(deal),
        before=_snapshot(deal),
        reason=reason,
        actor=by,
    )
    deal.delete()
    recredit_with_customers(spans, {customer_id})
