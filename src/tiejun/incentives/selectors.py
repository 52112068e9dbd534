"""Reads: which plan applies, a month's statement, milestone progress. Pages, the API, the
commands, the move check and (later) the promotion advisor and the nightly message share them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from tiejun.access import is_admin
from tiejun.crm.models import Deal, DealChange
from tiejun.errors import NotFound
from tiejun.forecast import stable_seed
from tiejun.org.models import LEADER_ROLES, Membership, Person, UnitClosure
from tiejun.org.selectors import access_person, led_unit_ids, membership_on, work_calendar
from tiejun.scoreboard.models import Fact
from tiejun.targets.models import Target
from tiejun.workdays import add_months, month_end, month_start

from .maths import (
    ZERO,
    Figures,
    Tier,
    clawback_of,
    commission,
    fen,
    first_reached,
    project_threshold,
)
from .models import (
    ExceptionStatus,
    LineKind,
    MilestoneException,
    MilestoneReached,
    Plan,
    PlanMilestone,
    Statement,
)

HISTORY_DAYS = 60  # working days of a rep's own results the milestone projection draws from


def plan_tiers(plan: Plan) -> list[Tier]:
    return [
        Tier(
            Decimal(t["from"]),
            None if t["to"] is None else Decimal(t["to"]),
            Decimal(t["rate"]),
        )
        for t in plan.tiers
    ]


def plans_list() -> QuerySet[Plan]:
    return Plan.objects.prefetch_related("units", "milestones").order_by("code", "-effective_from")


def access_plan(plan_id: int) -> Plan:
    plan = plans_list().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(f"unknown plan {plan_id}")
    return plan


def _unit_depths(unit_id: int) -> dict[int, int]:
    """The unit's ancestors (itself included) → how far above it they are."""
    return dict(
        UnitClosure.objects.filter(descendant_id=unit_id).values_list("ancestor_id", "depth")
    )


def _plans_covering(unit_id: int, role: str, start: dt.date, end: dt.date) -> list[Plan]:
    """Plan versions for ``role`` in ``unit_id`` overlapping ``start``–``end``, the nearest
    unit first, then the latest version."""
    depths = _unit_depths(unit_id)
    through = Plan.units.through.objects.filter(unit_id__in=depths).values_list(
        "plan_id", "unit_id"
    )
    nearest: dict[int, int] = {}
    for plan_id, unit in through:
        nearest[plan_id] = min(nearest.get(plan_id, 99), depths[unit])
    plans = Plan.objects.filter(pk__in=nearest, effective_from__lte=end).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=start)
    )
    found = [p for p in plans if role in p.roles]
    found.sort(key=lambda p: (nearest[p.pk], -p.effective_from.toordinal()))
    return found


def _month_membership(person: Person, month: dt.date, today: dt.date) -> Membership | None:
    """The membership the month is paid under: on its last day (or today, in the current
    month), else the last one that overlaps it (a leaver)."""
    day = min(month_end(month), max(today, month))
    membership = membership_on(person, day)
    if membership is None:
        membership = (
            Membership.objects.overlapping(month, month_end(month))
            .filter(person=person)
            .select_related("unit")
            .order_by("-valid_from")
            .first()
        )
    return membership


def plan_for(
    person: Person, month: dt.date, *, today: dt.date
) -> tuple[Plan | None, Membership | None]:
    """The plan version paying ``person`` in ``month`` and the membership it follows."""
    membership = _month_membership(person, month, today)
    if membership is None:
        return None, None
    day = min(month_end(month), max(today, month))
    plans = _plans_covering(membership.unit_id, membership.role, day, day)
    if not plans:
        plans = _plans_covering(membership.unit_id, membership.role, month, month_end(month))
    return (plans[0] if plans else None), membership


