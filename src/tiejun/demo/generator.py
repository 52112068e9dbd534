"""The demo company: a believable Chinese direct-sales force, generated from a seed.

``demo_build`` plans everything in memory first (units, people, memberships with a promotion and
transfers, targets cascaded down to every rep, daily won deals, the sales-model story and the
field work that places every customer), then writes each table once, rows complete, with bulk
inserts in one transaction (``tiejun.demo.bulk``: no per-row save, update or query), and lets the
closure table and the scoreboard facts rebuild from the rows, so the facts are exactly what the
services would have credited. The same seed and ``today`` give the same company.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils.translation import gettext as _

from tiejun.crm.models import Customer, Deal
from tiejun.errors import TiejunError
from tiejun.org.models import Membership, Person, Role, Unit, UnitKind
from tiejun.org.selectors import work_calendar
from tiejun.org.services import closure_rebuild
from tiejun.scoreboard.services import scoreboard_rebuild
from tiejun.targets.models import Target, TargetChange
from tiejun.workdays import WorkCalendar, add_months, month_start

from .alive import ScreenPlan, plan_screens, write_confirmations, write_offices, write_screens
from .bulk import ids_by, insert_rows
from .company import (
    ADMIN_NO,
    BRANCHES,
    CHANNELS,
    COMPANY_CODE,
    COMPANY_NAME,
    DEMO_PASSWORD,
    EMAIL_DOMAIN,
    GIVEN_SINGLE,
    GIVEN_TWO,
    INDUSTRIES,
    OTHER_WEIGHT,
    PACKAGES,
    REGIONS,
    SEASON,
    SURNAMES,
    TRADE_FIRST,
    TRADE_SECOND,
    BranchSpec,
    chinese_number,
)
from .field import Team, plan_field, write_field
from .opportunities import plan_demo_opportunities, write_opportunities
from .touches import plan_story, write_story

LEVELS_UP = (UnitKind.TEAM, UnitKind.BRANCH, UnitKind.REGION, UnitKind.COMPANY)
MIN_REPS = 12
TEAM_MAX = 9  # reps per team when the company is built; moves keep every team within 6–10
REP_BASE_REVENUE = 150_000  # an average rep's monthly revenue target in yuan
REP_BASE_CUSTOMERS = 3  # … and new customers
VISITS_PER_DAY = (5.0, 7.0)  # … and check-ins a working day (the demo's reps make 4–7)
AVERAGE_DEAL = 44_000
REPEAT_SHARE = 0.28  # deals with a customer the rep has sold to before
ZERO = Decimal(0)


@dataclass
class UnitPlan:
    code: str
    name: str
    kind: str
    parent: str | None
    sort: int
    branch: BranchSpec | None = None


@dataclass
class Segment:
    unit: str
    role: str
    valid_from: dt.date
    valid_to: dt.date | None = None


@dataclass
class PersonPlan:
    employee_no: str
    name: str
    start_date: dt.date
    phone: str
    skill: float = 0.0  # 1.0 = sells exactly the average target
    admin: bool = False
    segments: list[Segment] = field(default_factory=list)

    def move(self, unit: str, role: str, effective: dt.date) -> None:
        self.segments[-1].valid_to = effective - dt.timedelta(days=1)
        self.segments.append(Segment(unit, role, effective))

    def on(self, day: dt.date) -> Segment | None:
        for seg in self.segments:
            if seg.valid_from <= day and (seg.valid_to is None or day <= seg.valid_to):
                return seg
        return None


@dataclass
class DemoSummary:
    units: int
    people: int
    reps: int
    customers: int
    deals: int
    targets: int
    facts_rebuilt: list[str]
    first_month: dt.date
    today: dt.date
    sample_rep: str
    sample_supervisor: str
    sample_manager: str
    events: list[str]
    offices: int = 0
    screens: list[ScreenPlan] = field(default_factory=list)
    confirmed: int = 0
    owing: int = 0  # people who hold a target this month (confirmed or not)


class _Planner:
    def __init__(self, *, reps: int, months: int, seed: int, today: dt.date, cal: WorkCalendar):
        self.rng = random.Random(seed)
        # Its own stream, so that adding visit targets left every other draw as it was.
        self.visit_rng = random.Random(f"{seed}:visits")
        self.reps = reps
        self.today = today
        self.cal = cal
        self.current = month_start(today)
        self.months = [add_months(self.current, i - months + 1) for i in range(months)]
        self.first_day = self.months[0]
        self.units: dict[str, UnitPlan] = {}
        self.people: dict[str, PersonPlan] = {}
        self.branch_of_team: dict[str, UnitPlan] = {}
        self.events: list[str] = []
        self._names_used: set[str] = set()
        self._workdays: dict[dt.date, list[dt.date]] = {}
        # (rep, month) → (deals of a usual month, this month's form): the opportunity history
        # reads them (tiejun.demo.opportunities); recording them draws nothing
        self.rates: dict[tuple[str, dt.date], tuple[float, float]] = {}

    # ---- people -------------------------------------------------------------------------
    def name(self) -> str:
        for _attempt in range(20):
            given = (
                self.rng.choice(GIVEN_TWO)
                if self.rng.random() < 0.45
                else self.rng.choice(GIVEN_SINGLE)
                + (self.rng.choice(GIVEN_SINGLE) if self.rng.random() < 0.5 else "")
            )
            full = self.rng.choice(SURNAMES) + given
            if full not in self._names_used:
                break
        self._names_used.add(full)
        return full

    def person(
        self, no: str, unit: str, role: str, start: dt.date, skill: float = 0.0
    ) -> PersonPlan:
        phone = (
            "1" + self.rng.choice("3589") + "".join(self.rng.choice("0123456789") for _ in range(9))
        )
        p = PersonPlan(no, self.name(), start, phone, skill)
        p.segments.append(Segment(unit, role, start))
        self.people[no] = p
        return p

    def hire_date(self, years: float) -> dt.date:
        days = self.rng.randint(20, max(21, int(365 * years)))
        return self.first_day - dt.timedelta(days=days)

    def skill(self) -> float:
        r = self.rng.random()
        if r < 0.10:
            return self.rng.uniform(1.45, 2.1)  # the stars, far ahead
        if r < 0.30:
            return self.rng.uniform(1.05, 1.4)
        if r < 0.75:
            return self.rng.uniform(0.8, 1.05)
        return self.rng.uniform(0.3, 0.75)  # behind, some far behind

    # ---- org ----------------------------------------------------------------------------
    def plan_org(self) -> None:
        n_teams = max(2, math.ceil(self.reps / TEAM_MAX))
        opened = {r.code for r in REGIONS if r.min_teams <= n_teams}
        branches = [b for b in BRANCHES if b.region in opened][:n_teams]
        teams_per_branch = _spread(n_teams, [b.weight for b in branches])
        sizes = _sizes(self.reps, n_teams, self.rng)
        self.units[COMPANY_CODE] = UnitPlan(COMPANY_CODE, COMPANY_NAME, UnitKind.COMPANY, None, 0)
        for i, region in enumerate(r for r in REGIONS if any(b.region == r.code for b in branches)):
            self.units[region.code] = UnitPlan(
                region.code, region.name, UnitKind.REGION, COMPANY_CODE, i
            )
        admin = self.person(ADMIN_NO, COMPANY_CODE, Role.ADMIN, self.hire_date(5))
        admin.admin = True
        self.person(f"{COMPANY_CODE}-0001", COMPANY_CODE, Role.MANAGER, self.hire_date(8))
        self.person(f"{COMPANY_CODE}-0002", COMPANY_CODE, Role.COORDINATOR, self.hire_date(4))
        for code in (c for c, u in self.units.items() if u.kind == UnitKind.REGION):
            self.person(f"{code}-0000", code, Role.MANAGER, self.hire_date(7))
            self.person(f"{code}-0001", code, Role.COORDINATOR, self.hire_date(3))
        size_iter = iter(sizes)
        for i, (spec, count) in enumerate(zip(branches, teams_per_branch, strict=True)):
            branch = UnitPlan(
                f"{spec.region}-{spec.code}", spec.name, UnitKind.BRANCH, spec.region, i, spec
            )
            self.units[branch.code] = branch
            self.person(f"{branch.code}-0000", branch.code, Role.MANAGER, self.hire_date(6))
            for t in range(1, count + 1):
                team = self.add_team(branch, t)
                self.person(f"{team.code}00", team.code, Role.SUPERVISOR, self.hire_date(5))
                for seat in range(1, next(size_iter) + 1):
                    self.person(
                        f"{team.code}{seat:02d}",
                        team.code,
                        Role.REP,
                        self.hire_date(3),
                        self.skill(),
                    )

    def add_team(self, branch: UnitPlan, number: int) -> UnitPlan:
        assert branch.branch is not None
        team = UnitPlan(
            f"{branch.code}-{number:02d}",
            f"{branch.branch.city}{chinese_number(number)}组",
            UnitKind.TEAM,
            branch.code,
            number,
            branch.branch,
        )
        self.units[team.code] = team
        self.branch_of_team[team.code] = branch
        return team

    def reps_in(self, day: dt.date) -> dict[str, list[PersonPlan]]:
        """Team code → reps on ``day``, in employee-number order."""
        out: dict[str, list[PersonPlan]] = {
            c: [] for c, u in self.units.items() if u.kind == UnitKind.TEAM
        }
        for p in self.people.values():
            seg = p.on(day)
            if seg is not None and seg.role == Role.REP:
                out[seg.unit].append(p)
        return out

    def mid_month(self, month: dt.date, day_of_month: int) -> dt.date | None:
        """A working day in the middle of ``month`` on or before today, if there is one."""
        day = month.replace(day=day_of_month)
        while not self.cal.is_workday(day):
            day += dt.timedelta(days=1)
        return day if day <= self.today and day > self.first_day else None

    # ---- events: a promotion and transfers, each in the middle of a month ----------------
    def plan_events(self) -> None:
        n = len(self.months)
        promo_month = self.months[-3] if n >= 3 else self.months[-2] if n >= 2 else self.current
        transfer_months = [self.months[-2] if n >= 2 else self.current]
        if n >= 4:
            transfer_months.insert(0, self.months[-4])
        timeline: list[tuple[dt.date, str]] = []
        day = self.mid_month(promo_month, 12)
        if day is not None:
            timeline.append((day, "promotion"))
        for month in transfer_months:
            day = self.mid_month(month, 18)
            if day is not None:
                timeline.append((day, "transfers"))
        transfers = max(2, self.reps // 60)
        per_batch = (
            [transfers - transfers // 2, transfers // 2]
            if len(transfer_months) == 2
            else [transfers]
        )
        batches = iter(per_batch)
        for day, kind in sorted(timeline):
            if kind == "promotion":
                self.promote(day)
            else:
                self.transfer(day, next(batches))

    def promote(self, day: dt.date) -> None:
        """The best rep of the biggest branch becomes supervisor of a new team there."""
        teams = self.reps_in(day)
        by_branch: dict[str, list[str]] = defaultdict(list)
        for team in teams:
            by_branch[self.units[team].parent or ""].append(team)
        branch_code = max(by_branch, key=lambda b: (len(by_branch[b]), -self.units[b].sort))
        branch = self.units[branch_code]
        source = max(by_branch[branch_code], key=lambda t: (len(teams[t]), t))
        star = max(teams[source], key=lambda p: p.skill)
        new_team = self.add_team(branch, len(by_branch[branch_code]) + 1)
        star.move(new_team.code, Role.SUPERVISOR, day)
        self.events.append(f"{day} promotion {star.employee_no} → {new_team.code}")
        if len(teams[source]) <= 6:  # keep the source team at six or more: hire a successor
            seat = 1 + max(int(p.employee_no[-2:]) for p in self.people.values()
                           if p.employee_no[:-2] == source)  # fmt: skip
            self.person(f"{source}{seat:02d}", source, Role.REP, day, self.rng.uniform(0.5, 0.9))
        members = 0
        donors = sorted(
            (t for t in by_branch[branch_code] if t != source and len(teams[t]) >= 8),
            key=lambda t: (-len(teams[t]), t),
        )[:3]
        for donor in donors:
            rep = self.rng.choice(teams[donor])
            rep.move(new_team.code, Role.REP, day)
            self.events.append(f"{day} transfer {rep.employee_no} {donor} → {new_team.code}")
            members += 1
        seat = 1
        while members < 7:
            self.person(
                f"{new_team.code}{seat:02d}",
                new_team.code,
                Role.REP,
                day,
                self.rng.uniform(0.5, 0.9),
            )
            seat += 1
            members += 1
        self.events.append(f"{day} hired {seat - 1} reps into {new_team.code}")

    def transfer(self, day: dt.date, count: int) -> None:
        for _i in range(count):
            teams = self.reps_in(day)
            donors = [t for t, reps in teams.items() if len(reps) >= 8]
            if not donors:
                donors = [t for t, reps in teams.items() if len(reps) >= 7]
            if not donors:
                return
            donor = self.rng.choice(donors)
            branch = self.units[donor].parent

            def closeness(
                t: str, branch: str | None = branch, teams: dict = teams
            ) -> tuple[int, int, str]:
                same_branch = self.units[t].parent == branch
                return (0 if same_branch else 1, len(teams[t]), t)

            receivers = sorted(
                (t for t in teams if t != donor and len(teams[t]) <= 8), key=closeness
            )
            if not receivers:
                return
            receiver = receivers[0]
            movable = [p for p in teams[donor] if p.segments[-1].valid_from < day]
            if not movable:
                return
            rep = self.rng.choice(movable)
            rep.move(receiver, Role.REP, day)
            self.events.append(f"{day} transfer {rep.employee_no} {donor} → {receiver}")

    # ---- targets ------------------------------------------------------------------------
    def plan_targets(self) -> list[tuple[dt.date, str, str, str, Decimal]]:
        """(month, metric, scope, code, value) for every month and the next one.

        ``visits`` targets (5–7 check-ins a working day per rep) are set for this month and the
        next only: the demo's visits cover the last weeks, so an older month would look empty.
        """
        out: list[tuple[dt.date, str, str, str, Decimal]] = []
        target_months = [*self.months, add_months(self.current, 1)]
        gap_team = self._gap_team()
        for index, month in enumerate(target_months):
            # Nobody moves after today: next month starts with the teams of today.
            teams = self.reps_in(month if month <= self.current else self.today)
            season = SEASON[month.month] * (1 + 0.01 * index)
            team_sums: dict[str, dict[str, Decimal]] = {}
            for team_code, reps in teams.items():
                if not reps:
                    continue
                level = self.units[team_code].branch.level  # type: ignore[union-attr]
                sums = {"revenue": ZERO, "new_customers": ZERO}
                if month >= self.current:
                    sums["visits"] = ZERO
                for rep in reps:
                    lean = (0.85 + 0.15 * rep.skill) * self.rng.uniform(0.92, 1.08)
                    revenue = _floor(Decimal(REP_BASE_REVENUE * level * season * lean), 1000)
                    customers = Decimal(max(1, round(REP_BASE_CUSTOMERS * season * lean)))
                    out.append((month, "revenue", "person", rep.employee_no, revenue))
                    out.append((month, "new_customers", "person", rep.employee_no, customers))
                    sums["revenue"] += revenue
                    sums["new_customers"] += customers
                    if month >= self.current:
                        pace = self.visit_rng.uniform(VISITS_PER_DAY[0], VISITS_PER_DAY[1])
                        visits = Decimal(round(len(self.workdays(month)) * pace))
                        out.append((month, "visits", "person", rep.employee_no, visits))
                        sums["visits"] += visits
                team_sums[team_code] = sums
            # 层层绑定: each level commits a little more than the level above asks for.
            for metric, cushion, steps in (
                ("revenue", "1.03", (1000, 10000, 10000, 100000)),
                ("new_customers", "1.05", (1, 1, 1, 1)),
                ("visits", "1.05", (10, 10, 100, 100)),
            ):
                if month < self.current and metric == "visits":
                    continue
                level_sums = {t: s[metric] for t, s in team_sums.items()}
                for kind, unit_step in zip(LEVELS_UP, steps, strict=True):
                    parents: dict[str, Decimal] = defaultdict(lambda: ZERO)
                    for code, children_sum in level_sums.items():
                        value = _floor(children_sum / Decimal(cushion), unit_step)
                        if (
                            kind == UnitKind.TEAM
                            and code == gap_team
                            and metric == "revenue"
                            and month >= self.current
                        ):
                            # A deliberate allocation gap: the team was given more than its reps took.
                            value = _floor(children_sum * Decimal("1.06"), 1000)
                        out.append((month, metric, "unit", code, value))
                        parent = self.units[code].parent
                        if parent is not None:
                            parents[parent] += value
                    level_sums = dict(parents)
        return out

    def _gap_team(self) -> str:
        teams = [u for u in self.units.values() if u.kind == UnitKind.TEAM]
        wz = [t for t in teams if t.parent == "ZJ-WZ"]
        return (wz or teams)[-1].code

    # ---- deals --------------------------------------------------------------------------
    def workdays(self, month: dt.date) -> list[dt.date]:
        if month not in self._workdays:
            self._workdays[month] = self.cal.month_workdays(month)
        return self._workdays[month]

    def plan_deals(self) -> tuple[list[tuple[str, str, str]], list[tuple]]:
        """Customers (code, name, branch industry) and deals (no, rep, team, customer, amount, day, channel)."""
        customers: list[tuple[str, str, str]] = []
        deals: list[tuple] = []
        per_day: dict[dt.date, int] = defaultdict(int)
        channel_values = [c for c, _w in CHANNELS]
        channel_weights = [w for _c, w in CHANNELS]
        amounts = [a for a, _w in PACKAGES] + [0]
        amount_weights = [w for _a, w in PACKAGES] + [OTHER_WEIGHT]
        names_used: set[str] = set()
        reps = [p for p in self.people.values() if any(s.role == Role.REP for s in p.segments)]
        for rep in reps:
            pool: list[str] = []
            for index, month in enumerate(self.months):
                days = self.workdays(month)
                if not days:
                    continue
                weights = _day_weights(len(days))
                level = self.units[rep.segments[0].unit].branch.level  # type: ignore[union-attr]
                form = self.rng.uniform(0.75, 1.25)  # a good month, a bad month
                expected = (
                    REP_BASE_REVENUE * level * SEASON[month.month] * (1 + 0.01 * index)
                    * rep.skill * form / AVERAGE_DEAL
                )  # fmt: skip
                self.rates[(rep.employee_no, month)] = (expected / form, form)
                total_weight = sum(weights)
                for day, weight in zip(days, weights, strict=True):
                    if day > self.today:
                        break
                    seg = rep.on(day)
                    if seg is None or seg.role != Role.REP:
                        continue
                    for _i in range(_poisson(self.rng, expected * weight / total_weight)):
                        if pool and self.rng.random() < REPEAT_SHARE:
                            customer = self.rng.choice(pool)
                        else:
                            spec = self.units[seg.unit].branch
                            assert spec is not None
                            customer = f"C{len(customers) + 1:07d}"
                            name = self.customer_name(spec.industry, names_used)
                            customers.append((customer, name, spec.industry))
                            pool.append(customer)
                        amount = self.rng.choices(amounts, amount_weights)[0]
                        if amount == 0:
                            amount = self.rng.randint(50, 500) * 100
                        channel = self.rng.choices(channel_values, channel_weights)[0]
                        per_day[day] += 1
                        deal_no = f"{COMPANY_CODE}{day:%y%m%d}{per_day[day]:05d}"
                        deals.append(
                            (deal_no, rep.employee_no, seg.unit, customer, amount, day, channel)
                        )
        return customers, deals

    def customer_name(self, industry: str, used: set[str]) -> str:
        places, trades = INDUSTRIES[industry]
        name = ""
        for _attempt in range(8):
            first = self.rng.choice(TRADE_FIRST)
            second = self.rng.choice(TRADE_SECOND)
            if first == second:
                continue
            name = f"{self.rng.choice(places)}{first}{second}{self.rng.choice(trades)}"
            if name not in used:
                break
        used.add(name)
        return name


def _spread(total: int, weights: list[int]) -> list[int]:
    """``total`` split over ``weights``, at least one each, by largest remainder."""
    n = len(weights)
    rest = total - n
    raw = [rest * w / sum(weights) for w in weights]
    out = [1 + int(r) for r in raw]
    left = total - sum(out)
    order = sorted(range(n), key=lambda i: (-(raw[i] - int(raw[i])), i))
    for i in order[:left]:
        out[i] += 1
    return out


def _sizes(reps: int, teams: int, rng: random.Random) -> list[int]:
    """Reps per team: near even, with a little variety, every team 7–9 (6 when there are few)."""
    base, extra = divmod(reps, teams)
    sizes = [base + (1 if i < extra else 0) for i in range(teams)]
    for _i in range(teams):
        a, b = rng.randrange(teams), rng.randrange(teams)
        if a != b and sizes[a] > 7 and sizes[b] < 9:
            sizes[a] -= 1
            sizes[b] += 1
    return sizes


def _day_weights(n: int) -> list[float]:
    """Deals come slowly at the start of a month and in a rush at its end."""
    return [0.7 if i < 3 else 1.5 if i >= n - 5 else 1.0 for i in range(n)]


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _floor(value: Decimal, step: int) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def demo_build(
    *, reps: int = 150, months: int = 6, seed: int = 2026, today: dt.date, history_years: int = 2
) -> DemoSummary:
    """Build the demo company into an empty database (the caller checks it is empty)."""
    if reps < MIN_REPS:
        raise TiejunError(
            _("the demo needs at least %(count)d reps") % {"count": MIN_REPS}, field="reps"
        )
    if not 1 <= months <= 36:
        raise TiejunError(_("the demo covers 1 to 36 months"), field="months")
    if not 0 <= history_years <= 5:
        raise TiejunError(_("the demo's touch history covers 0 to 5 years"), field="history_years")
    planner = _Planner(reps=reps, months=months, seed=seed, today=today, cal=work_calendar())
    planner.plan_org()
    planner.plan_events()
    targets = planner.plan_targets()
    customers, deals = planner.plan_deals()
    # The sales-model story (tiejun.demo.touches): history deals, channels, touches and events.
    customers, deals, story = plan_story(planner, customers, deals, years=history_years, seed=seed)
    screens = plan_screens(planner.units.values(), seed=seed)
    password = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        unit_ids = _write_units(planner.units.values())
        person_ids = _write_people(planner.people.values(), password)
        Membership.objects.bulk_create(
            [
                Membership(
                    person_id=person_ids[p.employee_no],
                    unit_id=unit_ids[s.unit],
                    role=s.role,
                    valid_from=s.valid_from,
                    valid_to=s.valid_to,
                )
                for p in planner.people.values()
                for s in p.segments
            ],
            batch_size=2000,
        )
        admin_id = person_ids[ADMIN_NO]
        target_rows: list[dict[str, Any]] = [
            {
                "month": month,
                "metric": metric,
                "value": value,
                **(
                    {"unit_id": unit_ids[code]}
                    if scope == "unit"
                    else {"person_id": person_ids[code]}
                ),
            }
            for month, metric, scope, code, value in targets
        ]
        insert_rows([Target(**row) for row in target_rows])
        insert_rows(
            [
                TargetChange(
                    month=row["month"],
                    metric=row["metric"],
                    unit_id=row.get("unit_id"),
                    person_id=row.get("person_id"),
                    old_value=None,
                    new_value=row["value"],
                    changed_by_id=admin_id,
                )
                for row in target_rows
            ]
        )
        # Every customer row is complete before it is written: the field work places them.
        field_work = plan_field(
            today=today,
            seed=seed,
            cal=planner.cal,
            teams=_teams(planner.units, unit_ids),
            current=_current(planner.people.values(), today, unit_ids, person_ids),
            customers=[Customer(code=code, name=name) for code, name, _industry in customers],
            deals=[
                (customer, day, person_ids[rep], unit_ids[team], amount)
                for _no, rep, team, customer, amount, day, _channel in deals
            ],
        )
        insert_rows(field_work.customers)
        customer_ids = ids_by(field_work.customers, "code")
        insert_rows(
            [
                Deal(
                    deal_no=no,
                    person_id=person_ids[rep],
                    unit_id=unit_ids[team],
                    customer_id=customer_ids[customer],
                    amount=Decimal(amount),
                    won_date=day,
                    channel=channel,
                )
                for no, rep, team, customer, amount, day, channel in deals
            ]
        )
        write_story(story, unit_ids=unit_ids, person_ids=person_ids, customer_ids=customer_ids)
        write_field(field_work)
        write_opportunities(
            plan_demo_opportunities(planner, deals, person_ids, seed=seed, today=today),
            customer_ids,
        )
        offices = write_offices(planner.units.values(), unit_ids, seed=seed)
        write_screens(screens, unit_ids, person_ids)
        closure_rebuild()
        confirmed, owing = write_confirmations(
            unit_ids[COMPANY_CODE], today=today, cal=planner.cal, seed=seed
        )
        # The rebuild reads the rows just loaded: without statistics PostgreSQL's planner takes
        # the tables for empty and scans the deals and visits once per membership.
        _analyze()
        sources = scoreboard_rebuild()
    # After a bulk load the query planner needs fresh statistics: without them SQLite reads every
    # fact of the month for a branch board instead of the branch's own (see docs/benchmarks.md).
    _analyze()
    first_team = next(c for c, u in planner.units.items() if u.kind == UnitKind.TEAM)
    return DemoSummary(
        units=len(planner.units),
        people=len(planner.people),
        reps=sum(1 for p in planner.people.values() if p.segments[-1].role == Role.REP),
        customers=len(customers),
        deals=len(deals),
        targets=len(targets),
        facts_rebuilt=sources,
        first_month=min(planner.first_day, story.first_month or planner.first_day),
        today=today,
        sample_rep=f"{first_team}01",
        sample_supervisor=f"{first_team}00",
        sample_manager=f"{planner.units[first_team].parent}-0000",
        events=planner.events,
        offices=offices,
        screens=screens,
        confirmed=confirmed,
        owing=owing,
    )


def _write_units(units: Iterable[UnitPlan]) -> dict[str, int]:
    ids: dict[str, int] = {}
    plans = list(units)
    for kind in (UnitKind.COMPANY, UnitKind.REGION, UnitKind.BRANCH, UnitKind.TEAM):
        rows = [
            Unit(
                code=u.code,
                name=u.name,
                kind=u.kind,
                sort=u.sort,
                parent_id=ids.get(u.parent or ""),
            )
            for u in plans
            if u.kind == kind
        ]
        for unit in Unit.objects.bulk_create(rows, batch_size=1000):
            ids[unit.code] = unit.pk
    return ids


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _teams(units: dict[str, UnitPlan], unit_ids: dict[str, int]) -> dict[int, Team]:
    return {
        unit_ids[u.code]: Team(name=u.name, city=(u.parent or "").split("-")[-1])
        for u in units.values()
        if u.kind == UnitKind.TEAM
    }


def _current(
    people: Iterable[PersonPlan],
    today: dt.date,
    unit_ids: dict[str, int],
    person_ids: dict[str, int],
) -> dict[int, tuple[str, int]]:
    """Person id → (role, team id) of every rep and supervisor on ``today``."""
    out: dict[int, tuple[str, int]] = {}
    for p in people:
        seg = p.on(today)
        if seg is not None and seg.role in (Role.REP, Role.SUPERVISOR):
            out[person_ids[p.employee_no]] = (seg.role, unit_ids[seg.unit])
    return out


def _write_people(people: Iterable[PersonPlan], password: str) -> dict[str, int]:
    rows = [
        Person(
            employee_no=p.employee_no,
            name=p.name,
            email=f"{p.employee_no.lower()}@{EMAIL_DOMAIN}",
            phone=p.phone,
            start_date=p.start_date,
            password=password,
            is_staff=p.admin,
            is_superuser=p.admin,
        )
        for p in people
    ]
    return {p.employee_no: p.pk for p in Person.objects.bulk_create(rows, batch_size=1000)}


def demo_fingerprint() -> str:
    """A digest of the demo's rows by their natural keys (not ids, not password hashes)."""
    digest = hashlib.sha256()

    def feed(rows: Iterable[tuple]) -> None:
        for row in rows:
            digest.update(repr(row).encode())
        digest.update(b"|")

    feed(Unit.objects.order_by("code").values_list("code", "name", "kind", "parent__code", "sort"))
    feed(
        Person.objects.order_by("employee_no").values_list(
            "employee_no", "name", "email", "phone", "start_date"
        )
    )
    feed(
        Membership.objects.order_by("person__employee_no", "valid_from").values_list(
            "person__employee_no", "unit__code", "role", "valid_from", "valid_to"
        )
    )
    feed(
        Target.objects.order_by("month", "metric", "unit__code", "person__employee_no").values_list(
            "month", "metric", "unit__code", "person__employee_no", "value"
        )
    )
    feed(
        Customer.objects.order_by("code").values_list(
            "code",
            "name",
            "lat",
            "lon",
            "status",
            "priority",
            "owner__employee_no",
            "unit__code",
            "last_activity_on",
        )
    )
    feed(
        Deal.objects.order_by("deal_no").values_list(
            "deal_no",
            "person__employee_no",
            "unit__code",
            "customer__code",
            "amount",
            "won_date",
            "channel",
        )
    )
    return digest.hexdigest()
