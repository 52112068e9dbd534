"""Writes to customers: create and edit, the open pool (公海), handovers, and who owns what.

A customer with no owner sits in the open pool. A rep claims from the pool (up to
``settings.MAX_PRIVATE_CUSTOMERS``), releases back to it, and a customer with no visit or
follow-up for ``settings.POOL_RETURN_DAYS`` returns to it by itself. A leader hands customers
over; a leaver's customers go to the supervisor or the pool (``settings.LEAVER_CUSTOMERS_TO``).
Every change of owner is written to ``OwnershipChange``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.org.models import LEADER_ROLES, Membership, Person, UnitClosure
from tiejun.org.selectors import is_admin, led_unit_ids, membership_on
from tiejun.text import check_name, has_control_characters

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
TEXT_FIELDS = ("name", "industry", "size", "address", "phone", "notes")
MAX_NOTES = 5000
# A code goes into page and API paths: nothing that would break or bend a URL.
RESERVED_CODES = ("new", "map", "export")  # /customers/new/ and friends
CODE_FORBIDDEN = re.compile(r"[\s/\\?#%]")
CODE_MAX = 32


def validate_customer_code(code: str, *, field: str = "code") -> str:
    """``code`` stripped, or ``TiejunError`` saying why it cannot be a customer code.

    The one rule for every path that names a new customer (the form, the API, the import, a
    deal's customer): a code becomes part of page and API paths, so it must not break a URL.
    """
    code = (code or "").strip()
    if not code:
        raise TiejunError(_("a customer needs a customer code"), field=field)
    if len(code) > CODE_MAX:
        raise TiejunError(_("longer than %(n)d characters") % {"n": CODE_MAX}, field=field)
    if CODE_FORBIDDEN.search(code) or has_control_characters(code):
        raise TiejunError(_("a customer code has no spaces and none of / \\ ? # %"), field=field)
    if code.lower() in RESERVED_CODES:
        raise TiejunError(
            _("%(code)s is a word the pages use; pick another code") % {"code": code}, field=field
        )
    return code


def code_unusable(code: str, *, field: str = "code") -> NotFound:
    """The answer for a customer code someone else holds, out of the caller's sight: the same
    "not found" as any foreign id, saying nothing of whether or where the customer exists."""
    return NotFound(
        _("customer code %(code)s cannot be used; choose another") % {"code": code}, field=field
    )


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
    for name in TEXT_FIELDS:
        if name in out and isinstance(out[name], str) and "\x00" in out[name]:
            raise TiejunError(_("contains a NUL character"), field=name)
    for name, limit in MAX_LENGTHS.items():
        if name in out:
            out[name] = (out[name] or "").strip()
            if len(out[name]) > limit:
                raise TiejunError(_("longer than %(n)d characters") % {"n": limit}, field=name)
    if "name" in out and not out["name"]:
        raise TiejunError(_("a customer needs a name"), field="name")
    if "name" in out:
        out["name"] = check_name(out["name"])
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
    for name in ("opens_at", "closes_at"):
        if name in out:
            out[name] = _clock(out[name], name)
    if "notes" in out:
        out["notes"] = (out["notes"] or "").strip()
        if len(out["notes"]) > MAX_NOTES:
            raise TiejunError(_("longer than %(n)d characters") % {"n": MAX_NOTES}, field="notes")
    return out


def _clock(value: Any, field: str) -> dt.time | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return dt.datetime.strptime(str(value).strip()[:5], "%H:%M").time()
    except ValueError:
        raise TiejunError(_("give a time as HH:MM"), field=field) from None


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
    from tiejun.audit.services import audit_record

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


def _leads(by: Person, person: Person | None, day: dt.date | None = None) -> bool:
    """Admin, or a leader of ``person``'s current unit."""
    if is_admin(by):
        return True
    if person is None:
        return False
    current = membership_on(person, day or timezone.localdate())
    # A coordinator reads the assigned units' customers but hands over and releases nothing.
    return current is not None and current.unit_id in led_unit_ids(by, day, coordinators=False)


def pool_in_scope(person: Person, customer: Customer, led: set[int] | None = None) -> bool:
    """Whether ``person`` looks after ``customer`` in the open pool: admin, or a supervisor or
    manager whose subtree holds the customer's team (``Customer.unit``: its last owner's team, or
    the creator's). A pool customer with no team is admin's. Coordinators look after none."""
    if is_admin(person):
        return True
    if customer.unit_id is None:
        return False
    if led is None:
        led = led_unit_ids(person, coordinators=False)
    return customer.unit_id in led


def can_claim(person: Person, customer: Customer) -> bool:
    return customer.owner_id is None and person.is_authenticated


def can_release(person: Person, customer: Customer) -> bool:
    if customer.owner_id is None:
        return False
    return customer.owner_id == person.pk or _leads(person, customer.owner)


def can_handover(person: Person, customer: Customer) -> bool:
    """Admin, or a supervisor/manager over the owner (for a pool customer: over its team)."""
    if is_admin(person):
        return True
    if customer.owner_id is None:
        return pool_in_scope(person, customer)
    return customer.owner_id != person.pk and _leads(person, customer.owner)


def customer_permissions(person: Person, customer: Customer) -> dict[str, Any]:
    """What ``person`` may do to ``customer`` (the page's buttons), in a few queries."""
    if not person.is_authenticated:
        return {
            "claim": False,
            "release": False,
            "handover": False,
            "edit": False,
            "led": set(),
            "admin": False,
        }
    admin = is_admin(person)
    led = set() if admin else led_unit_ids(person, coordinators=False)
    over_owner = False
    if customer.owner_id is not None and customer.owner_id != person.pk and led:
        current = membership_on(customer.owner_id, timezone.localdate())
        over_owner = current is not None and current.unit_id in led
    owned = customer.owner_id is not None
    pool_led = not owned and customer.unit_id is not None and customer.unit_id in led
    return {
        "claim": not owned,
        "release": owned and (admin or customer.owner_id == person.pk or over_owner),
        "handover": admin or (pool_led if not owned else over_owner),
        "edit": admin or customer.owner_id == person.pk or (pool_led if not owned else over_owner),
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
    """A new customer, in ``owner``'s hands (audited) or in the open pool of ``by``'s team.

    A code taken by a customer ``by`` may not see answers "not found", like any foreign id.
    """
    from .customer_selectors import customer_visible

    code = validate_customer_code(code)
    taken = Customer.objects.filter(code=code).first()
    if taken is not None:
        if by is not None and not customer_visible(by, taken):
            raise code_unusable(code)
        raise TiejunError(_("customer %(code)s exists already") % {"code": code}, field="code")
    values = _clean_fields({"name": name, **fields})
    _check_hours(values.get("opens_at"), values.get("closes_at"))
    creator = membership_on(by, timezone.localdate()) if by is not None and owner is None else None
    customer = Customer.objects.create(
        code=code, unit_id=creator.unit_id if creator is not None else None, **values
    )
    if owner is not None:
        if reason != Reason.IMPORT:
            _check_limit(owner)
        _set_owner(customer, owner, reason=reason, by=by, note=_("new customer"))
    _audit(
        "create",
        customer,
        None,
        {"code": code, **values, "owner": owner.employee_no if owner is not None else None},
        by,
    )
    return customer


def _check_hours(opens: dt.time | None, closes: dt.time | None) -> None:
    if opens is not None and closes is not None and opens >= closes:
        raise TiejunError(_("a customer closes after it opens"), field="closes_at")


def _audit(
    action: str,
    customer: Customer,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    by: Person | None,
) -> None:
    from tiejun.audit.services import audit_record

    audit_record(
        action=action,
        object_type="customer",
        object_id=customer.code,
        object_repr=customer.name,
        before=before,
        after=after,
        actor=by,
    )


@transaction.atomic
def customer_update(*, customer: Customer, by: Person | None = None, **fields: Any) -> Customer:
    """Edit a customer's details (not its owner: claim, hand over or release for that)."""
    values = _clean_fields(fields)
    _check_hours(
        values.get("opens_at", customer.opens_at), values.get("closes_at", customer.closes_at)
    )
    changed = [k for k, v in values.items() if getattr(customer, k) != v]
    before = {key: getattr(customer, key) for key in changed}
    for key in changed:
        setattr(customer, key, values[key])
    if changed:
        customer.save(update_fields=changed)
        _audit("update", customer, before, {key: values[key] for key in changed}, by)
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
    _audit_returned(rows, note)
    return len(rows)


def _audit_returned(rows: list[tuple[int, int]], note: str) -> None:
    """One entry per customer sent back to the pool, inserted together."""
    from tiejun.audit.services import audit_batch, audit_record

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
        _set_owner(
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


def customer_touch(*, customer_id: int, day: dt.date) -> None:
    """A visit or follow-up on ``day``: the customer's idle clock restarts (never goes back)."""
    Customer.objects.filter(pk=customer_id).filter(
        Q(last_activity_on__isnull=True) | Q(last_activity_on__lt=day)
    ).update(last_activity_on=day)


def can_edit_customer(person: Person, customer: Customer) -> bool:
    """Who may edit a customer's details, contacts and opportunities.

    An owned customer: whoever may see it (the owner, a supervisor, manager or coordinator over
    the owner's current unit, admin; see ``customer_selectors.customers_visible_to``). A customer
    in the open pool, which every rep sees: admin, and the supervisors and managers over its team
    (``pool_in_scope``); a rep claims it first, so nobody rewrites a pool customer they are not
    responsible for.
    """
    if not person.is_authenticated:
        return False
    if is_admin(person) or customer.owner_id == person.pk:
        return True
    if customer.owner_id is None:
        return pool_in_scope(person, customer)
    return _leads(person, customer.owner)


CONTACT_LIMITS = {"name": 100, "title": 100, "phone": 32}


def _contact_values(fields: dict[str, Any]) -> dict[str, str]:
    unknown = set(fields) - set(CONTACT_LIMITS)
    if unknown:
        raise TiejunError(_("unknown contact fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    out = {}
    for field, value in fields.items():
        value = (value or "").strip()
        if "\x00" in value:
            raise TiejunError(_("contains a NUL character"), field=field)
        if len(value) > CONTACT_LIMITS[field]:
            raise TiejunError(
                _("longer than %(n)d characters") % {"n": CONTACT_LIMITS[field]}, field=field
            )
        out[field] = value
    if "name" in out and not out["name"]:
        raise TiejunError(_("a contact needs a name"), field="name")
    if "name" in out:
        out["name"] = check_name(out["name"])
    return out


@transaction.atomic
def contact_add(
    *, customer: Customer, name: str, title: str = "", phone: str = "", by: Person | None = None
) -> Contact:
    values = _contact_values({"name": name, "title": title, "phone": phone})
    return Contact.objects.create(customer=customer, **values)


@transaction.atomic
def contact_update(*, contact: Contact, by: Person | None = None, **fields: Any) -> Contact:
    """Change a contact's name, title or phone (only the fields given)."""
    values = _contact_values(fields)
    changed = [k for k, v in values.items() if getattr(contact, k) != v]
    for key in changed:
        setattr(contact, key, values[key])
    if changed:
        contact.save(update_fields=changed)
    return contact


@transaction.atomic
def contact_remove(*, contact: Contact, by: Person | None = None) -> None:
    contact.delete()


OPPORTUNITY_FIELDS = ("title", "amount", "stage", "expected_close", "probability")
MAX_AMOUNT = Decimal("1e14")


def _opportunity_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Checked opportunity fields: amount ≥ 0 with two decimals, probability 0–1, a stage."""
    unknown = set(fields) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise TiejunError(
            _("unknown opportunity fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    out = dict(fields)
    if "title" in out:
        out["title"] = (out["title"] or "").strip()
        if not out["title"]:
            raise TiejunError(_("an opportunity needs a title"), field="title")
        if len(out["title"]) > 200:
            raise TiejunError(_("longer than %(n)d characters") % {"n": 200}, field="title")
        if "\x00" in out["title"]:
            raise TiejunError(_("contains a NUL character"), field="title")
    if "amount" in out:
        try:
            amount = Decimal(str(out["amount"]).strip())
        except (InvalidOperation, ValueError):
            raise TiejunError(_("the amount is not a number"), field="amount") from None
        if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
            raise TiejunError(_("the amount must be zero or more"), field="amount")
        if amount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise TiejunError(_("the amount has more than two decimals"), field="amount")
        out["amount"] = amount
    if "probability" in out:
        try:
            probability = Decimal(str(out["probability"]).strip())
        except (InvalidOperation, ValueError):
            raise TiejunError(_("the probability is not a number"), field="probability") from None
        if not probability.is_finite() or not 0 <= probability <= 1:
            raise TiejunError(_("the probability lies between 0 and 1"), field="probability")
        out["probability"] = probability.quantize(Decimal("0.001"))
    if "stage" in out and out["stage"] not in OpportunityStage.values:
        raise TiejunError(
            _("unknown stage %(value)s; use one of %(choices)s")
            % {"value": out["stage"], "choices": ", ".join(OpportunityStage.values)},
            field="stage",
        )
    if "expected_close" in out:
        value = out["expected_close"]
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip()) if value.strip() else None
            except ValueError:
                raise TiejunError(_("give a date as YYYY-MM-DD"), field="expected_close") from None
        out["expected_close"] = value
    return out


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
    """An opportunity on ``customer``, held by ``owner`` or else the customer's owner."""
    values = _opportunity_values(
        {
            "title": title,
            "amount": amount,
            "stage": stage,
            "expected_close": expected_close,
            "probability": probability,
        }
    )
    return Opportunity.objects.create(
        customer=customer, owner=owner if owner is not None else customer.owner, **values
    )


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, by: Person | None = None, **fields: Any
) -> Opportunity:
    """Change an opportunity's title, stage, amount, expected close or probability."""
    values = _opportunity_values(fields)
    changed = [k for k, v in values.items() if getattr(opportunity, k) != v]
    for key in changed:
        setattr(opportunity, key, values[key])
    if changed:
        opportunity.save(update_fields=changed)
    return opportunity


CLOSED_STAGES = (OpportunityStage.WON, OpportunityStage.LOST)


@transaction.atomic
def opportunity_close(
    *, opportunity: Opportunity, outcome: str, by: Person | None = None
) -> Opportunity:
    """Close an open opportunity as won (probability 1) or lost (0). A won opportunity records
    no deal by itself: the deal is recorded as ever, with its own number and date."""
    if outcome not in CLOSED_STAGES:
        raise TiejunError(
            _("close an opportunity as won or lost, not %(value)s") % {"value": outcome},
            field="outcome",
        )
    if opportunity.stage in CLOSED_STAGES:
        raise TiejunError(_("this opportunity is closed already"), field="stage")
    opportunity.stage = outcome
    opportunity.probability = Decimal(1 if outcome == OpportunityStage.WON else 0)
    opportunity.save(update_fields=["stage", "probability"])
    return opportunity


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