def achieved_in(
    plan: Plan,
    start: dt.date,
    end: dt.date,
    *,
    person: Person | None = None,
    unit_ids: set[int] | None = None,
    exclude: Person | None = None,
) -> Decimal:
    """The plan's metric from ``start`` to ``end``: revenue of its channels' deals, or the facts."""
    if plan.channels:
        deals = Deal.objects.filter(won_date__range=(start, end), channel__in=plan.channels)
        if person is not None:
            deals = deals.filter(person=person)
        if unit_ids is not None:
            deals = deals.filter(unit_id__in=unit_ids)
        if exclude is not None:
            deals = deals.exclude(person=exclude)
        value = deals.aggregate(v=Sum("amount"))["v"]
    else:
        facts = Fact.objects.filter(metric=plan.metric, day__range=(start, end))
        if person is not None:
            facts = facts.filter(person=person)
        if unit_ids is not None:
            facts = facts.filter(unit_id__in=unit_ids, person__isnull=False)
        if exclude is not None:
            facts = facts.exclude(person=exclude)
        value = facts.aggregate(v=Sum("value"))["v"]
    return Decimal(value or 0)


def target_of(person: Person, month: dt.date, metric: str) -> Decimal:
    value = (
        Target.objects.filter(person=person, month=month_start(month), metric=metric)
        .values_list("value", flat=True)
        .first()
    )
    return Decimal(value or 0)


@dataclass(frozen=True)
class Line:
    kind: str
    amount: Decimal
    lower: Decimal | None = None
    upper: Decimal | None = None
    base: Decimal = ZERO
    rate: Decimal = ZERO
    note: str = ""

    def label(self) -> str:
        return str(LineKind(self.kind).label)


@dataclass(frozen=True)
class StatementView:
    """A month's statement: computed on demand, or as frozen when it was approved."""

    person: Person
    month: dt.date
    plan: Plan | None
    figures: Figures
    lines: list[Line]
    frozen: Statement | None = None
    membership: Membership | None = None

    @property
    def tier_lines(self) -> list[Line]:
        return [line for line in self.lines if line.kind == LineKind.TIER]

    def as_json(self) -> dict[str, object]:
        def money(value: Decimal) -> str:
            return f"{fen(value):.2f}"

        def bound(value: Decimal | None) -> str | None:
            return None if value is None else _plain(value)

        return {
            "employee_no": self.person.employee_no,
            "month": f"{self.month:%Y-%m}",
            "target": money(self.figures.target),
            "achieved": money(self.figures.achieved),
            "lines": [
                {
                    "from": bound(line.lower),
                    "to": bound(line.upper),
                    "base": money(line.base),
                    "rate": _plain(line.rate),
                    "amount": money(line.amount),
                }
                for line in self.tier_lines
            ],
            "clawback": money(self.figures.clawback),
            "total": money(self.figures.total),
            "plan": self.plan.code if self.plan else None,
            "override": money(self.figures.override),
            "capped_by": money(self.figures.capped_by),
            "adjustment": money(self.figures.adjustment),
            "status": "approved" if self.frozen else "computed",
        }


def _plain(value: Decimal) -> str:
    """0.800000 → "0.8", 1 → "1": a rate or a completion bound as written."""
    text = format(value.normalize(), "f")
    return text


def _corrections(
    person: Person, plan: Plan, month: dt.date
) -> tuple[dict[dt.date, Decimal], dict[dt.date, Decimal], list[Statement]]:
    """Signed changes to ``person``'s approved earlier months made after their approval:
    (made during ``month``, made after it), by the month of the deal."""
    frozen = list(Statement.objects.filter(person=person, month__lt=month).select_related("plan"))
    if not frozen:
        return {}, {}, []
    approved_at = {s.month: s.approved_at for s in frozen}
    first_approval = min(approved_at.values())
    tz = timezone.get_current_timezone()
    month_begins = dt.datetime.combine(month, dt.time.min, tzinfo=tz)
    next_begins = dt.datetime.combine(add_months(month, 1), dt.time.min, tzinfo=tz)
    no = person.employee_no
    changes = DealChange.objects.filter(
        Q(before__employee_no=no) | Q(after__employee_no=no),
        changed_at__gte=max(month_begins, first_approval),
    ).values_list("before", "after", "changed_at")
    during: dict[dt.date, Decimal] = defaultdict(Decimal)
    later: dict[dt.date, Decimal] = defaultdict(Decimal)
    for before, after, changed_at in changes:
        bucket = during if changed_at < next_begins else later
        for snapshot, sign in ((before, -1), (after, 1)):
            if not snapshot or snapshot.get("employee_no") != no:
                continue
            if plan.channels and snapshot.get("channel") not in plan.channels:
                continue
            deal_month = month_start(dt.date.fromisoformat(snapshot["won_date"]))
            if deal_month in approved_at and changed_at > approved_at[deal_month]:
                bucket[deal_month] += sign * Decimal(snapshot["amount"])
    return during, later, frozen


