"""A deal's facts on the scoreboard: revenue on the won date, and a new customer on each
customer's first won deal, re-credited for every (person, day) a write touches."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum

from tiejun.metrics import NEW_CUSTOMERS, REVENUE
from tiejun.org.models import Membership
from tiejun.org.services import people_lock
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.services import facts_load, facts_replace

from ..importing import CHUNK, rows_in, temp_fill
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


# --- set-based upkeep (imports) -----------------------------------------------------------------

_SPANS = "tiejun_deal_spans"
_DELETE_SQL = (
    "DELETE FROM {fact} WHERE metric IN (%s, %s) AND EXISTS (SELECT 1 FROM {spans} s "
    "WHERE s.person_id = {fact}.person_id AND {fact}.day >= s.first_day "
    "AND {fact}.day <= s.last_day)"
)
_REVENUE_SQL = (
    "INSERT INTO {fact} (metric, day, unit_id, person_id, value) "
    "SELECT %s, d.won_date, d.unit_id, d.person_id, SUM(d.amount) "
    "FROM {deal} d JOIN {spans} s ON s.person_id = d.person_id "
    "AND d.won_date >= s.first_day AND d.won_date <= s.last_day "
    "GROUP BY d.won_date, d.unit_id, d.person_id"
)
_FIRSTS_SQL = (
    "INSERT INTO {fact} (metric, day, unit_id, person_id, value) "
    "SELECT %s, d.won_date, d.unit_id, d.person_id, COUNT(DISTINCT d.customer_id) "
    "FROM {deal} d JOIN {spans} s ON s.person_id = d.person_id "
    "AND d.won_date >= s.first_day AND d.won_date <= s.last_day "
    "WHERE NOT EXISTS (SELECT 1 FROM {deal} e WHERE e.customer_id = d.customer_id "
    "AND (e.won_date < d.won_date OR (e.won_date = d.won_date AND e.id < d.id))) "
    "GROUP BY d.won_date, d.unit_id, d.person_id"
)


def first_deal_spans_many(customer_ids: Iterable[int]) -> list[Span]:
    """``first_deal_spans`` for any number of customers (``importing.rows_in``: a query per
    ``CHUNK`` ids, or one past ``MANY_KEYS``)."""
    seen: set[int] = set()
    spans: list[Span] = []
    first_deals = Deal.objects.order_by("customer_id", "won_date", "id")
    for customer_id, person_id, day in rows_in(
        first_deals, "customer_id", customer_ids, "customer_id", "person_id", "won_date"
    ):
        if customer_id not in seen:
            seen.add(customer_id)
            spans.append((person_id, day, day))
    return spans


def deals_recredit_many(spans: Iterable[Span]) -> None:
    """Recompute the deal facts of many (person, day) spans with a fixed number of statements.

    Each person's facts are recounted from their first to their last touched day (a recount of
    more days than changed gives the same facts): the people locked (as ``deals_recredit``
    does), the spans in a temporary table, then one DELETE and one INSERT … SELECT per metric.
    The deals' teams are what the writer set from the memberships on their won dates.
    """
    ranges: dict[int, tuple[dt.date, dt.date]] = {}
    for person_id, start, end in spans:
        low, high = ranges.get(person_id, (start, end))
        ranges[person_id] = (min(low, start), max(high, end))
    if not ranges:
        return
    for batch in range(0, len(ranges), CHUNK):
        people_lock(*sorted(ranges)[batch : batch + CHUNK])
    q = connection.ops.quote_name
    names = {"fact": q(Fact._meta.db_table), "deal": q(Deal._meta.db_table), "spans": _SPANS}
    day = connection.ops.adapt_datefield_value
    temp_fill(
        _SPANS,
        "person_id bigint, first_day date, last_day date",
        ("person_id", "first_day", "last_day"),
        [(p, day(a), day(b)) for p, (a, b) in ranges.items()],
    )
    with connection.cursor() as cursor:
        cursor.execute(_DELETE_SQL.format(**names), list(DEAL_METRICS))
        cursor.execute(_REVENUE_SQL.format(**names), [REVENUE.code])
        cursor.execute(_FIRSTS_SQL.format(**names), [NEW_CUSTOMERS.code])
        cursor.execute(f"DELETE FROM {_SPANS}")  # noqa: S608 - a fixed name
