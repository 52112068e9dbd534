"""The morning kickoff sheet of a team or branch: each rep's position at the start of the day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When

from tiejun.field.models import PlanStop
from tiejun.metrics import Metric
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Membership, Unit, UnitKind
from tiejun.org.selectors import work_calendar
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.workdays import WorkCalendar, month_end, month_start

from .shared import ZERO, person_targets, rate, ratio, reps_on, with_target_or_rep


@dataclass
class KickoffRow:
    """One line of the kickoff sheet: the position at the start of ``day``."""

    kind: str  # "person" or "unit"
    code: str
    name: str
    target: Decimal | None
    done: Decimal  # up to the end of the previous day
    today: Decimal  # already recorded today (usually nothing at 08:30)
    yesterday: Decimal  # the previous working day's result
    days_left: int  # working days left in the month, today included
    team: str = ""  # for a person: the code of their team
    planned_visits: int | None = None  # for a person: customers on today's visit plan

    @property
    def left(self) -> Decimal | None:
        return None if self.target is None else max(ZERO, self.target - self.done)

    @property
    def needed_today(self) -> Decimal | None:
        """What today must bring to stay on the required pace: left / working days left."""
        left = self.left
        if left is None or self.days_left <= 0:
            return None
        return left / self.days_left

    @property
    def completion(self) -> float | None:
        if not self.target:
            return None
        return float(self.done / self.target)

    def to_json(self, m: Metric) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            **({"team": self.team} if self.kind == "person" else {}),
            "target": m.to_json(self.target),
            "done": m.to_json(self.done),
            "left": m.to_json(self.left),
            "needed_today": rate(m, self.needed_today),
            "yesterday": m.to_json(self.yesterday),
            "today": m.to_json(self.today),
            "completion": ratio(self.completion),
            **({"planned_visits": self.planned_visits} if self.kind == "person" else {}),
        }


@dataclass
class KickoffGroup:
    """A team and its reps. ``reps_total`` adds up the rows; the team's own figures may differ
    (a unit target set above or below its reps' targets, deals of people not listed)."""

    team: KickoffRow
    reps: list[KickoffRow] = field(default_factory=list)

    @property
    def reps_total(self) -> KickoffRow:
        targets = [r.target for r in self.reps if r.target is not None]
        planned = [r.planned_visits for r in self.reps if r.planned_visits is not None]
        return KickoffRow(
            kind="unit",
            code=self.team.code,
            name=self.team.name,
            target=sum(targets, ZERO) if targets else None,
            done=sum((r.done for r in self.reps), ZERO),
            today=sum((r.today for r in self.reps), ZERO),
            yesterday=sum((r.yesterday for r in self.reps), ZERO),
            days_left=self.team.days_left,
            planned_visits=sum(planned) if planned else None,
        )

    @property
    def left_total(self) -> Decimal | None:
        """What the rows leave to do, added up (a rep ahead of target leaves nothing)."""
        lefts = [r.left for r in self.reps if r.left is not None]
        return sum(lefts, ZERO) if lefts else None

    @property
    def needed_total(self) -> Decimal | None:
        needs = [r.needed_today for r in self.reps if r.needed_today is not None]
        return sum(needs, ZERO) if needs else None

    @property
    def target_gap(self) -> Decimal:
        """The team's own target less its reps' targets added up (either may be unset)."""
        return (self.team.target or ZERO) - (self.reps_total.target or ZERO)

    @property
    def done_gap(self) -> Decimal:
        """What the team has done less what its listed reps have done."""
        return self.team.done - self.reps_total.done

    @property
    def target_gap_size(self) -> Decimal:
        return abs(self.target_gap)

    @property
    def done_gap_size(self) -> Decimal:
        return abs(self.done_gap)


@dataclass
class Kickoff:
    """The morning kickoff sheet of a team or branch for ``day``.

    Today is not yet elapsed: "done" stops at the end of the previous day and "needed today" is
    what is left divided by the working days left *including today*.
    """

    unit: Unit
    day: dt.date
    month: dt.date
    metric: Metric
    is_workday: bool
    yesterday_day: dt.date | None
    days_total: int
    days_elapsed: int  # working days before today
    totals: KickoffRow
    children: list[KickoffRow] = field(default_factory=list)
    groups: list[KickoffGroup] = field(default_factory=list)

    @property
    def days_left(self) -> int:
        return self.totals.days_left

    @property
    def time_progress(self) -> float | None:
        return None if self.days_total == 0 else self.days_elapsed / self.days_total

    def to_json(self) -> dict[str, Any]:
        m = self.metric
        return {
            "report": "kickoff",
            "unit": {"code": self.unit.code, "name": self.unit.name, "kind": self.unit.kind},
            "date": self.day.isoformat(),
            "month": f"{self.month:%Y-%m}",
            "metric": m.code,
            "is_workday": self.is_workday,
            "yesterday": self.yesterday_day.isoformat() if self.yesterday_day else None,
            "working_days": {
                "total": self.days_total,
                "elapsed_before_today": self.days_elapsed,
                "left_including_today": self.days_left,
            },
            "time_progress": ratio(self.time_progress),
            "totals": self.totals.to_json(m),
            "children": [row.to_json(m) for row in self.children],
            "groups": [
                {"team": g.team.to_json(m), "reps": [r.to_json(m) for r in g.reps]}
                for g in self.groups
            ],
        }


def _days_left(calendar: WorkCalendar, day: dt.date) -> int:
    return len(calendar.workdays(day, month_end(day)))


def _group_teams(unit: Unit, children: list[Unit]) -> list[Unit]:
    if unit.kind == UnitKind.TEAM:
        return [unit]
    if unit.kind == UnitKind.BRANCH:
        return [c for c in children if c.kind == UnitKind.TEAM]
    return []


def _person_facts(
    metric: str, person_ids: list[int], *, month: dt.date, day: dt.date, yesterday: dt.date | None
) -> dict[int, Any]:
    """Each person's month before ``day``, ``day`` itself and the previous working day (one
    grouped query)."""

    def sums(day_filter: Q) -> Sum:
        return Sum(
            Case(When(day_filter, then="value"), default=Value(ZERO)), output_field=DecimalField()
        )

    start = min(month, yesterday) if yesterday else month
    rows = (
        Fact.objects.filter(metric=metric, person_id__in=person_ids, day__gte=start, day__lte=day)
        .values("person_id")
        .annotate(
            done=sums(Q(day__gte=month, day__lt=day)),
            today=sums(Q(day=day)),
            yesterday=sums(Q(day=yesterday)) if yesterday else Value(ZERO),
        )
        .order_by()
    )
    return {r["person_id"]: r for r in rows}


def _units_on(metric: str, unit_ids: list[int], day: dt.date | None) -> dict[int, Decimal]:
    """Each unit's result of ``day`` over its subtree (one grouped query; none without a day)."""
    if day is None:
        return {}
    rows = (
        Fact.objects.filter(metric=metric, day=day, unit__ancestor_links__ancestor_id__in=unit_ids)
        .values(a=F("unit__ancestor_links__ancestor_id"))
        .annotate(v=Sum("value"))
        .order_by()
    )
    return {r["a"]: r["v"] or ZERO for r in rows}


def _planned_visits(person_ids: list[int], day: dt.date) -> dict[int, int]:
    """How many customers each person's visit plan of ``day`` holds (the field app's plans)."""
    return dict(
        PlanStop.objects.filter(plan__date=day, plan__person_id__in=person_ids)
        .values("plan__person_id")
        .annotate(n=Count("id"))
        .values_list("plan__person_id", "n")
    )


def _rep_rows(
    team: Unit,
    members: list[Membership],
    *,
    targets: dict[int, Decimal],
    facts: dict[int, Any],
    planned: dict[int, int],
    days_left: int,
) -> list[KickoffRow]:
    """The team's reps, the one who needs most today first."""
    reps = []
    for ms in members:
        if ms.unit_id != team.pk:
            continue
        f = facts.get(ms.person_id, {})
        reps.append(
            KickoffRow(
                kind="person",
                code=ms.person.employee_no,
                name=ms.person.name,
                target=targets.get(ms.person_id),
                done=f.get("done") or ZERO,
                today=f.get("today") or ZERO,
                yesterday=f.get("yesterday") or ZERO,
                days_left=days_left,
                team=team.code,
                planned_visits=planned.get(ms.person_id, 0),
            )
        )
    reps.sort(key=lambda r: (r.needed_today is None, -(r.needed_today or ZERO), r.code))
    return reps


def kickoff_for_unit(unit: Unit, *, day: dt.date, metric: str = "revenue") -> Kickoff:
    """The kickoff sheet of ``unit`` (team or branch; higher units show their children only)."""
    m = get_metric(metric)
    calendar = work_calendar()
    month = month_start(day)
    board = board_for_unit(unit, month=month, as_of=day, metric=m.code, calendar=calendar)
    previous = calendar.previous_workdays(day, 1)
    yesterday = previous[0] if previous else None
    days_left = _days_left(calendar, day)
    progress = calendar.progress(month, day - dt.timedelta(days=1))
    children = list(unit.children.order_by("sort", "code")) if unit.kind != UnitKind.TEAM else []
    teams = _group_teams(unit, children)
    members = reps_on([t.pk for t in teams], day)
    targets = person_targets(month, m.code, [ms.person_id for ms in members])
    members = with_target_or_rep(members, targets)
    person_ids = [ms.person_id for ms in members]
    facts = _person_facts(m.code, person_ids, month=month, day=day, yesterday=yesterday)
    yesterday_units = _units_on(m.code, [unit.pk, *(c.pk for c in children)], yesterday)

    def unit_row(u: Unit, target: Decimal | None, achieved: Decimal, today: Decimal) -> KickoffRow:
        return KickoffRow(
            kind="unit",
            code=u.code,
            name=u.name,
            target=target,
            done=achieved - today,
            today=today,
            yesterday=yesterday_units.get(u.pk, ZERO),
            days_left=days_left,
        )

    totals = unit_row(unit, board.target, board.achieved, board.today)
    board_rows = {r.code: r for r in board.rows if r.kind == "unit"}
    child_rows = [
        unit_row(c, r.target, r.achieved, r.today)
        for c in children
        if (r := board_rows.get(c.code)) is not None
    ]
    planned = _planned_visits(person_ids, day)
    groups = [
        KickoffGroup(
            team=totals
            if team.pk == unit.pk
            else next(r for r in child_rows if r.code == team.code),
            reps=_rep_rows(
                team, members, targets=targets, facts=facts, planned=planned, days_left=days_left
            ),
        )
        for team in teams
    ]
    return Kickoff(
        unit=unit,
        day=day,
        month=month,
        metric=m,
        is_workday=calendar.is_workday(day),
        yesterday_day=yesterday,
        days_total=progress.total,
        days_elapsed=progress.elapsed if day > month else 0,
        totals=totals,
        children=child_rows,
        groups=groups,
    )