def _clawback_lines(person: Person, plan: Plan, month: dt.date) -> list[Line]:
    """Corrections made in ``month`` to deals of months already approved: what those months
    paid on them, charged now (a clawback), or what they would have paid more (an adjustment)."""
    if not plan.clawback or (plan.metric != "revenue" and not plan.channels):
        return []
    during, later, frozen = _corrections(person, plan, month)
    lines: list[Line] = []
    by_month = {s.month: s for s in frozen}
    for deal_month in sorted(during):
        change = during[deal_month]
        if change == 0:
            continue
        statement = by_month[deal_month]
        earlier_plan = statement.plan or plan
        end = month_end(deal_month)
        now = achieved_in(earlier_plan, deal_month, end, person=person)
        achieved_after = now - later.get(deal_month, ZERO)
        amount = clawback_of(
            achieved_after=achieved_after,
            reduction=-change,
            target=statement.target,
            tiers=plan_tiers(earlier_plan),
            cap=earlier_plan.cap,
        )
        if amount == 0:
            continue
        kind = LineKind.CLAWBACK if amount > 0 else LineKind.ADJUSTMENT
        lines.append(Line(kind=kind, amount=-amount, base=-change, note=f"{deal_month:%Y-%m}"))
    return lines


def statement_for(person: Person, month: dt.date, *, today: dt.date | None = None) -> StatementView:
    """``person``'s statement of ``month``: the frozen one once approved, else computed now."""
    today = today or timezone.localdate()
    month = month_start(month)
    frozen = (
        Statement.objects.filter(person=person, month=month)
        .select_related("plan", "approved_by")
        .prefetch_related("lines")
        .first()
    )
    if frozen is not None:
        return _frozen_view(person, frozen)
    plan, membership = plan_for(person, month, today=today)
    if plan is None:
        empty = commission(ZERO, ZERO, [])
        return StatementView(person, month, None, empty, [], None, membership)
    end = month_end(month)
    achieved = achieved_in(plan, month, end, person=person)
    target = target_of(person, month, plan.metric)
    override_base = ZERO
    override_rate = ZERO
    if membership is not None and membership.role in LEADER_ROLES and plan.override_rate:
        override_rate = plan.override_rate
        override_base = achieved_in(
            plan,
            month,
            end,
            unit_ids=set(led_unit_ids(person, min(end, max(today, month)), coordinators=False))
            or {membership.unit_id},
            exclude=person,
        )
    corrections = _clawback_lines(person, plan, month)
    clawback = -sum((c.amount for c in corrections if c.kind == LineKind.CLAWBACK), ZERO)
    adjustment = sum((c.amount for c in corrections if c.kind == LineKind.ADJUSTMENT), ZERO)
    figures = commission(
        achieved,
        target,
        plan_tiers(plan),
        cap=plan.cap,
        override_base=override_base,
        override_rate=override_rate,
        clawback=clawback,
        adjustment=adjustment,
    )
    lines = [Line(LineKind.TIER, t.amount, t.lower, t.upper, t.base, t.rate) for t in figures.lines]
    if override_rate:
        lines.append(
            Line(
                LineKind.OVERRIDE, figures.override, base=figures.override_base, rate=override_rate
            )
        )
    if figures.capped_by:
        lines.append(Line(LineKind.CAP, -figures.capped_by, base=plan.cap or ZERO))
    lines.extend(corrections)
    return StatementView(person, month, plan, figures, lines, None, membership)


