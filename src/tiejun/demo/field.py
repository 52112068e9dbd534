"""The demo company's field work: where its customers are, who holds them, the open pool, the
last weeks of visits, daily reports, field notes and tomorrow's visit plans.

Planned in memory (``plan_field``: deterministic for a seed) while the generator plans the rest,
so every customer row is written once, complete, before the deals that name it; ``write_field``
then bulk-inserts the rest. The visits reach the board's `visits` metric through the scoreboard
rebuild that follows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from django.db.models import Max
from django.utils import timezone

from tiejun.crm.models import (
    Contact,
    Customer,
    CustomerStatus,
    Opportunity,
    OpportunityStageChange,
    Priority,
)
from tiejun.field.models import DailyReport, FieldNote, Interest, PlanStop, Visit, VisitPlan
from tiejun.org.models import Role
from tiejun.workdays import WorkCalendar

from .bulk import insert_rows

# Where each branch's customers are: the city centre (lat, lon) of the branch code.
CITY_CENTRES: dict[str, tuple[float, float]] = {
    "HZ": (30.2741, 120.1551),
    "NB": (29.8683, 121.5440),
    "SU": (31.2990, 120.5853),
    "YW": (29.3069, 120.0751),
    "WZ": (27.9938, 120.6994),
    "JH": (28.8880, 120.0470),
    "NJ": (32.0603, 118.7969),
    "TZ": (28.6564, 121.4208),
    "WX": (31.4912, 120.3119),
    "PD": (31.2215, 121.5447),
    "GZ": (23.1291, 113.2644),
    "SZ": (22.5431, 114.0579),
    "MH": (31.1129, 121.3816),
    "DG": (23.0207, 113.7518),
    "SJ": (31.0322, 121.2277),
    "FS": (23.0218, 113.1219),
}
STREETS = [
    "人民路",
    "解放路",
    "工业大道",
    "科技路",
    "创业路",
    "建设路",
    "中山路",
    "滨江路",
    "经济开发区",
]
TITLES = ["总经理", "采购经理", "外贸经理", "副总经理", "老板娘", "电商主管"]
NEXT_STEPS = ["发送报价", "约老板面谈", "安排产品演示", "邀请参加沙龙", "等待预算审批", "签约"]
FEEDBACK = [
    "客户关心询盘质量，希望看到同行案例",
    "老板认可平台，但担心外贸团队跟不上",
    "去年效果一般，需要重新梳理关键词",
    "对直播推广很感兴趣",
    "预算要等月底财务确认",
]
NOTES = [
    ("五金工厂老板", "价格太贵，去年没效果", "拿同镇三家工厂的询盘数据对比，算清一单的回本周期"),
    ("外贸公司经理", "已经在用别的平台", "不否定对方平台，强调多渠道获客，先做小套餐试水"),
    ("小商品批发商", "不会做外贸", "现场演示后台操作，承诺前三个月陪跑"),
    ("服装厂老板娘", "要和老公商量", "约两人一起的时间，准备好案例视频当场播放"),
    ("电子公司采购", "预算已用完", "确认下个预算周期的时间，提前锁定方案"),
]
INTERESTS = list(Interest.values)
TAGS = ["价格异议", "竞品", "决策人", "预算", "外贸团队"]
WINDOW_WORKDAYS = 15


def _jitter(rng: random.Random, centre: tuple[float, float], km: float) -> tuple[Decimal, Decimal]:
    lat, lon = centre
    dlat = rng.gauss(0, km) / 111.0
    dlon = rng.gauss(0, km) / (111.0 * math.cos(math.radians(lat)))
    return Decimal(f"{lat + dlat:.6f}"), Decimal(f"{lon + dlon:.6f}")


def _near(rng: random.Random, lat: Decimal, lon: Decimal, metres: float) -> tuple[Decimal, Decimal]:
    return _jitter(rng, (float(lat), float(lon)), metres / 1000.0)


@dataclass(frozen=True)
class Team:
    """A team as its field work needs it."""

    name: str
    city: str  # its branch's own code part: the key of CITY_CENTRES


# (customer code, won date, person id, unit id, amount), in the order the deals are written
DealRow = tuple[str, dt.date, int, int, int]


@dataclass
class FieldWork:
    """The demo's field rows, planned in memory.

    ``customers`` are every customer row to write: the deals' customers (placed, held or pooled)
    followed by the prospects. The generator writes them before the deals; ``write_field``
    writes the rest once they have ids.
    """

    customers: list[Customer]
    contacts: list[Contact] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    reports: list[DailyReport] = field(default_factory=list)
    notes: list[FieldNote] = field(default_factory=list)
    plans: list[VisitPlan] = field(default_factory=list)
    stops: list[PlanStop] = field(default_factory=list)
    today: dt.date | None = None  # the demo's today: the open opportunities' history ends there


def plan_field(
    *,
    today: dt.date,
    seed: int,
    cal: WorkCalendar,
    teams: Mapping[int, Team],
    current: Mapping[int, tuple[str, int]],
    customers: list[Customer],
    deals: Iterable[DealRow],
) -> FieldWork:
    """Place the deals' ``customers`` (unsaved rows) and plan the recent field work.

    ``teams`` maps team ids to teams; ``current`` maps the id of each person who is a rep or a
    supervisor on ``today`` to (role, team id).
    """
    planner = _FieldPlanner(today=today, seed=seed, cal=cal, teams=teams, current=current)
    placed = planner.place_customers(customers, deals)
    prospects = planner.prospects()
    everyone = placed + prospects
    work = FieldWork(customers=customers + prospects, today=today)
    work.contacts = planner.contacts(everyone)
    work.opportunities = planner.opportunities(everyone)
    work.visits, work.reports = planner.visits_and_reports()
    for c in everyone:
        c.last_activity_on = planner.last_activity(c.code)
    work.notes = planner.field_notes()
    work.plans, work.stops = planner.tomorrows_plans()
    return work


def write_field(work: FieldWork) -> dict[str, int]:
    """Write the field rows after ``work.customers``; returns row counts."""
    opened = _opened(work)
    insert_rows(work.contacts)
    before = Opportunity.objects.aggregate(last=Max("pk"))["last"] or 0
    insert_rows(work.opportunities, dated=True)
    for rows in (work.visits, work.reports, work.notes):
        insert_rows(rows)
    _open_history(work, opened, after_pk=before)
    VisitPlan.objects.bulk_create(work.plans)  # a stop names its plan: the plans need their ids
    insert_rows(work.stops)
    return {
        "customers": len(work.customers),
        "visits": len(work.visits),
        "daily_reports": len(work.reports),
        "field_notes": len(work.notes),
        "plans": len(work.plans),
    }


def _opened(work: FieldWork) -> list[list[tuple[str, dt.datetime]]]:
    """Each open opportunity's way to its stage: opened one to five weeks before today, moved
    on since (its own random stream: the field work's draws stay as they were). Sets each
    opportunity's ``created_at`` to its opening."""
    if work.today is None:
        return [[] for _o in work.opportunities]
    rng = random.Random(f"{work.today}:opportunities-opened")
    tz = timezone.get_current_timezone()
    stages = ["lead", "qualified", "proposal", "negotiation"]
    out = []
    for opp in work.opportunities:
        age = rng.randint(7, 35)
        end = stages.index(opp.stage) if opp.stage in stages else 0
        path = stages[min(end, rng.choice([0, 0, 1])) : end + 1]
        days = sorted(rng.randint(1, age - 1) for _s in path[1:])
        steps = [age, *[age - d for d in days]]
        out.append(
            [
                (stage, dt.datetime.combine(
                    work.today - dt.timedelta(days=back), dt.time(9 + rng.randint(0, 8)), tz
                ))
                for stage, back in zip(path, steps, strict=True)
            ]
        )  # fmt: skip
        opp.created_at = out[-1][0][1]
    return out


def _open_history(
    work: FieldWork, opened: list[list[tuple[str, dt.datetime]]], *, after_pk: int
) -> None:
    """The open opportunities' stage history, dated (one read of their ids, one set-based
    insert): the pipeline the evening review counts on, with the estimate of today.

    The ids are those the insert just numbered (above ``after_pk``, in the order written),
    checked row by row against the opportunities written: a row numbered by anything else
    stops the demo instead of giving an opportunity another's history."""
    written = list(
        Opportunity.objects.filter(pk__gt=after_pk)
        .order_by("pk")
        .values_list("pk", "customer_id", "title")
    )
    expected = [(o.customer_id, o.title) for o in work.opportunities]
    if [(c, t) for _pk, c, t in written] != expected:
        raise RuntimeError("the demo's opportunities were not numbered in the order written")
    ids = [pk for pk, _c, _t in written]
    rows = []
    for pk, opp, steps in zip(ids, work.opportunities, opened, strict=True):
        before = ""
        for stage, at in steps or [(opp.stage, timezone.now())]:
            rows.append(
                OpportunityStageChange(
                    opportunity_id=pk,
                    from_stage=before,
                    to_stage=stage,
                    at=at,
                    amount=opp.amount,
                    expected_close=opp.expected_close,
                )
            )
            before = stage
    insert_rows(rows, dated=True)


class _FieldPlanner:
    def __init__(
        self,
        *,
        today: dt.date,
        seed: int,
        cal: WorkCalendar,
        teams: Mapping[int, Team],
        current: Mapping[int, tuple[str, int]],
    ) -> None:
        self.rng = random.Random(f"field-{seed}")
        self.tz = timezone.get_current_timezone()
        self.today = today
        self.cal = cal
        self.teams = teams
        self.current = current
        self.reps_by_team: dict[int, list[int]] = defaultdict(list)
        self.supervisor_of: dict[int, int] = {}
        for person_id, (role, team_id) in sorted(current.items()):
            if role == Role.REP:
                self.reps_by_team[team_id].append(person_id)
            else:
                self.supervisor_of[team_id] = person_id
        self.owned: dict[int, list[Customer]] = defaultdict(list)
        self.latest: dict[str, tuple[dt.date, int, int]] = {}  # code → (day, person, team)
        self.last_visit: dict[str, dt.date] = {}
        # Up to yesterday: the demo is the same whatever the time of day it is built.
        self.days = cal.previous_workdays(today, WINDOW_WORKDAYS)

    def centre(self, team_id: int) -> tuple[float, float]:
        team = self.teams.get(team_id)
        return CITY_CENTRES.get(team.city if team else "", CITY_CENTRES["HZ"])

    def at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=self.tz)

    # ---- customers ----------------------------------------------------------------------
    def place_customers(
        self, customers: list[Customer], deals: Iterable[DealRow]
    ) -> list[Customer]:
        """Customers placed around their branch's city, held by the rep of their latest deal if
        that rep still sells, else in the open pool; priority by what they bought."""
        spend: dict[str, Decimal] = defaultdict(Decimal)
        for code, day, person_id, unit_id, amount in sorted(deals, key=itemgetter(1)):
            self.latest[code] = (day, person_id, unit_id)  # the last deal of the latest day
            spend[code] += Decimal(amount)
        placed = [c for c in customers if c.code in self.latest]
        for c in placed:
            self._place(c, spend[c.code])
        return placed

    def _place(self, c: Customer, total: Decimal) -> None:
        rng = self.rng
        day, person_id, unit_id = self.latest[c.code]
        c.lat, c.lon = _jitter(rng, self.centre(unit_id), 6.0)
        c.unit_id = unit_id  # whose pool it returns to: the team of its latest deal
        c.address = f"{rng.choice(STREETS)}{rng.randint(1, 899)}号"
        c.industry = c.name.split("市")[-1][-8:].replace("有限公司", "").replace("厂", "")[-4:]
        c.status = CustomerStatus.CUSTOMER
        c.priority = Priority.A if total >= 80000 else Priority.B if total >= 30000 else Priority.C
        c.opens_at, c.closes_at = dt.time(8, 30), dt.time(17, 30)
        c.phone = f"0{rng.randint(570, 579)}-{rng.randint(8000000, 8999999)}"
        holder = self.current.get(person_id)
        if holder is not None and holder[0] == Role.REP and rng.random() < 0.85:
            c.owner_id = person_id
            c.owned_since = self.at(day, dt.time(18, 0))
            self.owned[person_id].append(c)
        else:
            c.owner_id = None

    def prospects(self) -> list[Customer]:
        """Each rep's own prospects, and an open pool per team."""
        rng = self.rng
        out: list[Customer] = []
        for team_id, reps in sorted(self.reps_by_team.items()):
            centre = self.centre(team_id)
            prefix = self.teams[team_id].name[:2]
            owners: list[int | None] = [*reps, None, None, None, None]
            for owner_id in owners:
                for _i in range(6 if owner_id else 1):
                    lat, lon = _jitter(rng, centre, 8.0)
                    p = Customer(
                        code=f"P{len(out) + 1:07d}",
                        name=f"{prefix}{rng.choice('华盛达鑫隆兴泰恒')}{rng.choice('源丰昌茂祥瑞')}"
                        f"{rng.choice(['贸易', '实业', '制品', '科技', '工贸'])}有限公司",
                        lat=lat,
                        lon=lon,
                        address=f"{rng.choice(STREETS)}{rng.randint(1, 899)}号",
                        status=CustomerStatus.PROSPECT,
                        priority=rng.choice([Priority.B, Priority.C, Priority.C]),
                        opens_at=dt.time(8, 30),
                        closes_at=dt.time(17, 30),
                        owner_id=owner_id,
                        unit_id=team_id,
                    )
                    out.append(p)
                    if owner_id:
                        self.owned[owner_id].append(p)
        return out

    def contacts(self, everyone: list[Customer]) -> list[Contact]:
        rng = self.rng
        return [
            Contact(
                customer=c,
                name=f"{rng.choice('王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗')}{rng.choice(['总', '经理', '姐', '先生', '女士'])}",
                title=rng.choice(TITLES),
                phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            )
            for c in everyone
        ]

    def opportunities(self, everyone: list[Customer]) -> list[Opportunity]:
        rng = self.rng
        return [
            Opportunity(
                customer=c,
                owner_id=c.owner_id,
                title=rng.choice(["出口通金品套餐", "全球旺铺续约", "直播推广包", "关键词增值包"]),
                stage=rng.choice(["qualified", "proposal", "negotiation"]),
                amount=Decimal(rng.choice([29800, 59800, 89800])),
                expected_close=self.today + dt.timedelta(days=rng.randint(3, 40)),
                probability=Decimal(rng.choice(["0.3", "0.5", "0.7"])),
            )
            for c in everyone
            if c.owner_id and rng.random() < 0.2
        ]

    def last_activity(self, code: str) -> dt.date | None:
        if code in self.last_visit:
            return self.last_visit[code]
        return self.latest[code][0] if code in self.latest else None

    # ---- the last weeks: four to seven visits a working day per rep, mostly on site ----------
    def visits_and_reports(self) -> tuple[list[Visit], list[DailyReport]]:
        visits: list[Visit] = []
        reports: list[DailyReport] = []
        for team_id, reps in sorted(self.reps_by_team.items()):
            for person_id in reps:
                book = self.owned.get(person_id) or []
                if not book:
                    continue
                for day in self.days:
                    seen = self._visit_day(visits, team_id, person_id, book, day)
                    if day < self.today and seen and self.rng.random() < 0.92:
                        reports.append(self._report(person_id, day, seen, book))
        return visits, reports

    def _visit_day(
        self, visits: list[Visit], team_id: int, person_id: int, book: list[Customer], day: dt.date
    ) -> list[str]:
        """Append one rep's visits of ``day`` to ``visits``; returns the customers seen."""
        rng = self.rng
        count = rng.randint(4, 7)
        clock = self.at(day, dt.time(9, 20))
        seen: list[str] = []
        for c in rng.sample(book, min(count, len(book))):
            clock += dt.timedelta(minutes=rng.randint(20, 45))
            if clock.time() > dt.time(17, 30):
                break  # back at the office by six for the evening sharing
            far = rng.random() < 0.04
            lat, lon = _near(rng, c.lat, c.lon, 600 if far else 40)  # type: ignore[arg-type]
            stay = rng.randint(20, 50)
            visits.append(
                Visit(
                    id=uuid.UUID(int=rng.getrandbits(128)),
                    person_id=person_id,
                    unit_id=team_id,
                    customer=c,
                    checkin_at=clock,
                    lat=lat,
                    lon=lon,
                    accuracy_m=rng.randint(8, 60),
                    position_at=clock - dt.timedelta(seconds=rng.randint(5, 90)),
                    distance_m=rng.randint(350, 900) if far else rng.randint(5, 120),
                    outside_geofence=far,
                    checkout_at=clock + dt.timedelta(minutes=stay),
                    met_whom=rng.choice(TITLES),
                    interest=rng.choice(INTERESTS),
                    next_step=rng.choice(NEXT_STEPS),
                    next_date=day + dt.timedelta(days=rng.randint(2, 10)),
                    notes=rng.choice(FEEDBACK),
                    source="app",
                )
            )
            clock += dt.timedelta(minutes=stay)
            self.last_visit[c.code] = day
            seen.append(c.name)
        return seen

    def _report(
        self, person_id: int, day: dt.date, seen: list[str], book: list[Customer]
    ) -> DailyReport:
        rng = self.rng
        return DailyReport(
            person_id=person_id,
            date=day,
            visited="\n".join(seen),
            feedback=rng.choice(FEEDBACK),
            problems=rng.choice(["", "客户决策周期长", "竞品降价", "演示设备故障"]),
            won="",
            tomorrow="继续跟进：" + "、".join(c.name for c in rng.sample(book, min(3, len(book)))),
            submitted_at=self.at(day, dt.time(19, rng.randint(0, 59))),
        )

    # ---- the evening sharing and tomorrow -----------------------------------------------------
    def field_notes(self) -> list[FieldNote]:
        """Field notes from the evening sharing, the best starred by the supervisor."""
        rng = self.rng
        days = self.days
        notes: list[FieldNote] = []
        for team_id, reps in sorted(self.reps_by_team.items()):
            for person_id in rng.sample(reps, min(2, len(reps))):
                kind, objection, answer = rng.choice(NOTES)
                starred = rng.random() < 0.4 and team_id in self.supervisor_of and bool(days)
                notes.append(
                    FieldNote(
                        person_id=person_id,
                        unit_id=team_id,
                        date=days[-1] if days else self.today,
                        customer_type=kind,
                        objection=objection,
                        answer=answer,
                        tags=",".join(rng.sample(TAGS, 2)),
                        starred_by_id=self.supervisor_of.get(team_id) if starred else None,
                        starred_at=self.at(days[-1], dt.time(18, 30)) if starred else None,
                    )
                )
        return notes

    def tomorrows_plans(self) -> tuple[list[VisitPlan], list[PlanStop]]:
        """Tomorrow's plan for the first rep of every team, ready to be optimised."""
        tomorrow = self.today + dt.timedelta(days=1)
        while not self.cal.is_workday(tomorrow):
            tomorrow += dt.timedelta(days=1)
        plans = [
            VisitPlan(person_id=reps[0], date=tomorrow)
            for _team, reps in sorted(self.reps_by_team.items())
            if reps and self.owned.get(reps[0])
        ]
        stops = []
        for plan in plans:
            book = self.owned[plan.person_id]
            for seq, c in enumerate(self.rng.sample(book, min(6, len(book))), start=1):
                stops.append(PlanStop(plan=plan, customer=c, seq=seq))
        return plans, stops
