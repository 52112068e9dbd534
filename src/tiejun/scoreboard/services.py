"""Writes to the facts. Sources call these inside their own transactions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from django.db import connection, transaction

from tiejun.org.models import Person, Unit
from tiejun.targets.services import ChildKey, target_set, target_split, targets_set_many

from .models import Fact
from .selectors import split_children, split_weights

FactRow = tuple[dt.date, int, int | None, Decimal]  # day, unit id, person id, value

_sources: dict[str, Callable[[], None]] = {}


def register_source(name: str, recredit_all: Callable[[], None]) -> None:
    """A source (deals, visits, …) registers how to re-credit all its facts from its own rows."""
    _sources[name] = recredit_all


def facts_replace(
    *,
    metrics: Iterable[str],
    person_id: int,
    start: dt.date,
    end: dt.date,
    rows: Iterable[tuple[str, dt.date, int, Decimal]],
) -> None:
    """Replace ``person_id``'s facts of ``metrics`` from ``start`` to ``end`` by ``rows``.

    ``rows`` are (metric, day, unit id, value); zero values are not stored.
    """
    Fact.objects.filter(
        metric__in=list(metrics), person_id=person_id, day__gte=start, day__lte=end
    ).delete()
    Fact.objects.bulk_create(
        [Fact(metric=m, day=d, unit_id=u, person_id=person_id, value=v) for m, d, u, v in rows if v]
    )


def facts_add(*, metric: str, day: dt.date, unit_id: int, person_id: int, delta: Decimal) -> None:
    """Add ``delta`` to one fact in one statement (an upsert), for a source that knows its change.

    Used where a new row adds a known amount (a check-in adds one visit); a correction recomputes
    with ``facts_replace`` instead. Both engines support ``INSERT … ON CONFLICT … DO UPDATE``.
    """
    table = connection.ops.quote_name(Fact._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (metric, day, unit_id, person_id, value) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (metric, day, unit_id, person_id) "
            f"DO UPDATE SET value = {table}.value + excluded.value",
            [metric, day, unit_id, person_id, delta],
        )


def facts_load(
    *, metrics: Iterable[str], rows: Iterable[tuple[str, dt.date, int, int | None, Decimal]]
) -> int:
    """Replace every fact of ``metrics`` by ``rows`` (metric, day, unit, person, value)."""
    Fact.objects.filter(metric__in=list(metrics)).delete()
    created = Fact.objects.bulk_create(
        [Fact(metric=m, day=d, unit_id=u, person_id=p, value=v) for m, d, u, p, v in rows if v],
        batch_size=5000,
    )
    return len(created)


def scoreboard_rebuild() -> list[str]:
    """Recompute every fact from the source rows; returns the sources asked."""
    with transaction.atomic():
        for recredit_all in _sources.values():
            recredit_all()
    if connection.vendor == "sqlite":
        # Fresh statistics: without them SQLite scans a month's facts for every subtree board.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")
    return list(_sources)


def target_cascade(
    *,
    unit: Unit,
    month: dt.date,
    metric: str,
    total: Decimal,
    method: str,
    values: Mapping[ChildKey, Decimal] | None = None,
    by: Person | None = None,
    reason: str = "",
) -> dict[ChildKey, Decimal]:
    """Set ``unit``'s target and split it over its children (层层绑定); returns the shares.

    ``method`` is even, last_month or last_3_months (the shares add up to the total exactly,
    the weights are the children's past results), or manual: ``values`` as given, any
    shortfall then showing as an allocation gap. All or nothing.
    """
    with transaction.atomic():
        if method == "manual" or not split_children(unit, month):
            target_set(month=month, metric=metric, value=total, unit=unit, by=by, reason=reason)
            shares = dict(values or {})
            if shares:
                targets_set_many(month=month, metric=metric, values=shares, by=by, reason=reason)
            return shares
        weights = split_weights(unit, month=month, metric=metric, method=method)
        return target_split(
            unit=unit,
            month=month,
            metric=metric,
            total=total,
            weights=weights,
            by=by,
            reason=reason,
        )
