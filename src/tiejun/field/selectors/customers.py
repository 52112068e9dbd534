"""What a rep reads about a customer before a visit: the brief on the route sheet."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, prefetch_related_objects

from tiejun.crm.models import Contact, Customer, Opportunity
from tiejun.crm.selectors.customers import OPEN_STAGES

from ..models import Visit

LAST_VISITS = 3


@dataclass(frozen=True)
class CustomerBrief:
    customer: Customer
    contacts: list[Contact]
    visits: list[Visit]  # the last three, newest first
    opportunities: list[Opportunity]  # the open ones, closest expected close first


def customer_briefs(customers: list[Customer]) -> dict[int, CustomerBrief]:
    """Briefs of ``customers`` by id, for route sheets: three queries whatever their number.

    Only the last three visits of each customer are read: the sliced prefetch numbers each
    customer's visits newest first (``ROW_NUMBER() OVER (PARTITION BY customer_id …)``) and
    keeps the first three in the database.
    """
    if not customers:
        return {}
    prefetch_related_objects(
        customers,
        Prefetch("contacts", queryset=Contact.objects.order_by("id"), to_attr="brief_contacts"),
        Prefetch(
            "opportunities",
            queryset=Opportunity.objects.filter(stage__in=OPEN_STAGES).order_by(
                "expected_close", "id"
            ),
            to_attr="brief_opportunities",
        ),
        Prefetch(
            "visits",
            queryset=Visit.objects.select_related("person").order_by("-checkin_at")[:LAST_VISITS],
            to_attr="brief_visits",
        ),
    )
    return {
        c.pk: CustomerBrief(
            customer=c,
            contacts=c.brief_contacts,  # type: ignore[attr-defined]
            visits=c.brief_visits,  # type: ignore[attr-defined]
            opportunities=c.brief_opportunities,  # type: ignore[attr-defined]
        )
        for c in customers
    }
