"""The win feed of the wall screens (``scoreboard.screens.register_win_source``): the deals that
landed in a screen's units since its cursor, as the viewer may see them (``deals_visible_to``),
marked when the battle reports recorded them as a milestone, or when they took their rep over a
yearly incentive milestone."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, Max, OuterRef

from tiejun.crm.models import Deal
from tiejun.crm.selectors.deals import deals_visible_to
from tiejun.incentives.models import MilestoneReached
from tiejun.money import money
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
    rows = list(
        fresh.annotate(
            year_milestone=Exists(
                MilestoneReached.objects.filter(
                    person_id=OuterRef("person_id"),
                    reached_on=OuterRef("won_date"),
                    recorded_at__gte=OuterRef("created_at"),
                )
            )
        ).order_by("-pk")[:limit]
    )
    yearly = year_milestones([d for d in rows if d.year_milestone])
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
            year_milestone=yearly.get(d.pk),
        )
        for d in rows
    ]
    return Landed(deals=deals, cursor=cursor, more=more)


def year_milestones(candidates: list[Deal]) -> dict[int, dict[str, str]]:
    """Of deals won on a day their rep reached a yearly milestone, the one that took them over
    (their last deal of that day recorded by then), with what it reached: two queries, and none
    when there is no candidate."""
    if not candidates:
        return {}
    people = {d.person_id for d in candidates}
    days = {d.won_date for d in candidates}
    reached = list(
        MilestoneReached.objects.filter(person_id__in=people, reached_on__in=days).select_related(
            "milestone__plan"
        )
    )
    same_day = list(
        Deal.objects.filter(person_id__in=people, won_date__in=days).values_list(
            "pk", "person_id", "won_date", "created_at"
        )
    )
    found: dict[int, dict[str, str]] = {}
    for row in reached:
        crossing = max(
            (
                pk
                for pk, person_id, won, created in same_day
                if person_id == row.person_id
                and won == row.reached_on
                and created <= row.recorded_at
            ),
            default=None,
        )
        if crossing is not None:
            found[crossing] = {
                "threshold": money(row.milestone.threshold, 0),
                "reward": row.milestone.reward,
                "plan": row.milestone.plan.code,
            }
    return found


def register() -> None:
    register_win_source(landed_deals)
