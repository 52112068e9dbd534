"""The demo's opportunity history: the pipeline as it stood on any past day.

Most won deals come out of an opportunity opened one to eight weeks before: it enters as a lead
(or already qualified), moves through proposal and negotiation on dated stage changes and is
won on the deal's day. Each change records the estimate of the time — an expected close that
slips (mostly later than planned, revised nearer the truth as the deal advances) and an amount
that starts off by a quarter or so and settles on the deal's. Beside them: opportunities lost at
every stage (more of them early) and some that stall and stay open. A rep's good month is a
month with more deals, so it shows early as more late-stage opportunities closing in it; the
lost ones follow the rep's usual activity, not the month's form. Opportunities still open today
are those of wins and losses that lie ahead.

Its own random stream (``Random(f"{seed}:opportunities")``): the deals, visits and people of a
seed stay what they were. Written with set-based inserts, dated as planned (the stage changes
keep their own ``at``, the opportunities their ``created_at``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tiejun.crm.models import Opportunity, OpportunityStageChange
from tiejun.org.models import Role
from tiejun.workdays import add_months, month_start

from .bulk import insert_values

FROM_DEAL = 0.85  # share of won deals that came out of an opportunity (the rest walked in)
LEAD_WEEKS = (1, 8)  # an opportunity is opened this many weeks before it is won
LOST_PER_DEAL = 0.8  # lost opportunities per deal of a rep's usual month
STALLED_PER_DEAL = 0.15  # … and opportunities that stall and stay open
LOST_AT = (("lead", 0.45), ("qualified", 0.3), ("proposal", 0.15), ("negotiation", 0.1))
SLIP_DAYS = (4.0, 9.0)  # first expected close: this many days (mean, spread) before the win
AMOUNT_ERROR = 0.25  # log-spread of the first amount estimate around the final amount
TITLES = ["出口通金品套餐", "全球旺铺续约", "直播推广包", "关键词增值包", "年度采购", "增购套餐"]
STAGES = ("lead", "qualified", "proposal", "negotiation")
HISTORY_MONTHS = 12  # months of opportunity history (or the demo's months, if more)
AHEAD_DAYS = 56  # today's open pipeline: the wins and losses of the next eight weeks
PROBABILITY = {"lead": "0.100", "qualified": "0.250", "proposal": "0.500", "negotiation": "0.750"}


@dataclass
class Event:
    from_stage: str
    to_stage: str
    at: dt.datetime
    amount: Decimal
    expected_close: dt.date


@dataclass
class PlannedOpportunity:
    owner: int
    customer: Hashable  # a key the writer maps to a customer id
    title: str
    events: list[Event] = field(default_factory=list)

    @property
    def last(self) -> Event:
        return self.events[-1]


class OpportunityPlanner:
    """Plans opportunities from wins, losses and stalls (in memory, deterministic)."""

    def __init__(self, *, seed: int | str, today: dt.date) -> None:
        self.rng = random.Random(f"{seed}:opportunities")
        self.today = today
        self.tz = timezone.get_current_timezone()
        self.planned: list[PlannedOpportunity] = []

    def _at(self, day: dt.date) -> dt.datetime:
        minutes = self.rng.randint(9 * 60, 18 * 60)
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def _money(self, value: float) -> Decimal:
        return Decimal(max(100, round(value, -2))).quantize(Decimal("0.01"))

    def _path(self, last: str) -> list[str]:
        """The open stages an opportunity went through up to ``last``."""
        rng = self.rng
        start = 0 if rng.random() < 0.6 else 1
        end = STAGES.index(last)
        start = min(start, end)
        return [s for i, s in enumerate(STAGES[start : end + 1]) if i == 0 or s == last
                or rng.random() < 0.85]  # fmt: skip

    def _opportunity(
        self,
        *,
        owner: int,
        customer: Hashable,
        amount: float,
        close: dt.date,
        outcome: str,
        last_open: str = "negotiation",
        slip: float | None = None,
    ) -> PlannedOpportunity:
        """An opportunity that ends ``outcome`` (won, lost or "" for stalled) on ``close``,
        its changes spread over the weeks before, cut at today."""
        rng = self.rng
        opened = close - dt.timedelta(days=rng.randint(7 * LEAD_WEEKS[0], 7 * LEAD_WEEKS[1]))
        path = self._path(last_open)
        span = (close - opened).days
        cuts = sorted(rng.randint(0, max(0, span - 1)) for _ in path[1:])
        days = [opened] + [opened + dt.timedelta(days=c) for c in cuts]
        if outcome:
            path = [*path, outcome]
            days.append(close)
        first_slip = rng.gauss(*SLIP_DAYS) if slip is None else slip
        error = rng.gauss(0, AMOUNT_ERROR)
        opp = PlannedOpportunity(owner=owner, customer=customer, title=rng.choice(TITLES))
        before = ""
        for i, (stage, day) in enumerate(zip(path, days, strict=True)):
            if day > self.today:
                break
            left = 1.0 - i / len(path)  # the estimate nears the truth as the deal advances
            if stage == "won":
                estimate, expected = self._money(amount), close
            else:
                estimate = self._money(amount * math.exp(error * left))
                expected = close - dt.timedelta(days=round(first_slip * left))
                if expected < day:  # the date passed: the rep pushes it out
                    expected = day + dt.timedelta(days=rng.randint(3, 14))
            at = self._at(day)
            if opp.events and at <= opp.last.at:  # two changes on one day: in their order
                at = opp.last.at + dt.timedelta(minutes=rng.randint(5, 90))
            opp.events.append(Event(before, stage, at, estimate, expected))
            before = stage
        if opp.events:
            self.planned.append(opp)
        return opp

    def won(self, *, owner: int, customer: Hashable, amount: float, day: dt.date) -> None:
        """A won deal: out of an opportunity most of the time."""
        if self.rng.random() < FROM_DEAL:
            self._opportunity(owner=owner, customer=customer, amount=amount, close=day,
                              outcome="won")  # fmt: skip

    def lost(self, *, owner: int, customer: Hashable, amount: float, day: dt.date) -> None:
        """An opportunity lost on ``day``, at a stage drawn from :data:`LOST_AT`."""
        stage = self.rng.choices([s for s, _w in LOST_AT], [w for _s, w in LOST_AT])[0]
        self._opportunity(owner=owner, customer=customer, amount=amount, close=day,
                          outcome="lost", last_open=stage, slip=self.rng.gauss(-5, 10))  # fmt: skip

    def stalled(self, *, owner: int, customer: Hashable, amount: float, day: dt.date) -> None:
        """An opportunity that was to close on ``day`` and stalled: open, its date passed."""
        stage = self.rng.choice(STAGES[:3])
        self._opportunity(owner=owner, customer=customer, amount=amount, close=day, outcome="",
                          last_open=stage, slip=0.0)  # fmt: skip

    def around(
        self,
        *,
        owner: int,
        customers: Sequence[Hashable],
        amounts: Sequence[float],
        usual: float,
        days: list[dt.date],
    ) -> None:
        """A rep-month's lost and stalled opportunities: ``usual`` is the rep's usual number
        of deals in such a month (not this month's form), ``days`` its working days."""
        if not customers or not days or not amounts:
            return
        rng = self.rng
        for kind, per in ((self.lost, LOST_PER_DEAL), (self.stalled, STALLED_PER_DEAL)):
            for _i in range(_poisson(rng, usual * per)):
                kind(owner=owner, customer=rng.choice(customers), amount=rng.choice(amounts),
                     day=rng.choice(days))  # fmt: skip


def plan_demo_opportunities(
    planner: Any,
    deals: Iterable[tuple],
    person_ids: Mapping[str, int],
    *,
    seed: int,
    today: dt.date,
) -> list[PlannedOpportunity]:
    """The demo company's opportunities: behind its deals of the last year, lost and stalled
    beside them, and those of the coming weeks still open. ``planner`` is the generator's,
    its deals planned; ``deals`` all of them (no, rep, team, customer, amount, day, model)."""
    op = OpportunityPlanner(seed=seed, today=today)
    current = planner.current
    since = add_months(current, -(max(HISTORY_MONTHS, len(planner.months)) - 1))
    books: dict[str, list[str]] = defaultdict(list)
    amounts: dict[str, list[float]] = defaultdict(list)
    for _no, rep, _team, customer, amount, day, _model in deals:
        books[rep].append(customer)
        amounts[rep].append(float(amount))
        if day >= since:
            op.won(owner=person_ids[rep], customer=customer, amount=float(amount), day=day)

    def selling(rep: str, days: list[dt.date]) -> list[dt.date]:
        person = planner.people[rep]
        return [d for d in days if (seg := person.on(min(d, today))) and seg.role == Role.REP]

    months = {m for _r, m in planner.rates if since <= m <= current}
    ahead = [current]
    while month_start(today + dt.timedelta(days=AHEAD_DAYS)) > ahead[-1]:
        ahead.append(add_months(ahead[-1], 1))
    for (rep, month), (usual, _form) in sorted(planner.rates.items()):
        if month in months:
            op.around(owner=person_ids[rep], customers=books[rep], amounts=amounts[rep],
                      usual=usual, days=selling(rep, planner.workdays(month)))  # fmt: skip
    last = today + dt.timedelta(days=AHEAD_DAYS)
    for rep in sorted(r for r, book in books.items() if book):
        if (rep, current) not in planner.rates or not selling(rep, [today]):
            continue
        usual, form = planner.rates[(rep, current)]
        for month in ahead:
            if month != current:
                form = op.rng.uniform(0.75, 1.25)
                op.around(owner=person_ids[rep], customers=books[rep], amounts=amounts[rep],
                          usual=usual, days=planner.workdays(month))  # fmt: skip
            days = planner.workdays(month)
            weights = _day_weights(len(days))
            for day, weight in zip(days, weights, strict=True):
                if today < day <= last:
                    for _i in range(_poisson(op.rng, usual * form * weight / sum(weights))):
                        op.won(owner=person_ids[rep], customer=op.rng.choice(books[rep]),
                               amount=op.rng.choice(amounts[rep]), day=day)  # fmt: skip
    return op.planned


def _day_weights(n: int) -> list[float]:
    """As the generator's deals: slow at a month's start, a rush at its end."""
    return [0.7 if i < 3 else 1.5 if i >= n - 5 else 1.0 for i in range(n)]


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def write_opportunities(
    planned: Iterable[PlannedOpportunity], customer_ids: Mapping[Hashable, int]
) -> tuple[int, int]:
    """Write the planned opportunities and their stage changes; returns (opportunities,
    changes). The opportunities are read back in the order written (the table's newest ids)."""
    plans = [p for p in planned if p.customer in customer_ids]
    rows = []
    for p in plans:
        last = p.last
        probability = "1" if last.to_stage == "won" else PROBABILITY.get(last.to_stage, "0")
        rows.append(
            (customer_ids[p.customer], p.owner, p.title, last.to_stage, last.amount,
             last.expected_close, Decimal(probability), p.events[0].at)
        )  # fmt: skip
    insert_values(
        Opportunity,
        ["customer_id", "owner_id", "title", "stage", "amount", "expected_close", "probability",
         "created_at"],
        rows,
    )  # fmt: skip
    ids = list(Opportunity.objects.order_by("-pk").values_list("pk", flat=True)[: len(rows)])
    ids.reverse()
    changes = [
        (pk, e.from_stage, e.to_stage, e.at, p.owner, e.amount, e.expected_close)
        for pk, p in zip(ids, plans, strict=True)
        for e in p.events
    ]
    insert_values(
        OpportunityStageChange,
        ["opportunity_id", "from_stage", "to_stage", "at", "by_id", "amount", "expected_close"],
        changes,
    )
    return len(rows), len(changes)
