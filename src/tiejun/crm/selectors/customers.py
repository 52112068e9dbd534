"""Reads of customers, with who-sees-what built in.

A rep sees their own customers and the open pool; a supervisor or manager also the customers of
everyone whose current unit lies under the unit they lead; admin sees all. Any other customer is
"not found", exactly like one that does not exist. Who may do what to a customer they see (claim,
release, hand over, edit) is read here too; the services check the same predicates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.errors import Forbidden, NotFound
from tiejun.org.models import Membership, Person
from tiejun.org.selectors import is_admin, led_unit_ids, membership_on

from ..models import Contact, Customer, Opportunity, OpportunityStage, OwnershipChange

OPEN_STAGES = [
    s for s in OpportunityStage.values if s not in (OpportunityStage.WON, OpportunityStage.LOST)
]


def customers_visible_to(person: Person, day: dt.date | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.select_related("owner")
    if not person.is_authenticated:
        return qs.none()
    if is_admin(person):
        return qs
    day = day or timezone.localdate()
    rule = Q(owner__isnull=True) | Q(owner=person)
    led = led_unit_ids(person, day)
    if led:
        team = Membership.objects.on(day).filter(unit_id__in=led).values("person_id")
        rule |= Q(owner_id__in=team)
    return qs.filter(rule)


def customer_visible(person: Person, customer: Customer, day: dt.date | None = None) -> bool:
    """Whether ``person`` may see ``customer``: the rule of ``customers_visible_to`` for one row.

    Own and pool customers cost no query (a rep's check-in path); a leader's check asks where the
    owner belongs on ``day``.
    """
    if not person.is_authenticated:
        return False
    if customer.owner_id is None or customer.owner_id == person.pk:
        return True
    if is_admin(person):
        return True
    day = day or timezone.localdate()
    led = led_unit_ids(person, day)
    if not led:
        return False
    return Membership.objects.on(day).filter(person_id=customer.owner_id, unit_id__in=led).exists()


@dataclass(frozen=True)
class CustomerFilters:
    owner: str = ""  # an employee number
    status: str = ""
    priority: str = ""
    pool: bool = False  # only the open pool
    mine: bool = False  # only the viewer's own
    search: str = ""

    @classmethod
    def from_query(cls, data: Any) -> CustomerFilters:
        def flag(name: str) -> bool:
            return str(data.get(name) or "").lower() in ("1", "true", "on", "yes")

        return cls(
            owner=(data.get("owner") or "").strip(),
            status=(data.get("status") or "").strip(),
            priority=(data.get("priority") or "").strip().upper(),
            pool=flag("pool"),
            mine=flag("mine"),
            search=(data.get("q") or data.get("search") or "").strip(),
        )


def customer_list(person: Person, filters: CustomerFilters | None = None) -> QuerySet[Customer]:
    """Visible customers, filtered, ordered by code: one query a page (plus the count)."""
    filters = filters or CustomerFilters()
    qs = customers_visible_to(person)
    if filters.pool:
        qs = qs.filter(owner__isnull=True)
    if filters.mine:
        qs = qs.filter(owner=person)
    if filters.owner:
        qs = qs.filter(owner__employee_no=filters.owner)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.search:
        term = filters.search
        qs = qs.filter(
            Q(code__icontains=term)
            | Q(name__icontains=term)
            | Q(address__icontains=term)
            | Q(industry__icontains=term)
        )
    return qs.order_by("code")


def access_customer(person: Person, code: str) -> Customer:
    """The customer if ``person`` may see it, else ``NotFound`` (the same for a missing one)."""
    customer = customers_visible_to(person).filter(code=code).first()
    if customer is None:
        raise NotFound(f"unknown customer {code!r}", field="customer_code")
    return customer


@dataclass
class CustomerDetail:
    customer: Customer
    contacts: list[Contact]
    visits: list[Any]  # field.models.Visit, the last three
    opportunities: list[Opportunity]  # open ones
    history: list[OwnershipChange]


def customer_detail(customer: Customer) -> CustomerDetail:
    """A customer's brief: contacts, last three visits, open opportunities, ownership history."""
    return CustomerDetail(
        customer=customer,
        contacts=list(customer.contacts.order_by("id")),
        visits=list(customer.visits.select_related("person").order_by("-checkin_at")[:3]),
        opportunities=list(
            customer.opportunities.filter(stage__in=OPEN_STAGES)
            .select_related("owner")
            .order_by("expected_close", "id")
        ),
        history=list(
            customer.ownership.select_related("from_person", "to_person", "changed_by").order_by(
                "-changed_at", "-id"
            )
        ),
    )


def customers_for_map(person: Person, filters: CustomerFilters | None = None) -> list[dict]:
    """Visible customers with a position, as plain rows for the map: one query."""
    rows = (
        customer_list(person, filters)
        .filter(lat__isnull=False, lon__isnull=False)
        .values(
            "code", "name", "lat", "lon", "priority", "status", "owner__employee_no", "owner__name"
        )
    )
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "lat": float(r["lat"] or 0),
            "lon": float(r["lon"] or 0),
            "priority": r["priority"],
            "status": r["status"],
            "owner": r["owner__employee_no"] or "",
            "owner_name": r["owner__name"] or "",
        }
        for r in rows
    ]