def _frozen_view(person: Person, statement: Statement) -> StatementView:
    lines = [
        Line(
            kind=row.kind,
            amount=row.amount,
            lower=row.lower,
            upper=row.upper,
            base=row.base,
            rate=row.rate,
            note=row.note,
        )
        for row in statement.lines.all()
    ]
    from .maths import TierLine

    tiers = tuple(
        TierLine(line.lower or ZERO, line.upper, line.base, line.rate, line.amount)
        for line in lines
        if line.kind == LineKind.TIER
    )
    override = next((line for line in lines if line.kind == LineKind.OVERRIDE), None)
    cap = sum((-line.amount for line in lines if line.kind == LineKind.CAP), ZERO)
    figures = Figures(
        target=statement.target,
        achieved=statement.achieved,
        lines=tiers,
        override_base=override.base if override else ZERO,
        override_rate=override.rate if override else ZERO,
        override=override.amount if override else ZERO,
        capped_by=cap,
        clawback=statement.clawback,
        adjustment=statement.adjustment,
        total=statement.total,
    )
    return StatementView(person, statement.month, statement.plan, figures, lines, statement)


# --- who sees and approves -------------------------------------------------------------------


def access_statement_person(viewer: Person, employee_no: str, *, today: dt.date) -> Person:
    """The person whose statement ``viewer`` asks for: themself, someone in the subtree they
    lead (manager or supervisor), or anyone for admin. ``NotFound`` otherwise, alike."""
    person = access_person(viewer, employee_no, today)
    if person.pk == viewer.pk or is_admin(viewer):
        return person
    membership = membership_on(person, today) or (
        person.memberships.order_by("-valid_from").first()
    )
    if membership is None or membership.unit_id not in led_unit_ids(
        viewer, today, coordinators=False
    ):
        raise NotFound(f"unknown employee {employee_no!r}", field="employee_no")
    return person


def can_approve(viewer: Person, person: Person, *, today: dt.date) -> bool:
    if person.pk == viewer.pk:
        return False
    if is_admin(viewer):
        return True
    membership = membership_on(person, today) or person.memberships.order_by("-valid_from").first()
    return membership is not None and membership.unit_id in led_unit_ids(
        viewer, today, coordinators=False
    )


# --- milestones ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneProgress:
    """One milestone of one person in ``year``: for the rep's page, the board, the nightly
    message and the promotion advisor."""

    person: Person
    milestone: PlanMilestone
    plan: Plan
    year: int
    ytd: Decimal
    threshold: Decimal
    reached_on: dt.date | None  # the day the running total first met the threshold
    eligible: bool  # the person held a role that counts on reached_on (or holds one today)
    projected_on: dt.date | None
    probability: float | None
    daily: list[tuple[dt.date, Decimal]] = field(default_factory=list, repr=False)
    excepted: bool = False  # an approved exception keeps it whatever the moves

    @property
    def forfeit_on_leaving(self) -> bool:
        return self.milestone.forfeit_on_leaving

    @property
    def reward(self) -> str:
        return self.milestone.reward

    @property
    def forfeit_on_promotion(self) -> bool:
        return self.milestone.forfeit_on_promotion

    @property
    def reached(self) -> bool:
        return self.reached_on is not None and self.eligible

    @property
    def forfeited(self) -> bool:
        return self.reached_on is not None and not self.eligible

    @property
    def share(self) -> float:
        return float(min(self.ytd / self.threshold, Decimal(1))) if self.threshold else 0.0

    @property
    def probability_percent(self) -> int | None:
        return None if self.probability is None else round(self.probability * 100)

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    def as_json(self) -> dict[str, object]:
        return {
            "employee_no": self.person.employee_no,
            "milestone": self.milestone.code,
            "plan": self.plan.code,
            "ytd": f"{fen(self.ytd):.2f}",
            "threshold": f"{fen(self.threshold):.2f}",
            "reached_on": self.reached_on.isoformat() if self.reached_on else None,
            "projected_on": self.projected_on.isoformat() if self.projected_on else None,
            "probability": None if self.probability is None else round(self.probability, 2),
            "reward": self.reward,
            "status": "reached" if self.reached else "forfeited" if self.forfeited else "open",
        }


def _year_memberships(person_ids: list[int], year: int) -> dict[int, list[Membership]]:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out: dict[int, list[Membership]] = defaultdict(list)
    for m in (
        Membership.objects.overlapping(start, end)
        .filter(person_id__in=person_ids)
        .order_by("valid_from")
    ):
        out[m.person_id].append(m)
    return out


