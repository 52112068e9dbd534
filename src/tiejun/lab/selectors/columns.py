"""The lab's columnar reads shared by its reports: touches, events and deals of a period as
integer columns (days as day numbers, money in cents, through a bare cursor) and their
attribution to sales models with numpy. The number of queries does not depend on the rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    Func,
    OuterRef,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _

from tiejun.crm.models import Deal
from tiejun.errors import TiejunError
from tiejun.org.models import Unit
from tiejun.org.selectors import subtree_ids
from tiejun.workdays import add_months, month_start

from ..attribution import RULES, Shares, attribute
from ..models import Attendee, Event, SalesModel, Touch

CENT = Decimal("0.01")
EPOCH = dt.date(1970, 1, 1)
DEFAULT_LOOKBACK_DAYS = 90
FALLBACK_MODEL = "other"


class EpochDay(Func):
    """A date column as whole days since 1970-01-01."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra
        )


class Cents(Func):
    """A money column in whole cents."""

    output_field = BigIntegerField()
    template = "CAST(ROUND(%(expressions)s * 100) AS BIGINT)"


class MonthKey(Func):
    """A date column as its month, ``YYYY-MM`` (no per-row Python function on SQLite)."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 7)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM')", **extra
        )


def int_columns(qs: QuerySet) -> list[np.ndarray]:
    """The rows of an all-integer ``values_list`` queryset as int64 columns, read through a bare
    cursor: no model instances, no per-value converters, one flat array built in C."""
    sql, params = qs.query.sql_with_params()
    width = len(qs.query.values_select) + len(qs.query.annotation_select)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows) * width)
    table = flat.reshape(len(rows), width)
    return [table[:, i] for i in range(width)]


def month_of(key: str) -> dt.date:
    return dt.date(int(key[:4]), int(key[5:7]), 1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def to_money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def from_cents(value: float) -> Decimal:
    return (Decimal(round(float(value))) * CENT).quantize(CENT)


def hourly_cost_default() -> Decimal:
    return Decimal(str(settings.LAB_HOURLY_COST))


@dataclass
class Attributed:
    models: list[SalesModel]
    deal_customer: np.ndarray
    deal_unit: np.ndarray
    deal_month: np.ndarray  # months since 1970-01
    deal: np.ndarray  # per share row: index into the deal arrays
    model: np.ndarray  # per share row: index into ``models``
    share: np.ndarray  # per share row: cents (float)
    cycle_days: np.ndarray
    touched: np.ndarray


def check_args(start: dt.date, end: dt.date, attribution: str, lookback_days: int) -> None:
    if start > end:
        raise TiejunError(_("the period ends before it starts"), field="to")
    if attribution not in RULES:
        raise TiejunError(
            _("unknown attribution %(rule)s; use one of %(choices)s")
            % {"rule": attribution, "choices": ", ".join(RULES)},
            field="attribution",
        )
    if not 0 <= lookback_days <= 3660:
        raise TiejunError(_("the look-back is 0 to 3660 days"), field="lookback_days")


def attributed(
    *, start: dt.date, end: dt.date, unit: Unit | None, attribution: str, lookback_days: int
) -> Attributed:
    """The deals won in [start, end] (of the unit's teams) shared among models: 3 queries."""
    models = list(SalesModel.objects.order_by("sort", "code"))
    index = {m.pk: i for i, m in enumerate(models)}
    by_code = {m.code: i for i, m in enumerate(models)}
    deals = Deal.objects.filter(won_date__gte=start, won_date__lte=end)
    if unit is not None:
        deals = deals.filter(unit_id__in=subtree_ids(unit))
    # Plain fields first, then expressions: the order the SQL selects them in. A deal's channel
    # comes back as the index of the model of the same code (unknown ones: ``other``).
    fallback = Case(
        *[When(channel=m.code, then=Value(i)) for i, m in enumerate(models)],
        default=Value(by_code.get(FALLBACK_MODEL, 0)),
        output_field=BigIntegerField(),
    )
    d_customer, d_unit, d_day, d_cents, d_fallback = int_columns(
        deals.order_by().values_list(
            "customer_id", "unit_id", EpochDay("won_date"), Cents("amount"), fallback
        )
    )
    touches = Touch.objects.filter(
        customer_id__in=deals.order_by().values("customer_id"),
        date__gte=start - dt.timedelta(days=lookback_days),
        date__lte=end,
    )
    t_id, t_customer, t_model_id, t_day = int_columns(
        touches.order_by().values_list("id", "customer_id", "model_id", EpochDay("date"))
    )
    model_lookup = np.zeros(max(index, default=0) + 1, dtype=np.int64)
    for pk, i in index.items():
        model_lookup[pk] = i
    shares = attribute(
        deal_customer=d_customer,
        deal_day=d_day,
        deal_amount=d_cents.astype(np.float64),
        deal_fallback=d_fallback,
        touch_id=t_id,
        touch_customer=t_customer,
        touch_day=t_day,
        touch_model=model_lookup[t_model_id],
        rule=attribution,
        lookback_days=lookback_days,
    )
    if not models:  # no model to credit (their table emptied): the deals stay, no shares
        keep = np.zeros(len(shares.deal), dtype=bool)
        shares = Shares(*(column[keep] for column in dataclasses.astuple(shares)))
    deal_month = d_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return Attributed(
        models=models,
        deal_customer=d_customer,
        deal_unit=d_unit,
        deal_month=deal_month,
        deal=shares.deal,
        model=shares.model,
        share=shares.share,
        cycle_days=shares.cycle_days,
        touched=shares.touched,
    )


def touch_effort(
    *, start: dt.date, end: dt.date, unit: Unit | None, by_unit: bool = False
) -> list[dict[str, Any]]:
    """Touches, rep-hours and direct cost per (month, model[, unit]) of touches dated in the
    period, plus the hours and cost of events nobody attended (spent all the same): 2 queries."""
    touches = Touch.objects.filter(date__gte=start, date__lte=end)
    events = Event.objects.filter(date__gte=start, date__lte=end).filter(
        ~Exists(Attendee.objects.filter(event=OuterRef("pk")))
    )
    if unit is not None:
        touches = touches.filter(unit_id__in=subtree_ids(unit))
        events = events.filter(unit_id__in=subtree_ids(unit))
    keys = ["month", "model_id", *(["unit_id"] if by_unit else [])]
    rows = list(
        touches.annotate(month=MonthKey("date"))
        .values(*keys)
        .annotate(touches=Count("id"), hours=Sum("hours"), cost=Sum("cost"))
        .order_by()
    )
    rows += [
        {**row, "touches": 0}
        for row in events.annotate(month=MonthKey("date"))
        .values(*keys)
        .annotate(hours=Sum("hours"), cost=Sum("cost"))
        .order_by()
    ]
    return rows
