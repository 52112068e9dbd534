"""Reads of deals, with who-sees-what built in.

Deal details (customer, amount) are for the owner, the owner's line of supervisors and managers,
coordinators of the unit, and admin: a deal is visible when it is the person's own, or when the
team it counts for lies under a unit the person leads or coordinates today.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from tiejun.errors import NotFound
from tiejun.org.models import Person
from tiejun.org.selectors import is_admin, led_unit_ids

from ..models import Deal, DealChange


def deals_visible_to(person: Person) -> QuerySet[Deal]:
    qs = Deal.objects.select_related("person", "customer", "unit")
    if not person.is_authenticated:
        return qs.none()
    if is_admin(person):
        return qs
    led = led_unit_ids(person)
    return qs.filter(Q(person=person) | Q(unit_id__in=led)) if led else qs.filter(person=person)


def deal_list_for_user(
    person: Person,
    *,
    unit_ids: set[int] | None = None,
    rep: Person | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[Deal]:
    qs = deals_visible_to(person)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    if rep is not None:
        qs = qs.filter(person=rep)
    if start is not None:
        qs = qs.filter(won_date__gte=start)
    if end is not None:
        qs = qs.filter(won_date__lte=end)
    return qs.order_by("-won_date", "-id")


def access_deal(person: Person, deal_no: str) -> Deal:
    """The deal if ``person`` may see it, else ``NotFound`` (the same for a missing one)."""
    deal = deals_visible_to(person).filter(deal_no=deal_no).first()
    if deal is None:
        raise NotFound(f"unknown deal {deal_no!r}")
    return deal


def deal_visible(person: Person, deal: Deal) -> bool:
    """Whether ``person`` may see ``deal``: the rule of ``deals_visible_to`` for one row."""
    if not person.is_authenticated:
        return False
    if deal.person_id == person.pk or is_admin(person):
        return True
    return deal.unit_id in led_unit_ids(person)


def deal_history(deal: Deal) -> QuerySet[DealChange]:
    return deal.changes.select_related("changed_by").order_by("-changed_at", "-id")


def deal_existing(*, deal_no: str, client_id: str | None = None) -> Deal | None:
    """The deal written with ``client_id``, else the one numbered ``deal_no``, whoever may see it:
    only so a retried or repeated write is not recorded twice."""
    qs = Deal.objects.select_related("person", "customer", "unit")
    found = qs.filter(client_id=client_id).first() if client_id else None
    return found or qs.filter(deal_no=deal_no.strip()).first()
