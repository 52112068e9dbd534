"""Reads the web pages need beyond the domain selectors: whom one may move, the breadcrumb."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from tiejun.org.models import LEADER_ROLES, Membership, Person, Unit
from tiejun.org.selectors import (
    ancestors,
    board_roots,
    is_admin,
    membership_on,
    subtree_ids,
)


def current_or_last_membership(person: Person, day: dt.date) -> Membership | None:
    """The membership on ``day``, else the latest one (someone who has left keeps a last unit)."""
    membership = membership_on(person, day)
    if membership is None:
        membership = person.memberships.select_related("unit").order_by("-valid_from").first()
    return membership


def manageable_units(viewer: Person, day: dt.date | None = None) -> QuerySet[Unit]:
    """The units ``viewer`` may move people into: all for admin, else the subtree they lead."""
    day = day or timezone.localdate()
    if is_admin(viewer):
        return Unit.objects.all()
    membership = membership_on(viewer, day)
    if membership is None or membership.role not in LEADER_ROLES:
        return Unit.objects.none()
    return Unit.objects.filter(pk__in=subtree_ids(membership.unit_id))


def visible_ancestors(viewer: Person, unit: Unit, day: dt.date | None = None) -> list[Unit]:
    """The breadcrumb of ``unit``: its ancestors from the highest one ``viewer`` may see."""
    chain = ancestors(unit)
    root_ids = {root.pk for root in board_roots(viewer, day)}
    for i, link in enumerate(chain):
        if link.pk in root_ids:
            return chain[i:]
    return [unit]
