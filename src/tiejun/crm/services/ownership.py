"""Who owns a customer: the open pool (公海), claims, releases, handovers, and leavers.

A customer with no owner sits in the open pool. A rep claims from the pool (up to
``settings.MAX_PRIVATE_CUSTOMERS``), releases back to it, and a customer with no visit or
follow-up for ``settings.POOL_RETURN_DAYS`` returns to it by itself. A leader hands customers
over; a leaver's customers go to the supervisor or the pool (``settings.LEAVER_CUSTOMERS_TO``).
Every change of owner is written to ``OwnershipChange``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_batch, audit_record
from tiejun.errors import Forbidden, TiejunError
from tiejun.org.models import LEADER_ROLES, Membership, Person, UnitClosure
from tiejun.org.selectors import membership_on

from ..models import Customer, OwnershipChange
from ..selectors.customers import can_handover, can_release, is_leader_of

Reason = OwnershipChange.Reason


def private_count(person: Person) -> int:
    return Customer.objects.filter(owner=person).count()


def check_private_limit(person: Person, adding: int = 1) -> None:
    limit = settings.MAX_PRIVATE_CUSTOMERS
    if private_count(person) + adding > limit:
        raise TiejunError(
            _("%(name)s already holds %(limit)d private customers, the most allowed")
            % {"name": person.name, "limit": limit},
            field="owner",
        )


def set_owner(
    customer: Customer,
    to: Person | None,
    *,
    reason: str,
    by: Person | None,
    note: str = "",
    today: dt.date | None = None,
    unit_id: int | None = None,
) -> OwnershipChange:
    """Change the owner and write the audit row; a new owner starts a fresh follow-up clock.

    The customer follows the new owner to their team (``unit_id`` when the caller knows it), and
    stays with the team when it goes back to the pool: that team's leaders look after it.
    """
    _audit_owner(customer, to, reason=reason, by=by, note=note)
    change = OwnershipChange.objects.create(
        customer=customer,
        from_person_id=customer.owner_id,
        to_person=to,
        reason=reason,
        note=note[:300],
        changed_by=by,
    )
    customer.owner = to
    customer.owned_since = timezone.now() if to is not None else None
    fields = ["owner", "owned_since"]
    if to is not None:
        customer.last_activity_on = today or timezone.localdate()
        fields.append("last_activity_on")
        if unit_id is None:
            current = membership_on(to, customer.last_activity_on)
            unit_id = current.unit_id if current is not None else None
        if unit_id is not None and unit_id != customer.unit_id:
            customer.unit_id = unit_id
            fields.append("unit")
    customer.save(update_fields=fields)
    return change


# The audit trail's action for each reason an owner changes.
OWNER_ACTIONS: dict[str, str] = {Reason.IMPORT: "assign"}


def _audit_owner(
    customer: Customer, to: Person | None, *, reason: str, by: Person | None, note: str
) -> None:
    if customer.owner_id is None:
        before = None
    elif Customer._meta.get_field("owner").is_cached(customer):
        before = customer.owner.employee_no  # type: ignore[union-attr]
    else:
        before = Person.objects.filter(pk=customer.owner_id).values_list("employee_no", flat=True)[
            0
        ]
    audit_record(
        action=OWNER_ACTIONS.get(reason, str(reason)),
        object_type="customer",
        object_id=customer.code,
        object_repr=customer.name,
        before={"owner": before},
        after={"owner": to.employee_no if to is not None else None},
        reason=note,
        actor=by,
    )


def _locked(customer: Customer) -> Customer:
    return (
        Customer.objects.select_for_update(of=("self",)).select_related("owner").get(pk=customer.pk)
    )


@transaction.atomic
def customer_claim(*, customer: Customer, person: Person, today: dt.date | None = None) -> Customer:
    """``person`` takes a customer from the open pool, within the private-customer limit."""
    customer = _locked(customer)
    if customer.owner_id == person.pk:
        raise TiejunError(_("you own this customer already"), field="owner")
    if customer.owner_id is not None:
        raise TiejunError(_("this customer is not in the open pool"), field="owner")
    # Serialise claims by one person so two tabs cannot both pass the limit.
    Person.objects.select_for_update().filter(pk=person.pk).first()
    check_private_limit(person)
    set_owner(customer, person, reason=Reason.CLAIM, by=person, today=today)
    return customer


@transaction.atomic
def customer_handover(
    *,
    customer: Customer,
    to: Person,
    by: Person,
    note: str = "",
    today: dt.date | None = None,
) -> Customer:
    """Give a customer to another rep: by a supervisor/manager over the owner, or admin."""
    customer = _locked(customer)
    if not can_handover(by, customer):
        raise Forbidden(_("only the owner's supervisor or manager may hand this customer over"))
    if customer.owner_id == to.pk:
        raise TiejunError(_("%(name)s owns this customer already") % {"name": to.name}, field="to")
    if not to.is_active or membership_on(to, today or timezone.localdate()) is None:
        raise TiejunError(_("%(name)s is not in any unit") % {"name": to.name}, field="to")
    if not is_leader_of(by, to, today):
        raise TiejunError(_("%(name)s is not in a unit you lead") % {"name": to.name}, field="to")
    Person.objects.select_for_update().filter(pk=to.pk).first()
    check_private_limit(to)
    set_owner(customer, to, reason=Reason.HANDOVER, by=by, note=note, today=today)
    return customer


@transaction.atomic
def customer_release(*, customer: Customer, by: Person, note: str = "") -> Customer:
    """Put a customer back into the open pool: the owner, a leader over them, or admin."""
    customer = _locked(customer)
    if customer.owner_id is None:
        raise TiejunError(_("this customer is in the open pool already"), field="owner")
    if not can_release(by, customer):
        raise Forbidden(_("only the owner or their leaders may release this customer"))
    set_owner(customer, None, reason=Reason.RELEASE, by=by, note=note)
    return customer


@transaction.atomic
def customer_assign(
    *,
    customer: Customer,
    to: Person | None,
    by: Person | None,
    reason: str = Reason.IMPORT,
    note: str = "",
) -> Customer:
    """Set the owner as an administrative act (an import), audited; no limit applies."""
    customer = _locked(customer)
    if customer.owner_id != (to.pk if to is not None else None):
        set_owner(customer, to, reason=reason, by=by, note=note)
    return customer


def idle_customers(today: dt.date | None = None) -> QuerySet[Customer]:
    """Owned customers with no visit or follow-up for ``settings.POOL_RETURN_DAYS``."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=settings.POOL_RETURN_DAYS)
    never = Q(last_activity_on__isnull=True) & (
        Q(owned_since__isnull=True) | Q(owned_since__date__lt=cutoff)
    )
    return Customer.objects.filter(owner__isnull=False).filter(
        Q(last_activity_on__lt=cutoff) | never
    )


