"""The win feed of the wall screens (``scoreboard.screens.register_win_source``): the deals that
landed in a screen's units since its cursor, as the viewer may see them (``deals_visible_to``),
marked when the battle reports recorded them as a milestone."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max

from tiejun.crm.selectors.deals import deals_visible_to
from tiejun.org.models import Person
from tiejun.scoreboard.screens import Landed, LandedDeal, register_win_source

from .models import Milestone


def landed_deals(
    viewer: Person, unit_ids: set[int], after: int | None, since: dt.date, limit: int
) -> Landed:
    """The newest ``limit`` deals after ``after`` (a deal id) in ``unit_ids`` won on or after
    ``since``; the cursor moves past every deal the viewer may see there, whatever its date."""
    scoped = deals_visible_to(viewer).filter(unit_id__in=unit_ids)
    newer = scoped if after is None else scoped.filter(pk__gt=after)
    cursor = newer.aggregate(top=Max("pk"))["top"]
    if after is None:
        return Landed(deals=[], cursor=cursor or 0)
    if cursor is None:
        return Landed(deals=[], cursor=after)
    fresh = newer.filter(won_date__gte=since)
    rows = list(fresh.order_by("-pk")[:limit])
    more = fresh.count() - len(rows) if len(rows) == limit else 0
    marked = set(
        Milestone.objects.filter(deal_no__in=[d.deal_no for d in rows]).values_list(
            "deal_no", flat=True
        )
    )
    deals = [
        LandedDeal(
            id=d.pk,
            deal_no=d.deal_no,
            person_id=d.person_id,
            employee_no=d.person.employee_no,
            name=d.person.name,
            customer=d.customer.name,
            amount=d.amount,
            won_date=d.won_date,
            unit_id=d.unit_id,
            milestone=d.deal_no in marked,
        )
        for d in rows
    ]
    return Landed(deals=deals, cursor=cursor, more=more)


def register() -> None:
    register_win_source(landed_deals)