def owners_visible_to(person: Person) -> QuerySet[Person]:
    """People whose customers ``person`` may filter by (owners of visible customers)."""
    ids = customers_visible_to(person).filter(owner__isnull=False).values("owner_id")
    return Person.objects.filter(pk__in=ids).order_by("employee_no")


def handover_candidates(
    person: Person,
    day: dt.date | None = None,
    *,
    admin: bool | None = None,
    led: set[int] | None = None,
) -> QuerySet[Person]:
    """Whom ``person`` may hand a customer to: current members of the units they lead
    (``admin``/``led`` when the caller knows them already)."""
    day = day or timezone.localdate()
    members = Membership.objects.on(day)
    if not (is_admin(person) if admin is None else admin):
        if led is None:
            led = led_unit_ids(person, day, coordinators=False)
        members = members.filter(unit_id__in=led)
    return Person.objects.filter(pk__in=members.values("person_id"), is_active=True).order_by(
        "employee_no"
    )


# ---- who may do what to a customer -------------------------------------------------------


def is_leader_of(by: Person, person: Person | None, day: dt.date | None = None) -> bool:
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
    return customer.owner_id == person.pk or is_leader_of(person, customer.owner)


def can_handover(person: Person, customer: Customer) -> bool:
    """Admin, or a supervisor/manager over the owner (for a pool customer: over its team)."""
    if is_admin(person):
        return True
    if customer.owner_id is None:
        return pool_in_scope(person, customer)
    return customer.owner_id != person.pk and is_leader_of(person, customer.owner)


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


def can_edit_customer(person: Person, customer: Customer) -> bool:
    """Who may edit a customer's details, contacts and opportunities.

    An owned customer: whoever may see it (the owner, a supervisor, manager or coordinator over
    the owner's current unit, admin; see ``customers_visible_to``). A customer
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
    return is_leader_of(person, customer.owner)


def access_customer_to_edit(person: Person, code: str) -> Customer:
    """The customer if ``person`` may edit it (``can_edit_customer``): ``NotFound`` when
    they may not see it, ``Forbidden`` when they see it (a pool customer) but may not edit it."""
    customer = access_customer(person, code)
    if not can_edit_customer(person, customer):
        raise Forbidden(
            _("claim this customer from the open pool before you edit it"), field="customer_code"
        )
    return customer


def access_contact(person: Person, code: str, contact_id: int) -> Contact:
    """A contact of a customer ``person`` may edit; ``NotFound`` for any other id."""
    customer = access_customer_to_edit(person, code)
    contact = Contact.objects.filter(customer=customer, pk=contact_id).first()
    if contact is None:
        raise NotFound(f"unknown contact {contact_id!r}", field="contact_id")
    contact.customer = customer
    return contact


def access_opportunity(person: Person, code: str, opportunity_id: int) -> Opportunity:
    """An opportunity of a customer ``person`` may edit; ``NotFound`` for any other id."""
    customer = access_customer_to_edit(person, code)
    found = (
        Opportunity.objects.filter(customer=customer, pk=opportunity_id)
        .select_related("owner")
        .first()
    )
    if found is None:
        raise NotFound(f"unknown opportunity {opportunity_id!r}", field="opportunity_id")
    found.customer = customer
    return found


def customer_has_twin(customer: Customer) -> bool:
    """Another customer with the same name at the same address (a likely duplicate)."""
    if not customer.address:
        return False
    return (
        Customer.objects.filter(name=customer.name, address=customer.address)
        .exclude(pk=customer.pk)
        .exists()
    )
