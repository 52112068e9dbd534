"""The demo company's field work: where its customers are, who holds them, the open pool, the
last weeks of visits, daily reports, field notes and tomorrow's visit plans.

Written straight into the tables after the deals (bulk inserts, deterministic for a seed); the
visits reach the board's `visits` metric through the scoreboard rebuild that follows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from tiejun.crm.models import Contact, Customer, CustomerStatus, Deal, Opportunity, Priority
from tiejun.field.models import DailyReport, FieldNote, Interest, PlanStop, Visit, VisitPlan
from tiejun.org.models import Membership, Role, Unit, UnitKind
from tiejun.workdays import WorkCalendar

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
TAGS = ["价格异议", "竞品", "决策人", "预算", "外贸团队"]
WINDOW_WORKDAYS = 15


def _jitter(rng: random.Random, centre: tuple[float, float], km: float) -> tuple[Decimal, Decimal]:
    lat, lon = centre
    dlat = rng.gauss(0, km) / 111.0
    dlon = rng.gauss(0, km) / (111.0 * math.cos(math.radians(lat)))
    return Decimal(f"{lat + dlat:.6f}"), Decimal(f"{lon + dlon:.6f}")


def _near(rng: random.Random, lat: Decimal, lon: Decimal, metres: float) -> tuple[Decimal, Decimal]:
    return _jitter(rng, (float(lat), float(lon)), metres / 1000.0)


# bulk_update writes one CASE WHEN per field with a branch per row: its cost grows with the
# square of the batch (2,000 rows: seconds per batch on PostgreSQL); small batches stay linear.
UPDATE_BATCH = 200


def write_field(*, today: dt.date, seed: int, cal: WorkCalendar) -> dict[str, int]:
    """Enrich the demo's customers and write its recent field work; returns row counts."""
    rng = random.Random(f"field-{seed}")
    tz = timezone.get_current_timezone()
    units = {u.pk: u for u in Unit.objects.all()}
    branch_code = {
        pk: (units[u.parent_id].code.split("-")[-1] if u.parent_id else "")
        for pk, u in units.items()
        if u.kind == UnitKind.TEAM
    }
    current = {
        m.person_id: m
        for m in Membership.objects.on(today).filter(role__in=[Role.REP, Role.SUPERVISOR])
    }
    reps_by_team: dict[int, list[int]] = defaultdict(list)
    supervisor_of: dict[int, int] = {}
    for person_id, m in sorted(current.items()):
        if m.role == Role.REP:
            reps_by_team[m.unit_id].append(person_id)
        else:
            supervisor_of[m.unit_id] = person_id

    # Customers: placed around their branch's city, held by the rep of their latest deal if that
    # rep still sells, else in the open pool; priority by what they bought.
    latest: dict[int, tuple[dt.date, int, int]] = {}
    for customer_id, day, person_id, unit_id in Deal.objects.order_by("won_date", "id").values_list(
        "customer_id", "won_date", "person_id", "unit_id"
    ):
        latest[customer_id] = (day, person_id, unit_id)
    spend = dict(
        Deal.objects.values("customer_id").annotate(s=Sum("amount")).values_list("customer_id", "s")
    )
    customers = list(Customer.objects.filter(pk__in=list(latest)).order_by("pk"))
    owned: dict[int, list[Customer]] = defaultdict(list)
    for c in customers:
        day, person_id, unit_id = latest[c.pk]
        centre = CITY_CENTRES.get(branch_code.get(unit_id, ""), CITY_CENTRES["HZ"])
        c.lat, c.lon = _jitter(rng, centre, 6.0)
        c.unit_id = unit_id  # whose pool it returns to: the team of its latest deal
        c.address = f"{rng.choice(STREETS)}{rng.randint(1, 899)}号"
        c.industry = c.name.split("市")[-1][-8:].replace("有限公司", "").replace("厂", "")[-4:]
        c.status = CustomerStatus.CUSTOMER
        total = spend.get(c.pk) or Decimal(0)
        c.priority = Priority.A if total >= 80000 else Priority.B if total >= 30000 else Priority.C
        c.opens_at, c.closes_at = dt.time(8, 30), dt.time(17, 30)
        c.phone = f"0{rng.randint(570, 579)}-{rng.randint(8000000, 8999999)}"
        holder = current.get(person_id)
        if holder is not None and holder.role == Role.REP and rng.random() < 0.85:
            c.owner_id = person_id
            c.owned_since = dt.datetime.combine(day, dt.time(18, 0), tzinfo=tz)
            owned[person_id].append(c)
        else:
            c.owner_id = None
    # Prospects: each rep's own, and an open pool per branch.
    prospects: list[Customer] = []
    n = 0
    for team_id, reps in sorted(reps_by_team.items()):
        centre = CITY_CENTRES.get(branch_code.get(team_id, ""), CITY_CENTRES["HZ"])
        owners: list[int | None] = [*reps, None, None, None, None]
        for owner_id in owners:
            for _i in range(6 if owner_id else 1):
                n += 1
                lat, lon = _jitter(rng, centre, 8.0)
                p = Customer(
                    code=f"P{n:07d}",
                    name=f"{units[team_id].name[:2]}{rng.choice('华盛达鑫隆兴泰恒')}{rng.choice('源丰昌茂祥瑞')}"
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
                prospects.append(p)
    Customer.objects.bulk_update(
        customers,
        ["lat", "lon", "address", "industry", "status", "priority", "opens_at", "closes_at",
         "phone", "owner", "owned_since", "unit"],
        batch_size=UPDATE_BATCH,
    )  # fmt: skip
    prospects = Customer.objects.bulk_create(prospects, batch_size=2000)
    for p in prospects:
        if p.owner_id:
            owned[p.owner_id].append(p)
    everyone = customers + prospects
    Contact.objects.bulk_create(
        [
            Contact(
                customer=c,
                name=f"{rng.choice('王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗')}{rng.choice(['总', '经理', '姐', '先生', '女士'])}",
                title=rng.choice(TITLES),
                phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            )
            for c in everyone
        ],
        batch_size=2000,
    )
    Opportunity.objects.bulk_create(
        [
            Opportunity(
                customer=c,
                owner_id=c.owner_id,
                title=rng.choice(["出口通金品套餐", "全球旺铺续约", "直播推广包", "关键词增值包"]),
                stage=rng.choice(["qualified", "proposal", "negotiation"]),
                amount=Decimal(rng.choice([29800, 59800, 89800])),
                expected_close=today + dt.timedelta(days=rng.randint(3, 40)),
                probability=Decimal(rng.choice(["0.3", "0.5", "0.7"])),
            )
            for c in everyone
            if c.owner_id and rng.random() < 0.2
        ],
        batch_size=2000,
    )

    # The last weeks of visits: four to seven a working day per rep, mostly on site.
    # Up to yesterday: the demo is the same whatever the time of day it is built.
    days = cal.previous_workdays(today, WINDOW_WORKDAYS)
    visits: list[Visit] = []
    last_visit: dict[int, dt.date] = {}
    reports: list[DailyReport] = []
    for team_id, reps in sorted(reps_by_team.items()):
        for person_id in reps:
            book = owned.get(person_id) or []
            if not book:
                continue
            for day in days:
                count = rng.randint(4, 7)
                clock = dt.datetime.combine(day, dt.time(9, 20), tzinfo=tz)
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
                            interest=rng.choice(list(Interest.values)),
                            next_step=rng.choice(NEXT_STEPS),
                            next_date=day + dt.timedelta(days=rng.randint(2, 10)),
                            notes=rng.choice(FEEDBACK),
                            source="app",
                        )
                    )
                    clock += dt.timedelta(minutes=stay)
                    last_visit[c.pk] = day
                    seen.append(c.name)
                if day < today and seen and rng.random() < 0.92:
                    reports.append(
                        DailyReport(
                            person_id=person_id,
                            date=day,
                            visited="\n".join(seen),
                            feedback=rng.choice(FEEDBACK),
                            problems=rng.choice(["", "客户决策周期长", "竞品降价", "演示设备故障"]),
                            won="",
                            tomorrow="继续跟进："
                            + "、".join(c.name for c in rng.sample(book, min(3, len(book)))),
                            submitted_at=dt.datetime.combine(
                                day, dt.time(19, rng.randint(0, 59)), tzinfo=tz
                            ),
                        )
                    )
    Visit.objects.bulk_create(visits, batch_size=2000)
    DailyReport.objects.bulk_create(reports, batch_size=2000)
    for c in everyone:
        c.last_activity_on = last_visit.get(c.pk) or (latest[c.pk][0] if c.pk in latest else None)
    Customer.objects.bulk_update(everyone, ["last_activity_on"], batch_size=UPDATE_BATCH)

    # Field notes from the evening sharing, the best starred by the supervisor.
    notes: list[FieldNote] = []
    for team_id, reps in sorted(reps_by_team.items()):
        for person_id in rng.sample(reps, min(2, len(reps))):
            kind, objection, answer = rng.choice(NOTES)
            starred = rng.random() < 0.4 and team_id in supervisor_of and bool(days)
            notes.append(
                FieldNote(
                    person_id=person_id,
                    unit_id=team_id,
                    date=days[-1] if days else today,
                    customer_type=kind,
                    objection=objection,
                    answer=answer,
                    tags=",".join(rng.sample(TAGS, 2)),
                    starred_by_id=supervisor_of.get(team_id) if starred else None,
                    starred_at=(
                        dt.datetime.combine(days[-1], dt.time(18, 30), tzinfo=tz)
                        if starred and days
                        else None
                    ),
                )
            )
    FieldNote.objects.bulk_create(notes, batch_size=2000)

    # Tomorrow's plan for the first rep of every team, ready to be optimised.
    tomorrow = today + dt.timedelta(days=1)
    while not cal.is_workday(tomorrow):
        tomorrow += dt.timedelta(days=1)
    plans = []
    for _team, reps in sorted(reps_by_team.items()):
        if reps and owned.get(reps[0]):
            plans.append(VisitPlan(person_id=reps[0], date=tomorrow))
    plans = VisitPlan.objects.bulk_create(plans)
    stops = []
    for plan in plans:
        book = owned[plan.person_id]
        for seq, c in enumerate(rng.sample(book, min(6, len(book))), start=1):
            stops.append(PlanStop(plan=plan, customer=c, seq=seq))
    PlanStop.objects.bulk_create(stops, batch_size=2000)
    return {
        "customers": len(everyone),
        "visits": len(visits),
        "daily_reports": len(reports),
        "field_notes": len(notes),
        "plans": len(plans),
    }
