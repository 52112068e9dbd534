"""Writes to customers: create and edit, the open pool (公海), handovers, and who owns what.

A customer with no owner sits in the open pool. A rep claims from the pool (up to
``settings.MAX_PRIVATE_CUSTOMERS``), releases back to it, and a customer with no visit or
follow-up for ``settings.POOL_RETURN_DAYS`` returns to it by itself. A leader hands customers
over; a leaver's customers go to the supervisor or the pool (``settings.LEAVER_CUSTOMERS_TO``).
Every change of owner is written to ``OwnershipChange``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.errors import Forbidden, TiejunError
from tiejun.org.models import LEADER_ROLES, Membership, Person, UnitClosure
from tiejun.org.selectors import is_admin, led_unit_ids, membership_on

from .models import (
    Contact,
    Customer,
    CustomerStatus,
    Opportunity,
    OpportunityStage,
    OwnershipChange,
    Priority,
)

Reason = OwnershipChange.Reason

# Fields customer_create / customer_update accept besides code and owner.
EDITABLE = (
    "name",
    "industry",
    "size",
    "address",
    "lat",
    "lon",
    "phone",
    "status",
    "priority",
    "opens_at",
    "closes_at",
    "notes",
)
MAX_LENGTHS = {"name": 200, "industry": 100, "size": 50, "address": 300, "phone": 32}


def _coordinate(value: Any, field: str, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise TiejunError(_("%(value)s is not a number") % {"value": value}, field=field) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise TiejunError(
            _("%(field)s must lie between -%(limit)d and %(limit)d")
            % {"field": field, "limit": limit},
            field=field,
        )
    return number.quantize(Decimal("0.000001"))


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TiejunError(_("unknown customer fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    out = dict(fields)
    for name, limit in MAX_LENGTHS.items():
        if name in out:
            out[name] = (out[name] or "").strip()
            if len(out[name]) > limit:
                raise TiejunError(_("longer than %(n)d characters") % {"n": limit}, field=name)
    if "name" in out and not out["name"]:
        raise TiejunError(_("a customer needs a name"), field="name")
    if "lat" in out:
        out["lat"] = _coordinate(out["lat"], "lat", 90)
    if "lon" in out:
        out["lon"] = _coordinate(out["lon"], "lon", 180)
    if "status" in out and out["status"] not in CustomerStatus.values:
        raise TiejunError(
            _("unknown status %(value)s; use one of %(choices)s")
            % {"value": out["status"], "choices": ", ".join(CustomerStatus.values)},
            field="status",
        )
    if "priority" in out:
        out["priority"] = (out["priority"] or "").strip().upper()
        if out["priority"] not in Priority.values:
            raise TiejunError(
                _("unknown priority %(value)s; use one of %(choices)s")
                % {"value": out["priority"], "choices": ", ".join(Priority.values)},
                field="priority",
            )
    return out


def private_count(person: Person) -> int:
    return Customer.objects.filter(owner=person).count()


def _check_limit(person: Person, adding: int = 1) -> None:
    limit = settings.MAX_PRIVATE_CUSTOMERS
    if private_count(person) + adding > limit:
        raise TiejunError(
            _("%(name)s already holds %(limit)d private customers, the most allowed")
            % {"name": person.name, "limit": limit},
            field="owner",
        )


def _set_owner(
    customer: Customer,
    to: Person | None,
    *,
    reason: str,
    by: Person | None,
    note: str = "",
    today: dt.date | None = None,
) -> OwnershipChange:
    """Change the owner and write the audit row; a new owner starts a fresh follow-up clock."""
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
    customer.save(update_fields=fields)
    return change


def _locked(customer: Customer) -> Customer:
    return (
        Customer.objects.select_for_update(of=("self",)).select_related("owner").get(pk=customer.pk)
    )


def _leads(by: Person, person: Person | None, day: dt.date | None = None) -> bool:
    """Admin, or a leader of ``person``'s current unit."""
    if is_admin(by):
        return True
    if person is None:
        return False
    current = membership_on(person, day or timezone.localdate())
    return current is not None and current.unit_id in led_unit_ids(by, day)


def can_claim(person: Person, customer: Customer) -> bool:
    return customer.owner_id is None and person.is_authenticated


def can_release(person: Person, customer: Customer) -> bool:
    if customer.owner_id is None:
        return False
    return customer.owner_id == person.pk or _leads(person, customer.owner)


def can_handover(person: Person, customer: Customer) -> bool:
    """Admin, or a supervisor/manager over the owner (or any leader, for a pool customer)."""
    if is_admin(person):
        return True
    if customer.owner_id is None:
        return bool(led_unit_ids(person))
    return customer.owner_id != person.pk and _leads(person, customer.owner)


def customer_permissions(person: Person, customer: Customer) -> dict[str, Any]:
    """What ``person`` may do to ``customer`` (the page's buttons), in a few queries."""
    if not person.is_authenticated:
        return {"claim": False, "release": False, "handover": False, "led": set(), "admin": False}
    admin = is_admin(person)
    led = set() if admin else led_unit_ids(person)
    over_owner = False
    if customer.owner_id is not None and customer.owner_id != person.pk and led:
        current = membership_on(customer.owner_id, timezone.localdate())
        over_owner = current is not None and current.unit_id in led
    owned = customer.owner_id is not None
    return {
        "claim": not owned,
        "release": owned and (admin or customer.owner_id == person.pk or over_owner),
        "handover": admin or (bool(led) if not owned else over_owner),
        "led": led,
        "admin": admin,
    }


