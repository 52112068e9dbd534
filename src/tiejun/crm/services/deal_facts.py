"""A deal's facts on the scoreboard: revenue on the won date, and a new customer on each
customer's first won deal, re-credited for every (person, day) a write touches."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum

from tiejun.metrics import NEW_CUSTOMERS, REVENUE
from tiejun.org.models import Membership
from tiejun.org.services import people_lock
from tiejun.scoreboard.services import facts_load, facts_replace

from ..models import Deal

DEAL_METRICS = (REVENUE.code, NEW_CUSTOMERS.code)


Span = tuple[int, dt.date, dt.date]  # person id, first day, last day


def recredit_with_customers(spans: list[Span], customer_ids: set[int]) -> None:
    """Re-credit the touched (person, day) spans and where each touched customer's first deal is.

    The first won deal of a customer is a ``new_customers`` fact; a change elsewhere can move it,
    so the spans of each customer's first deal after the change are re-credited too (``spans``
    holds where they were before it).
    """
    deals_recredit([*spans, *first_deal_spans(customer_ids)])


def first_deal_spans(customer_ids: set[int]) -> list[Span]:
    """The (person, day) of each customer's first won deal: its ``new_customers`` fact."""
    first_deals = (
        Deal.objects.filter(customer_id__in=customer_ids)
        .order_by("customer_id", "won_date", "id")
        .values_list("customer_id", "person_id", "won_date")
    )
    seen: set[int] = set()
    spans: list[Span] = []
    for customer_id, person_id, day in first_deals:
        if customer_id not in seen:
            seen.add(customer_id)
            spans.append((person_id, day, day))
    return spans


@transaction.atomic
def deals_recredit(spans: Iterable[Span]) -> None:
    """Recompute the deal facts of each (person, first day, last day) span from the deals."""
    merged: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for person_id, start, end in spans:
        merged[person_id].append((start, end))
    # Recounts of one person's days run one at a time (two deals of a rep committing together
    # would otherwise both replace the same facts); locked in id order, so never a deadlock.
    people_lock(*merged)
    for person_id, ranges in merged.items():
        for start, end in _merge_ranges(ranges):
            _recredit_person(person_id, start, end)


def _merge_ranges(ranges: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    out: list[tuple[dt.date, dt.date]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1] + dt.timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _first_deal_condition() -> Any:
    earlier = Deal.objects.filter(customer_id=OuterRef("customer_id")).filter(
        Q(won_date__lt=OuterRef("won_date"))
        | Q(won_date=OuterRef("won_date"), id__lt=OuterRef("id"))
    )
    return ~Exists(earlier)


def _recredit_person(person_id: int, start: dt.date, end: dt.date) -> None:
    # A backdated move changes the team a deal counts for: follow the memberships first.
    for membership in Membership.objects.filter(person_id=person_id).overlapping(start, end):
        Deal.objects.filter(
            person_id=person_id,
            won_date__gte=max(start, membership.valid_from),
            won_date__lte=min(end, membership.valid_to or end),
        ).exclude(unit_id=membership.unit_id).update(unit_id=membership.unit_id)
    deals = Deal.objects.filter(person_id=person_id, won_date__gte=start, won_date__lte=end)
    revenue = deals.values("won_date", "unit_id").annotate(v=Sum("amount")).order_by()
    firsts = (
        deals.filter(_first_deal_condition())
        .values("won_date", "unit_id")
        .annotate(v=Count("customer_id", distinct=True))
        .order_by()
    )
    rows = [(REVENUE.code, r["won_date"], r["unit_id"], r["v"]) for r in revenue]
    rows += [(NEW_CUSTOMERS.code, r["won_date"], r["unit_id"], Decimal(r["v"])) for r in firsts]
    facts_replace(metrics=DEAL_METRICS, person_id=person_id, start=start, end=end, rows=rows)


def deals_recredit_all() -> None:
    """Recompute every deal fact (``tiejun scoreboard rebuild``); deals' units follow memberships."""
    for membership in Membership.objects.all().iterator():
        qs = Deal.objects.filter(
            person_id=membership.person_id, won_date__gte=membership.valid_from
        )
        if membership.valid_to:
            qs = qs.filter(won_date__lte=membership.valid_to)
        qs.exclude(unit_id=membership.unit_id).update(unit_id=membership.unit_id)
    revenue = (
        Deal.objects.values("won_date", "unit_id", "person_id").annotate(v=Sum("amount")).order_by()
    )
    firsts = (
        Deal.objects.filter(_first_deal_condition())
        .values("won_date", "unit_id", "person_id")
        .annotate(v=Count("customer_id", distinct=True))
        .order_by()
    )
    rows = [
        (REVENUE.code, r["won_date"], r["unit_id"], r["person_id"], r["v"])
        for r in revenue.iterator()
    ]
    rows += [
        (NEW_CUSTOMERS.code, r["won_date"], r["unit_id"], r["person_id"], Decimal(r["v"]))
        for r in firsts.iterator()
    ]
    facts_load(metrics=DEAL_METRICS, rows=rows)


def on_membership_changed(
    sender: object, *, person_id: int, effective: dt.date, **_: object
) -> None:
    last = Deal.objects.filter(person_id=person_id, won_date__gte=effective).order_by("-won_date")
    last_day = last.values_list("won_date", flat=True).first()
    if last_day is not None:
        deals_recredit([(person_id, effective, last_day)])