@transaction.atomic
def customers_return_idle(*, today: dt.date | None = None) -> int:
    """Return idle customers to the open pool (the daily job); returns how many went back."""
    today = today or timezone.localdate()
    days = settings.POOL_RETURN_DAYS
    rows = list(idle_customers(today).select_for_update().values_list("pk", "owner_id"))
    if not rows:
        return 0
    note = _("no visit or follow-up for %(days)d days") % {"days": days}
    OwnershipChange.objects.bulk_create(
        OwnershipChange(
            customer_id=pk,
            from_person_id=owner_id,
            to_person=None,
            reason=Reason.AUTO_RETURN,
            note=note,
        )
        for pk, owner_id in rows
    )
    Customer.objects.filter(pk__in=[pk for pk, _owner in rows]).update(owner=None, owned_since=None)
    _audit_returned(rows, note)
    return len(rows)


def _audit_returned(rows: list[tuple[int, int]], note: str) -> None:
    """One entry per customer sent back to the pool, inserted together."""
    customers = {
        pk: (code, name)
        for pk, code, name in Customer.objects.filter(pk__in=[pk for pk, _o in rows]).values_list(
            "pk", "code", "name"
        )
    }
    owners = dict(
        Person.objects.filter(pk__in={o for _pk, o in rows}).values_list("pk", "employee_no")
    )
    with audit_batch():
        for pk, owner_id in rows:
            audit_record(
                action=str(Reason.AUTO_RETURN),
                object_type="customer",
                object_id=customers[pk][0],
                object_repr=customers[pk][1],
                before={"owner": owners.get(owner_id)},
                after={"owner": None},
                reason=note,
            )


def _successor(person: Person, unit_id: int, day: dt.date) -> Person | None:
    """The nearest supervisor or manager at or above ``unit_id`` on ``day``, not ``person``."""
    links = dict(
        UnitClosure.objects.filter(descendant_id=unit_id).values_list("ancestor_id", "depth")
    )
    leaders = (
        Membership.objects.on(day)
        .filter(unit_id__in=links, role__in=LEADER_ROLES, person__is_active=True)
        .exclude(person=person)
        .select_related("person")
    )
    best = min(leaders, key=lambda m: (links[m.unit_id], m.pk), default=None)
    return best.person if best is not None else None


@transaction.atomic
def customers_reassign_leaver(
    *,
    person: Person,
    from_unit_id: int | None = None,
    effective: dt.date | None = None,
    by: Person | None = None,
) -> int:
    """A rep left ``from_unit_id`` (their unit the day before ``effective``): their customers go
    to that unit's supervisor (or the manager above) or to the pool, as
    ``settings.LEAVER_CUSTOMERS_TO`` says; the pool when no leader is found. Returns how many."""
    effective = effective or timezone.localdate()
    if from_unit_id is None:
        before = membership_on(person, effective - dt.timedelta(days=1))
        from_unit_id = before.unit_id if before is not None else None
    customers = list(Customer.objects.select_for_update().filter(owner=person))
    if not customers:
        return 0
    to = None
    if settings.LEAVER_CUSTOMERS_TO == "supervisor" and from_unit_id is not None:
        to = _successor(person, from_unit_id, effective)
    note = _("%(name)s left or moved") % {"name": person.name}
    successor = membership_on(to, effective) if to is not None else None
    for customer in customers:
        customer.owner = person  # already so: saves the audit trail a query per customer
        set_owner(
            customer,
            to,
            reason=Reason.LEAVER,
            by=by,
            note=note,
            today=effective,
            unit_id=successor.unit_id if successor is not None else None,
        )
    return len(customers)


def on_membership_changed(
    sender: object, *, person_id: int, effective: dt.date, **_kwargs: object
) -> None:
    """A transfer (not a promotion in the same unit) or a departure hands the customers on."""
    before = membership_on(person_id, effective - dt.timedelta(days=1))
    after = membership_on(person_id, effective)
    if before is None or (after is not None and after.unit_id == before.unit_id):
        return
    person = Person.objects.get(pk=person_id)
    customers_reassign_leaver(person=person, from_unit_id=before.unit_id, effective=effective)