def _year_milestones(year: int) -> list[tuple[PlanMilestone, Plan, set[int]]]:
    """Every milestone of a plan in effect during ``year``, with the units its plan covers
    (their subtrees)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    in_effect = (
        Plan.objects.filter(effective_from__lte=end)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
        .prefetch_related("milestones", "units")
    )
    plans = [p for p in in_effect if any(m.period == "year" for m in p.milestones.all())]
    below: dict[int, set[int]] = defaultdict(set)
    roots = {u.pk for p in plans for u in p.units.all()}
    for ancestor, descendant in UnitClosure.objects.filter(ancestor_id__in=roots).values_list(
        "ancestor_id", "descendant_id"
    ):
        below[ancestor].add(descendant)
    found = []
    for plan in plans:
        covered = set().union(*(below[u.pk] for u in plan.units.all()))
        for milestone in plan.milestones.all():
            if milestone.period == "year":
                found.append((milestone, plan, covered))
    return found


def _counts(m: Membership, milestone: PlanMilestone, plan: Plan, covered: set[int]) -> bool:
    return m.role in milestone.roles and m.unit_id in covered


def milestone_progress_many(
    people: list[Person], *, today: dt.date, year: int | None = None
) -> list[MilestoneProgress]:
    """Milestone progress of ``people`` in ``year`` (default: today's) as of ``today``: a fixed
    number of queries whatever the number of people."""
    year = year or today.year
    as_of = min(today, dt.date(year, 12, 31))
    if not people:
        return []
    milestones = _year_milestones(year)
    if not milestones:
        return []
    ids = [p.pk for p in people]
    memberships = _year_memberships(ids, year)
    excepted = _approved_exceptions(
        ids, year, [m for m, p, _c in milestones if p.exception_allowed]
    )
    metrics = {m.metric for m, _p, _c in milestones}
    daily: dict[tuple[int, str], list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for person_id, metric, day, value in (
        Fact.objects.filter(
            person_id__in=ids, metric__in=metrics, day__range=(dt.date(year, 1, 1), as_of)
        )
        .order_by("day")
        .values_list("person_id", "metric", "day")
        .annotate(v=Sum("value"))
        .values_list("person_id", "metric", "day", "v")
    ):
        daily[(person_id, metric)].append((day, Decimal(value)))
    calendar = work_calendar()
    remaining = calendar.workdays(as_of + dt.timedelta(days=1), dt.date(year, 12, 31))
    past = calendar.previous_workdays(as_of + dt.timedelta(days=1), HISTORY_DAYS)
    out: list[MilestoneProgress] = []
    for person in people:
        held = memberships.get(person.pk, [])
        for milestone, plan, covered in milestones:
            if not any(_counts(m, milestone, plan, covered) for m in held):
                continue
            days = daily.get((person.pk, milestone.metric), [])
            out.append(
                _progress(
                    person,
                    milestone,
                    plan,
                    covered,
                    held,
                    days,
                    year,
                    as_of,
                    remaining,
                    past,
                    excepted=(person.pk, milestone.pk) in excepted,
                )
            )
    return out


def _approved_exceptions(
    person_ids: list[int], year: int, milestones: list[PlanMilestone]
) -> set[tuple[int, int]]:
    """(person, milestone) pairs an approved exception keeps; no query when no plan in effect
    allows exceptions."""
    if not milestones:
        return set()
    return set(
        MilestoneException.objects.filter(
            person_id__in=person_ids,
            year=year,
            milestone__in=milestones,
            status=ExceptionStatus.APPROVED,
        ).values_list("person_id", "milestone_id")
    )


def _progress(
    person: Person,
    milestone: PlanMilestone,
    plan: Plan,
    covered: set[int],
    held: list[Membership],
    days: list[tuple[dt.date, Decimal]],
    year: int,
    as_of: dt.date,
    remaining: list[dt.date],
    past: list[dt.date],
    *,
    excepted: bool = False,
) -> MilestoneProgress:
    ytd = sum((v for _d, v in days), ZERO)
    reached_on = first_reached(days, milestone.threshold)

    def counts_on(day: dt.date) -> bool:
        if excepted:
            return True
        active = person.is_active or not milestone.forfeit_on_leaving
        return active and any(m.covers(day) and _counts(m, milestone, plan, covered) for m in held)

    projected_on: dt.date | None = None
    probability: float | None = None
    if reached_on is not None:
        eligible = counts_on(reached_on)
        probability = 1.0 if eligible else None
    else:
        eligible = counts_on(as_of)
        if eligible:
            by_day = dict(days)
            start = min((m.valid_from for m in held), default=as_of)
            history = [float(by_day.get(d, 0)) for d in past if d >= start]
            projection = project_threshold(
                history,
                float(ytd),
                float(milestone.threshold),
                remaining,
                seed=stable_seed(person.employee_no, milestone.pk, as_of),
            )
            projected_on, probability = projection.projected_on, projection.probability
    return MilestoneProgress(
        person=person,
        milestone=milestone,
        plan=plan,
        year=year,
        ytd=ytd,
        threshold=milestone.threshold,
        reached_on=reached_on,
        eligible=eligible,
        projected_on=projected_on,
        probability=probability,
        daily=days,
        excepted=excepted,
    )


def milestone_progress(person: Person, *, today: dt.date) -> list[MilestoneProgress]:
    """``person``'s milestones this year: YTD, threshold, reached or projected, the reward and
    whether a promotion forfeits it (the rep's page, the nightly message, the advisor)."""
    return milestone_progress_many([person], today=today)


def unit_people(unit_id: int, year: int) -> list[Person]:
    """Everyone who belonged to the unit's subtree at some time in ``year``."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return list(
        Person.objects.filter(
            pk__in=Membership.objects.overlapping(start, end)
            .filter(
                unit_id__in=UnitClosure.objects.filter(ancestor_id=unit_id).values("descendant_id")
            )
            .values("person_id")
        ).order_by("employee_no")
    )


def reached_records(person: Person, year: int) -> set[int]:
    return set(
        MilestoneReached.objects.filter(person=person, year=year).values_list(
            "milestone_id", flat=True
        )
    )


@dataclass(frozen=True)
class StatementRow:
    person: Person
    unit_name: str
    role: str
    frozen: Statement | None


def statement_rows(viewer: Person, month: dt.date, *, today: dt.date) -> list[StatementRow]:
    """The people whose statements of ``month`` ``viewer`` may open: themself, and everyone in
    the subtree they lead (admin: everyone), with the approved statement where there is one.
    Three queries, whatever the number of people."""
    month = month_start(month)
    day = min(month_end(month), max(today, month))
    memberships = Membership.objects.overlapping(month, month_end(month)).select_related(
        "person", "unit"
    )
    if not is_admin(viewer):
        led = led_unit_ids(viewer, today, coordinators=False)
        memberships = memberships.filter(Q(unit_id__in=led) | Q(person=viewer))
    latest: dict[int, Membership] = {}
    for m in memberships.order_by("person__employee_no", "valid_from"):
        if m.covers(day) or m.person_id not in latest:
            latest[m.person_id] = m
    frozen = {
        s.person_id: s for s in Statement.objects.filter(month=month, person_id__in=list(latest))
    }
    return [
        StatementRow(m.person, m.unit.name, m.get_role_display(), frozen.get(m.person_id))
        for m in sorted(latest.values(), key=lambda m: (m.unit.name, m.person.employee_no))
    ]


# --- milestone exceptions (the promotion advisor) ----------------------------------------------


def _exceptions_seen_by(viewer: Person, today: dt.date) -> QuerySet[MilestoneException]:
    qs = MilestoneException.objects.select_related(
        "milestone__plan", "person", "unit", "requested_by", "decided_by"
    )
    if is_admin(viewer):
        return qs
    led = led_unit_ids(viewer, today, coordinators=False)
    return qs.filter(Q(unit_id__in=led) | Q(requested_by=viewer) | Q(person=viewer))


def exceptions_for(viewer: Person, *, today: dt.date) -> list[MilestoneException]:
    """The exceptions ``viewer`` may see (admin: all; a manager or supervisor: those of the
    units they lead; anyone: those they asked for or that keep their own milestone), pending
    first. Two queries."""
    rows = list(_exceptions_seen_by(viewer, today)[:500])
    return sorted(rows, key=lambda e: (e.status != ExceptionStatus.PENDING, -e.pk))


def access_exception(viewer: Person, exception_id: int, *, today: dt.date) -> MilestoneException:
    """The exception if ``viewer`` may see it, else ``NotFound`` (alike for an unknown id)."""
    found = _exceptions_seen_by(viewer, today).filter(pk=exception_id).first()
    if found is None:
        raise NotFound(f"unknown exception {exception_id}", field="exception_id")
    return found


def _units_decided_by(viewer: Person, today: dt.date) -> set[int] | None:
    """The units whose people's exceptions ``viewer`` decides: those below (a level or more)
    the unit they lead; None for admin (every unit)."""
    if is_admin(viewer):
        return None
    membership = membership_on(viewer, today)
    if membership is None or membership.role not in LEADER_ROLES:
        return set()
    return set(
        UnitClosure.objects.filter(ancestor_id=membership.unit_id, depth__gte=1).values_list(
            "descendant_id", flat=True
        )
    )


def _decides(viewer: Person, exception: MilestoneException, units: set[int] | None) -> bool:
    if viewer.pk in (exception.requested_by_id, exception.person_id):
        return False
    return units is None or exception.unit_id in units


def can_decide_exception(viewer: Person, exception: MilestoneException, *, today: dt.date) -> bool:
    """Admin, or someone leading a unit a level (or more) above the unit the person left —
    never the one who asked, never the person themself."""
    return _decides(viewer, exception, _units_decided_by(viewer, today))


def exceptions_to_decide(
    viewer: Person, *, today: dt.date
) -> list[tuple[MilestoneException, bool]]:
    """``exceptions_for`` with whether ``viewer`` may decide each: a fixed number of queries."""
    rows = exceptions_for(viewer, today=today)
    units = _units_decided_by(viewer, today) if rows else set()
    return [(e, _decides(viewer, e, units)) for e in rows]


# --- the one-line milestone of the board and the nightly message ---------------------------


def _rank(row: MilestoneProgress) -> tuple[int, object]:
    return (1, -row.threshold) if row.reached else (0, row.threshold)


def headline_milestones(people: list[Person], *, today: dt.date) -> dict[int, MilestoneProgress]:
    """Per person, the yearly milestone to show in one line: the smallest one still open, else
    the largest reached (a forfeited one is the promotion advisor's business). A fixed number
    of queries, whatever the number of people."""
    chosen: dict[int, MilestoneProgress] = {}
    for row in milestone_progress_many(people, today=today):
        if row.forfeited:
            continue
        mine = chosen.get(row.person.pk)
        if mine is None or _rank(row) < _rank(mine):  # type: ignore[operator]
            chosen[row.person.pk] = row
    return chosen


def any_year_milestone(year: int) -> bool:
    """Whether any plan in force in ``year`` has a yearly milestone. One query."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return PlanMilestone.objects.filter(
        Q(plan__effective_to__isnull=True) | Q(plan__effective_to__gte=start),
        period="year",
        plan__effective_from__lte=end,
    ).exists()


def people_by_employee_no(codes: list[str]) -> list[Person]:
    return list(Person.objects.filter(employee_no__in=codes))


def exception_approvers(exception: MilestoneException, *, today: dt.date) -> list[Person]:
    """Who may decide ``exception`` today and should hear of it: the heads of the units a
    level or more above the unit the person left, nearest first; the company's admins when no
    such head exists. Never the one who asked, never the person. Three queries at most."""
    depth = dict(
        UnitClosure.objects.filter(descendant_id=exception.unit_id, depth__gte=1).values_list(
            "ancestor_id", "depth"
        )
    )
    skip = {exception.requested_by_id, exception.person_id}
    heads = [
        m
        for m in Membership.objects.on(today)
        .filter(unit_id__in=list(depth), role__in=LEADER_ROLES, person__is_active=True)
        .select_related("person")
        if m.person_id not in skip
    ]
    if heads:
        nearest = min(depth[m.unit_id] for m in heads)
        return [m.person for m in heads if depth[m.unit_id] == nearest]
    admins = Person.objects.filter(
        Q(is_superuser=True) | Q(memberships__in=Membership.objects.on(today).filter(role="admin")),
        is_active=True,
    ).distinct()
    return [p for p in admins if p.pk not in skip]