@transaction.atomic
def customer_create(
    *,
    code: str,
    name: str,
    by: Person | None = None,
    owner: Person | None = None,
    reason: str = Reason.CLAIM,
    **fields: Any,
) -> Customer:
    """A new customer, in ``owner``'s hands (audited) or in the open pool."""
    code = (code or "").strip()
    if not code:
        raise TiejunError(_("a customer needs a customer code"), field="code")
    if len(code) > 32:
        raise TiejunError(_("longer than %(n)d characters") % {"n": 32}, field="code")
    if Customer.objects.filter(code=code).exists():
        raise TiejunError(_("customer %(code)s exists already") % {"code": code}, field="code")
    values = _clean_fields({"name": name, **fields})
    customer = Customer.objects.create(code=code, **values)
    if owner is not None:
        if reason != Reason.IMPORT:
            _check_limit(owner)
        _set_owner(customer, owner, reason=reason, by=by, note=_("new customer"))
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by: Person | None = None, **fields: Any) -> Customer:
    """Edit a customer's details (not its owner: claim, hand over or release for that)."""
    values = _clean_fields(fields)
    changed = [k for k, v in values.items() if getattr(customer, k) != v]
    for key in changed:
        setattr(customer, key, values[key])
    if changed:
        customer.save(update_fields=changed)
    return customer


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
    _check_limit(person)
    _set_owner(customer, person, reason=Reason.CLAIM, by=person, today=today)
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
    if not _leads(by, to, today):
        raise TiejunError(_("%(name)s is not in a unit you lead") % {"name": to.name}, field="to")
    Person.objects.select_for_update().filter(pk=to.pk).first()
    _check_limit(to)
    _set_owner(customer, to, reason=Reason.HANDOVER, by=by, note=note, today=today)
    return customer


@transaction.atomic
def customer_release(*, customer: Customer, by: Person, note: str = "") -> Customer:
    """Put a customer back into the open pool: the owner, a leader over them, or admin."""
    customer = _locked(customer)
    if customer.owner_id is None:
        raise TiejunError(_("this customer is in the open pool already"), field="owner")
    if not can_release(by, customer):
        raise Forbidden(_("only the owner or their leaders may release this customer"))
    _set_owner(customer, None, reason=Reason.RELEASE, by=by, note=note)
    return customer


def idle_customers(today: dt.date | None = None):  # -> QuerySet[Customer]
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
    return len(rows)


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
    for customer in customers:
        _set_owner(customer, to, reason=Reason.LEAVER, by=by, note=note, today=effective)
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


def customer_touch(*, customer_id: int, day: dt.date) -> None:
    """A visit or follow-up on ``day``: the customer's idle clock restarts (never goes back)."""
    Customer.objects.filter(pk=customer_id).filter(
        Q(last_activity_on__isnull=True) | Q(last_activity_on__lt=day)
    ).update(last_activity_on=day)


@transaction.atomic
def contact_add(
    *, customer: Customer, name: str, title: str = "", phone: str = "", by: Person | None = None
) -> Contact:
    name, title, phone = (name or "").strip(), (title or "").strip(), (phone or "").strip()
    if not name:
        raise TiejunError(_("a contact needs a name"), field="name")
    for field, value, limit in (("name", name, 100), ("title", title, 100), ("phone", phone, 32)):
        if len(value) > limit:
            raise TiejunError(_("longer than %(n)d characters") % {"n": limit}, field=field)
    return Contact.objects.create(customer=customer, name=name, title=title, phone=phone)


@transaction.atomic
def opportunity_create(
    *,
    customer: Customer,
    title: str,
    amount: Decimal | str | int,
    stage: str = OpportunityStage.LEAD,
    expected_close: dt.date | None = None,
    probability: Decimal | str | float = 0,
    owner: Person | None = None,
    by: Person | None = None,
) -> Opportunity:
    title = (title or "").strip()
    if not title:
        raise TiejunError(_("an opportunity needs a title"), field="title")
    if len(title) > 200:
        raise TiejunError(_("longer than %(n)d characters") % {"n": 200}, field="title")
    try:
        amount = Decimal(str(amount))
        probability = Decimal(str(probability))
    except (InvalidOperation, ValueError):
        raise TiejunError(_("the amount or probability is not a number"), field="amount") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e14"):
        raise TiejunError(_("the amount must be zero or more"), field="amount")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise TiejunError(_("the amount has more than two decimals"), field="amount")
    if not probability.is_finite() or not 0 <= probability <= 1:
        raise TiejunError(_("the probability lies between 0 and 1"), field="probability")
    if stage not in OpportunityStage.values:
        raise TiejunError(
            _("unknown stage %(value)s; use one of %(choices)s")
            % {"value": stage, "choices": ", ".join(OpportunityStage.values)},
            field="stage",
        )
    return Opportunity.objects.create(
        customer=customer,
        title=title,
        amount=amount,
        stage=stage,
        expected_close=expected_close,
        probability=probability.quantize(Decimal("0.001")),
        owner=owner if owner is not None else customer.owner,
    )


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
        _set_owner(customer, to, reason=reason, by=by, note=note)
    return customer
