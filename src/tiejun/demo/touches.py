"""The demo's sales-model story: two years of touches behind the deals.

One-to-one visits dominate everywhere, and their return falls: every extra hour of visiting earns
less (revenue ≈ a · hours^0.5 per team-month) and the market they work grows more saturated month
by month. Meanwhile two branches run pilots — salons (one-to-many events) in 义乌 and online
follow-up (e-mail, IM) in 宁波 — that earn more per rep-hour. The lab's efficiency report and the
mix planner should both reveal it.

How the rows are made, so attribution tells the same story: every deal (the generator's, plus
history deals for the months before them) gets a sales model — mostly ``visit``, the pilot model
for a growing share of the pilot branch's deals once its pilot starts — and its channel is set to
it. The rep-hours of a (team, month, model) cell are then what the model's true response curve
needs to earn that cell's revenue (times a little noise), spread over touches of the cell's deals
(dated on or before the won day, in the same month) and over some prospects who did not buy.
Salons are events with attendee lists. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tiejun.lab.models import Attendee, Event, SalesModel, Touch, builtin_sales_models
from tiejun.workdays import add_months, month_start

from .bulk import insert_rows

# The true response of a team-month's revenue to the model's rep-hours: revenue = a · hours^b.
CURVES = {
    "visit": (35_000.0, 0.5),
    "salon": (15_500.0, 0.65),
    "online": (14_700.0, 0.65),
    "partner": (4_500.0, 0.75),
    "community": (2_600.0, 0.7),
    "livestream": (2_200.0, 0.7),
}
VISIT_DECLINE = 0.006  # the visit curve loses this share of its level every month (saturation)
COST_PER_HOUR = {"visit": 30, "salon": 150, "online": 40, "partner": 80, "community": 50,
                 "livestream": 100}  # fmt: skip
BASE_SHARE = {"visit": 0.90, "partner": 0.06, "community": 0.03, "livestream": 0.01}
# branch code → (pilot model, months before the demo's current month when the pilot started)
PILOTS = {"ZJ-YW": ("salon", 14), "ZJ-NB": ("online", 12)}
PILOT_SHARE = 0.40  # share of the branch's deals won through the pilot model, once ramped up
PILOT_RAMP = 4  # months to ramp up
EVENT_MODELS = {"salon", "livestream"}
PROSPECTS_PER_DEAL = 0.6
TITLES = {"salon": "{city}客户沙龙 {month:%Y-%m}", "livestream": "{city}直播 {month:%Y-%m}"}


@dataclass
class Story:
    customers: list[tuple[str, str, str]]  # the history deals' customers (code, name, industry)
    deals: list[tuple]  # all deals (history first), channels set to their sales model
    events: list[dict[str, Any]] = field(default_factory=list)
    touches: list[dict[str, Any]] = field(default_factory=list)  # event touches name their event
    first_month: dt.date | None = None


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def plan_story(
    planner: Any,
    customers: list[tuple[str, str, str]],
    deals: list[tuple],
    *,
    years: int,
    seed: int,
) -> tuple[list[tuple[str, str, str]], list[tuple], Story]:
    """History deals for ``years`` back (when the deals cover less) and every deal's touches.

    Returns the customers and deals to write (history ones added) and the story's events and
    touches. ``planner`` is the demo generator's planner, already holding people and deals.
    """
    rng = random.Random(f"tiejun-demo-touches-{seed}")
    history_months = max(0, years * 12 - len(planner.months))
    first = add_months(planner.months[0], -history_months)
    extra_customers: list[tuple[str, str, str]] = []
    extra_deals: list[tuple] = []
    if history_months:
        kept = planner.months
        planner.months = [add_months(first, i) for i in range(history_months)]
        try:
            extra_customers, extra_deals = planner.plan_deals()
        finally:
            planner.months = kept
        renamed = {c: "H" + c[1:] for c, _n, _i in extra_customers}
        extra_customers = [(renamed[c], n, i) for c, n, i in extra_customers]
        extra_deals = [(d[0], d[1], d[2], renamed[d[3]], *d[4:]) for d in extra_deals]
    all_deals = extra_deals + deals

    # Each deal's sales model.
    current = planner.current
    story_deals: list[tuple] = []
    cells: dict[tuple[str, dt.date, str], list[int]] = defaultdict(list)
    base_models = list(BASE_SHARE)
    base_weights = [BASE_SHARE[m] for m in base_models]
    for deal in all_deals:
        no, rep, team, customer, amount, day, _channel = deal
        branch = planner.units[team].parent
        ago = _months_between(day, current)
        model = rng.choices(base_models, base_weights)[0]
        pilot = PILOTS.get(branch)
        if pilot is not None and ago < pilot[1]:
            share = PILOT_SHARE * min(1.0, (pilot[1] - ago) / PILOT_RAMP)
            if rng.random() < share:
                model = pilot[0]
        cells[(team, month_start(day), model)].append(len(story_deals))
        story_deals.append((no, rep, team, customer, amount, day, model))

    # The hours each cell needed, spread over its deals' touches and some prospects.
    team_customers: dict[str, list[tuple[str, str]]] = defaultdict(list)  # (customer, rep)
    for _no, rep, team, customer, *_rest in story_deals:
        team_customers[team].append((customer, rep))
    story = Story(customers=extra_customers, deals=story_deals, first_month=first)
    serial = 0
    for (team, month, model), indexes in sorted(cells.items()):
        revenue = sum(story_deals[i][4] for i in indexes)
        a, b = CURVES[model]
        if model == "visit":
            a *= 1 - VISIT_DECLINE * _months_between(first, month)
        hours = (revenue / a) ** (1 / b) * math.exp(rng.gauss(0, 0.12))
        days = [d for d in planner.workdays(month) if d <= planner.today]
        if not days:
            continue
        contacts: list[tuple[str, str, dt.date]] = []  # (customer, rep, day)
        for i in indexes:
            _no, rep, _team, customer, _amount, won, _m = story_deals[i]
            earlier = [d for d in days if d <= won and (won - d).days <= 20]
            contacts.append((customer, rep, rng.choice(earlier) if earlier else won))
        pool = team_customers[team]
        for _ in range(int(len(indexes) * PROSPECTS_PER_DEAL + rng.random())):
            customer, rep = rng.choice(pool)
            contacts.append((customer, rep, rng.choice(days)))
        cost_rate = COST_PER_HOUR[model]
        if model in EVENT_MODELS:
            event_id = f"DEMO-{model.upper()}-{team}-{month:%Y%m}"
            attendees = sorted({c for c, _r, _d in contacts})
            shares = _split(hours, len(attendees))
            story.events.append(
                {
                    "event_id": event_id,
                    "model": model,
                    "unit": team,
                    "date": days[0],  # on or before every deal of the month
                    "title": TITLES[model].format(
                        city=planner.units[team].branch.city, month=month
                    ),
                    "hours": sum(shares, Decimal(0)),
                    "cost": sum((_money(s * cost_rate) for s in shares), Decimal(0)),
                    "attendees": attendees,
                }
            )
            for customer, h in zip(attendees, shares, strict=True):
                story.touches.append(
                    {
                        "activity_id": f"event:{event_id}:{customer}",
                        "model": model,
                        "person": None,
                        "customer": customer,
                        "unit": team,
                        "event": event_id,
                        "date": days[0],
                        "hours": h,
                        "cost": _money(h * cost_rate),
                        "source": Touch.Source.EVENT,
                    }
                )
            continue
        weights = [rng.uniform(0.5, 1.5) for _ in contacts]
        total = sum(weights)
        for (customer, rep, day), w in zip(contacts, weights, strict=True):
            serial += 1
            h = Decimal(hours * w / total).quantize(Decimal("0.01"))
            story.touches.append(
                {
                    "activity_id": f"DEMO-{serial:08d}",
                    "model": model,
                    "person": rep,
                    "customer": customer,
                    "unit": team,
                    "event": None,
                    "date": day,
                    "hours": h,
                    "cost": _money(h * cost_rate),
                    "source": Touch.Source.IMPORT,
                }
            )
    return customers + extra_customers, story_deals, story


def _split(hours: float, n: int) -> list[Decimal]:
    cents = max(0, round(hours * 100))
    base, extra = divmod(cents, n)
    return [Decimal(base + (1 if i < extra else 0)) / 100 for i in range(n)]


def _money(value: Decimal | float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def write_story(
    story: Story,
    *,
    unit_ids: dict[str, int],
    person_ids: dict[str, int],
    customer_ids: dict[str, int],
) -> None:
    """Bulk-insert the story's events, attendees and touches (after units, people, customers)."""
    model_ids = dict(SalesModel.objects.values_list("code", "pk"))
    if not set(CURVES) <= set(model_ids):  # a flushed database lost the migration's models
        for sort, (code, name, name_en, one_to_many) in enumerate(builtin_sales_models()):
            model_ids[code] = SalesModel.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_en": name_en,
                    "one_to_many": one_to_many,
                    "sort": sort,
                },
            )[0].pk
    events = Event.objects.bulk_create(
        [
            Event(
                event_id=e["event_id"],
                model_id=model_ids[e["model"]],
                unit_id=unit_ids[e["unit"]],
                date=e["date"],
                title=e["title"],
                hours=e["hours"],
                cost=e["cost"],
            )
            for e in story.events
        ],
        batch_size=2000,
    )
    event_ids = {e.event_id: e.pk for e in events}
    insert_rows(
        [
            Attendee(event_id=event_ids[e["event_id"]], customer_id=customer_ids[c])
            for e in story.events
            for c in e["attendees"]
        ]
    )
    insert_rows(
        [
            Touch(
                activity_id=t["activity_id"],
                model_id=model_ids[t["model"]],
                person_id=person_ids[t["person"]] if t["person"] else None,
                customer_id=customer_ids[t["customer"]],
                unit_id=unit_ids[t["unit"]],
                event_id=event_ids[t["event"]] if t["event"] else None,
                date=t["date"],
                hours=t["hours"],
                cost=t["cost"],
                source=t["source"],
            )
            for t in story.touches
        ]
    )
