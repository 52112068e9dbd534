"""Generated sales histories of other shapes, for testing the forecast beyond the demo company.

``tiejun demo --shape SHAPE`` builds a small company (one region, branches, teams of reps) whose
reps sell in a way unlike the demo's steady flow of mid-sized deals:

* ``lumpy`` — few, large deals: a rep closes two or three a month, of very different sizes;
* ``festival`` — Spring Festival: the month of the festival sells half of a normal one while its
  targets are cut less than that, and the weeks around it are slow;
* ``push`` — the month-end push: the last three working days bring in about 40 % of a month;
* ``drift`` — reps whose rate drifts from month to month (a random walk), with targets set from
  the last quarter's results, so they lag behind.

Every rep has a personal revenue target each month and a row of facts per day with a sale; no
deals or touches are written (the forecast reads facts and targets only). Each rep holds a
dozen customers, and the opportunity history behind the sales is written as for the demo
company (``tiejun.demo.opportunities``: most sales out of an opportunity opened weeks before,
lost and stalled ones beside them), so the backtest can replay the pipeline. The same seed
gives the same company.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from tiejun.crm.models import Customer, CustomerStatus
from tiejun.errors import TiejunError
from tiejun.org.models import Role, Unit, UnitKind
from tiejun.org.selectors import work_calendar
from tiejun.org.services import person_create, unit_create
from tiejun.scoreboard.models import Fact
from tiejun.targets.models import Target
from tiejun.workdays import add_months, month_start

from .bulk import ids_by, insert_rows
from .opportunities import OpportunityPlanner, write_opportunities

BASE_TARGET = 150_000.0  # an average rep's monthly target in yuan


@dataclass(frozen=True)
class Shape:
    """How a generated company sells."""

    deals: float  # won deals an average rep closes in a month
    amount_sigma: float  # log-spread of a deal's size
    push: float = 1.0  # weight of each of the month's last three working days
    drift: float = 0.0  # month-to-month log-spread of a rep's rate (a random walk)
    festival: bool = False  # the Spring Festival month sells half, its target is cut less
    form: float = 0.12  # log-spread of a rep's good or bad month


SHAPES: dict[str, Shape] = {
    "lumpy": Shape(deals=2.5, amount_sigma=0.9),
    "festival": Shape(deals=6.0, amount_sigma=0.5, festival=True),
    "push": Shape(deals=6.0, amount_sigma=0.5, push=6.0),
    "drift": Shape(deals=6.0, amount_sigma=0.5, drift=0.15),
}

# Spring Festival's month, and how much of a normal month it sells and is asked for
FESTIVAL_MONTHS = {2024: 2, 2025: 1, 2026: 2, 2027: 2, 2028: 1}
FESTIVAL_SALES, FESTIVAL_TARGET = 0.5, 0.7


@dataclass(frozen=True)
class ShapeSummary:
    shape: str
    units: int
    reps: int
    months: int
    facts: int
    targets: int
    first_month: dt.date
    today: dt.date


def _month_sales(shape: Shape, month: dt.date) -> tuple[float, float]:
    """(sales factor, target factor) of ``month``."""
    if shape.festival:
        if FESTIVAL_MONTHS.get(month.year) == month.month:
            return FESTIVAL_SALES, FESTIVAL_TARGET
        if FESTIVAL_MONTHS.get(month.year) == month.month - 1 or (
            FESTIVAL_MONTHS.get(month.year) == 1 and month.month == 2
        ):
            return 0.85, 0.9  # the slow weeks after the holiday
    return 1.0, 1.0


def _day_weights(shape: Shape, count: int) -> np.ndarray:
    weights = np.ones(count)
    weights[: min(3, count)] = 0.7
    if count > 3:
        weights[-3:] = shape.push
    return weights / weights.sum()


@transaction.atomic
def build_shape(
    name: str, *, reps: int = 48, months: int = 12, seed: int = 1, today: dt.date
) -> ShapeSummary:
    """Write a company of shape ``name`` with ``months`` months of history up to ``today``."""
    if name not in SHAPES:
        raise TiejunError(
            _("unknown shape %(name)s (choose from %(names)s)")
            % {"name": name, "names": ", ".join(sorted(SHAPES))},
            field="shape",
        )
    if reps < 8 or months < 3:
        raise TiejunError(_("a shaped history needs at least 8 reps and 3 months"), field="reps")
    if Unit.objects.exists():
        raise TiejunError(_("the database already has an org tree"), field="shape")
    shape = SHAPES[name]
    rng = np.random.default_rng(seed)
    calendar = work_calendar()
    first = add_months(month_start(today), -(months - 1))
    company = unit_create(code="SHAPE", name=f"Shape {name}", kind=UnitKind.COMPANY, parent=None)
    region = unit_create(code="SHAPE-R", name="Region", kind=UnitKind.REGION, parent=company)
    teams: list[Unit] = []
    team_count = max(1, reps // 8)
    for b in range(max(1, team_count // 3)):
        branch = unit_create(
            code=f"SHAPE-B{b + 1}", name=f"Branch {b + 1}", kind=UnitKind.BRANCH, parent=region
        )
        for t in range(3 if b < team_count // 3 - 1 else team_count - 3 * b):
            teams.append(
                unit_create(
                    code=f"SHAPE-B{b + 1}-T{t + 1}",
                    name=f"Team {b + 1}.{t + 1}",
                    kind=UnitKind.TEAM,
                    parent=branch,
                )
            )
    average_deal = BASE_TARGET / shape.deals
    amount_mu = math.log(average_deal) - shape.amount_sigma**2 / 2
    facts: list[Fact] = []
    targets: list[Target] = []
    # the opportunity history behind the deals: its own random stream, the facts stay as they were
    opportunities = OpportunityPlanner(seed=f"shape-{name}-{seed}", today=today)
    books: list[Customer] = []
    for i in range(reps):
        team = teams[i % len(teams)]
        person = person_create(
            employee_no=f"S{i + 1:04d}",
            name=f"Rep {i + 1}",
            unit=team,
            role=Role.REP,
            start_date=add_months(first, -1),
        )
        book = [
            Customer(code=f"S{i + 1:04d}-{c:02d}", name=f"Customer {i + 1}.{c}", owner=person,
                     unit=team, status=CustomerStatus.CUSTOMER)
            for c in range(1, 13)
        ]  # fmt: skip
        books += book
        skill = float(np.exp(rng.normal(0, 0.25)))
        level = 0.0  # the drifting part of the rep's log-rate
        recent: list[float] = []  # the rep's last months' results, for drifting targets
        for index in range(months):
            month = add_months(first, index)
            days = calendar.month_workdays(month)
            if not days:
                continue
            level += rng.normal(0, shape.drift) if shape.drift else 0.0
            sales, asked = _month_sales(shape, month)
            rate = skill * math.exp(level) * sales * math.exp(rng.normal(0, shape.form))
            # targets follow the rep's skill; a drifting rep's follow the last quarter instead
            planned = (
                sum(recent[-3:]) / len(recent[-3:]) / BASE_TARGET
                if shape.drift and recent
                else skill
            )
            target = round(BASE_TARGET * planned * asked * float(rng.uniform(0.95, 1.1)), -3)
            targets.append(
                Target(month=month, metric="revenue", person=person, value=Decimal(target))
            )
            total = 0.0
            opportunities.around(
                owner=person.pk,
                customers=[c.code for c in book],
                amounts=[average_deal],
                usual=shape.deals * skill * math.exp(level) * sales,
                days=days,
            )
            for day, weight in zip(days, _day_weights(shape, len(days)), strict=True):
                if day > today:
                    break
                count = int(rng.poisson(shape.deals * rate * weight))
                if not count:
                    continue
                amounts = np.exp(rng.normal(amount_mu, shape.amount_sigma, count))
                for amount in amounts:
                    opportunities.won(owner=person.pk, customer=book[len(facts) % len(book)].code,
                                      amount=float(amount), day=day)  # fmt: skip
                value = float(amounts.sum())
                value = round(value, -2)
                total += value
                facts.append(
                    Fact(
                        day=day,
                        metric="revenue",
                        unit=team,
                        person=person,
                        value=Decimal(str(value)),
                    )
                )
            if month_start(today) != month:
                recent.append(total)
    Target.objects.bulk_create(targets, batch_size=1000)
    Fact.objects.bulk_create(facts, batch_size=1000)
    insert_rows(books)
    write_opportunities(opportunities.planned, ids_by(books, "code"))
    return ShapeSummary(
        shape=name,
        units=Unit.objects.count(),
        reps=reps,
        months=months,
        facts=len(facts),
        targets=len(targets),
        first_month=first,
        today=today,
    )
