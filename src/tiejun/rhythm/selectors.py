"""The daily rhythm: the morning kickoff sheet, the evening review with its forecast, the risks.

Callers authorise first (``org.selectors.access_unit``); these take a unit the viewer may see.
Every read is a fixed number of grouped queries whatever the number of reps: the unit figures
come from ``board_for_unit`` (so they match the board), the reps' figures from one grouped query
over the scoreboard's facts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.utils.translation import gettext as _

from tiejun import forecast as fc
from tiejun.metrics import Metric
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Membership, Person, Role, Unit, UnitClosure, UnitKind
from tiejun.org.selectors import work_calendar
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.selectors import _effective_targets, board_for_unit
from tiejun.targets.models import Target
from tiejun.workdays import MonthProgress, WorkCalendar, month_end, month_start

ZERO = Decimal(0)
HISTORY_WORKDAYS = 60  # the rep's own past the forecast draws from


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _rate(m: Metric, value: Decimal | None) -> str | float | None:
    if value is None:
        return None
    return m.to_json(value) if m.money else round(float(value), 2)  # type: ignore[return-value]


def _dec(value: float) -> Decimal:
    return Decimal(repr(round(value, 2)))


# --- the morning kickoff ------------------------------------------------------------------


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
            "needed_today": _rate(m, self.needed_today),
            "yesterday": m.to_json(self.yesterday),
            "today": m.to_json(self.today),
            "completion": _ratio(self.completion),
            **({"planned_visits": self.planned_visits} if self.kind == "person" else {}),
        }


@dataclass
class KickoffGroup:
    team: KickoffRow
    reps: list[KickoffRow] = field(default_factory=list)


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
            "time_progress": _ratio(self.time_progress),
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


def _reps_on(team_ids: list[int], day: dt.date) -> list[Membership]:
    return list(
        Membership.objects.on(day)
        .filter(unit_id__in=team_ids)
        .select_related("person")
        .order_by("person__employee_no")
    )


def _person_targets(month: dt.date, metric: str, person_ids: list[int]) -> dict[int, Decimal]:
    return dict(
        Target.objects.filter(month=month, metric=metric, person_id__in=person_ids).values_list(
            "person_id", "value"
        )
    )


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
    members = _reps_on([t.pk for t in teams], day)
    targets = _person_targets(month, m.code, [ms.person_id for ms in members])
    members = [ms for ms in members if ms.role == Role.REP or ms.person_id in targets]

    start = min(month, yesterday) if yesterday else month

    def sums(day_filter: Q) -> Sum:
        return Sum(
            Case(When(day_filter, then="value"), default=Value(ZERO)), output_field=DecimalField()
        )

    person_facts = {
        r["person_id"]: r
        for r in Fact.objects.filter(
            metric=m.code,
            person_id__in=[ms.person_id for ms in members],
            day__gte=start,
            day__lte=day,
        )
        .values("person_id")
        .annotate(
            done=sums(Q(day__gte=month, day__lt=day)),
            today=sums(Q(day=day)),
            yesterday=sums(Q(day=yesterday)) if yesterday else Value(ZERO),
        )
        .order_by()
    }
    yesterday_units: dict[int, Decimal] = {}
    if yesterday:
        yesterday_units = {
            r["a"]: r["v"] or ZERO
            for r in Fact.objects.filter(
                metric=m.code,
                day=yesterday,
                unit__ancestor_links__ancestor_id__in=[unit.pk, *(c.pk for c in children)],
            )
            .values(a=F("unit__ancestor_links__ancestor_id"))
            .annotate(v=Sum("value"))
            .order_by()
        }

    def unit_row(code: str, name: str, unit_id: int, target: Decimal | None, achieved: Decimal,
                 today: Decimal) -> KickoffRow:  # fmt: skip
        return KickoffRow(
            kind="unit",
            code=code,
            name=name,
            target=target,
            done=achieved - today,
            today=today,
            yesterday=yesterday_units.get(unit_id, ZERO),
            days_left=days_left,
        )

    totals = unit_row(unit.code, unit.name, unit.pk, board.target, board.achieved, board.today)
    board_rows = {r.code: r for r in board.rows if r.kind == "unit"}
    child_rows = [
        unit_row(c.code, c.name, c.pk, r.target, r.achieved, r.today)
        for c in children
        if (r := board_rows.get(c.code)) is not None
    ]
    # Today's visit plans (the field app): how many customers each rep will see.
    from tiejun.field.models import PlanStop

    planned = dict(
        PlanStop.objects.filter(
            plan__date=day, plan__person_id__in=[ms.person_id for ms in members]
        )
        .values("plan__person_id")
        .annotate(n=Count("id"))
        .values_list("plan__person_id", "n")
    )
    groups: list[KickoffGroup] = []
    for team in teams:
        team_row = (
            totals if team.pk == unit.pk else next(r for r in child_rows if r.code == team.code)
        )
        reps = []
        for ms in members:
            if ms.unit_id != team.pk:
                continue
            f: Any = person_facts.get(ms.person_id, {})
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
        groups.append(KickoffGroup(team=team_row, reps=reps))
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


# --- the evening review -------------------------------------------------------------------


@dataclass
class ForecastRow:
    """A rep's or a unit's month-end forecast as of the evening of the review's day."""

    kind: str  # "person" or "unit"
    code: str
    name: str
    target: Decimal | None
    achieved: Decimal
    forecast: fc.Forecast
    team: str = ""
    unit_kind: str = ""

    @property
    def completion(self) -> float | None:
        if not self.target:
            return None
        return float(self.achieved / self.target)

    @property
    def expected(self) -> Decimal:
        return _dec(self.forecast.expected)

    @property
    def probability(self) -> float | None:
        return self.forecast.probability

    def to_json(self, m: Metric) -> dict[str, Any]:
        f = self.forecast
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            **({"team": self.team} if self.kind == "person" else {"unit_kind": self.unit_kind}),
            "target": m.to_json(self.target),
            "achieved": m.to_json(self.achieved),
            "completion": _ratio(self.completion),
            "forecast": {
                "expected": m.to_json(_dec(f.expected)),
                "p10": m.to_json(_dec(f.p10)),
                "p50": m.to_json(_dec(f.p50)),
                "p90": m.to_json(_dec(f.p90)),
            },
            "probability": _ratio(f.probability),
            "history_days": f.own_days,
        }


RISK_KINDS = (
    "behind",
    "idle",
    "low_probability",
    "allocation_gap",
    "missing_report",
    "visit_shortfall",
)


@dataclass
class Risk:
    """A risk point: what, about whom, how big (the gap) and why, in words."""

    kind: str  # one of RISK_KINDS
    subject: str  # "person" or "unit"
    code: str
    name: str
    gap: Decimal
    message: str
    unit: str = ""  # the person's team, or the unit itself

    def to_json(self, m: Metric) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "code": self.code,
            "name": self.name,
            "unit": self.unit,
            "gap": m.to_json(self.gap),
            "message": self.message,
        }


@dataclass
class Review:
    """The evening review of a unit: forecasts per rep and child unit, and the risk points."""

    unit: Unit
    day: dt.date
    month: dt.date
    metric: Metric
    progress: MonthProgress
    simulations: int
    history_workdays: int
    totals: ForecastRow
    children: list[ForecastRow] = field(default_factory=list)
    rows: list[ForecastRow] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)

    @property
    def time_progress(self) -> float | None:
        return self.progress.time_progress

    def to_json(self) -> dict[str, Any]:
        m = self.metric
        return {
            "report": "review",
            "unit": {"code": self.unit.code, "name": self.unit.name, "kind": self.unit.kind},
            "date": self.day.isoformat(),
            "month": f"{self.month:%Y-%m}",
            "metric": m.code,
            "working_days": {
                "total": self.progress.total,
                "elapsed": self.progress.elapsed,
                "remaining": self.progress.remaining,
            },
            "time_progress": _ratio(self.time_progress),
            "simulations": self.simulations,
            "history_workdays": self.history_workdays,
            "totals": self.totals.to_json(m),
            "children": [r.to_json(m) for r in self.children],
            "rows": [r.to_json(m) for r in self.rows],
            "risks": [r.to_json(m) for r in self.risks],
        }


@dataclass
class _Subtree:
    """Everything the review and the risks need about a subtree, read in a fixed few queries."""

    root: Unit
    day: dt.date
    month: dt.date
    metric: Metric
    progress: MonthProgress
    units: dict[int, Unit]
    effective: dict[int, Decimal]
    own: dict[int, Decimal]
    children_sum: dict[int, Decimal]
    unit_achieved: dict[int, Decimal]
    unit_forecasts: dict[int, fc.Forecast]
    reps: list[ForecastRow]
    rep_team: dict[str, int]
    idle_days: dict[str, int]
    # Field signals: whose daily report of the last working day is missing, and visits made over
    # the last few working days against the expected number.
    last_workday: dt.date | None = None
    missing_report: frozenset[str] = frozenset()
    visit_days: int = 0
    visits_made: dict[str, int] = field(default_factory=dict)


def _subtree(unit: Unit, day: dt.date, metric: str) -> _Subtree:
    m = get_metric(metric)
    calendar = work_calendar()
    month = month_start(day)
    progress = calendar.progress(month, day)
    units = {
        u.pk: u
        for u in Unit.objects.filter(
            pk__in=UnitClosure.objects.filter(ancestor=unit).values("descendant_id")
        ).only("id", "code", "name", "kind", "parent_id", "sort")
    }
    effective, own, children_sum = _effective_targets(units, m.code, month, day)
    # Each unit's month so far: facts per unit in one query, rolled up the tree here.
    per_unit = dict(
        Fact.objects.filter(metric=m.code, unit_id__in=list(units), day__gte=month, day__lte=day)
        .values("unit_id")
        .annotate(v=Sum("value"))
        .order_by()
        .values_list("unit_id", "v")
    )
    unit_achieved: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for unit_id, value in per_unit.items():
        current: int | None = unit_id
        while current in units:
            unit_achieved[current] += value or ZERO
            current = units[current].parent_id  # type: ignore[assignment]
            if current is None or units.get(current) is None:
                break

    teams = [u for u in units.values() if u.kind == UnitKind.TEAM]
    members = _reps_on([t.pk for t in teams], day)
    targets = _person_targets(month, m.code, [ms.person_id for ms in members])
    members = [ms for ms in members if ms.role == Role.REP or ms.person_id in targets]
    window = calendar.previous_workdays(day, HISTORY_WORKDAYS)
    since_data = (
        Fact.objects.filter(metric=m.code).order_by("day").values_list("day", flat=True).first()
    )
    daily: dict[int, dict[dt.date, float]] = defaultdict(dict)
    achieved: dict[int, Decimal] = defaultdict(lambda: ZERO)
    last_win: dict[int, dt.date] = {}
    first_day = window[0] if window else month
    for person_id, fact_day, value in (
        Fact.objects.filter(
            metric=m.code,
            person_id__in=[ms.person_id for ms in members],
            day__gte=min(first_day, month),
            day__lte=day,
        )
        .values("person_id", "day")
        .annotate(v=Sum("value"))
        .order_by()
        .values_list("person_id", "day", "v")
    ):
        daily[person_id][fact_day] = float(value or 0)
        if fact_day >= month:
            achieved[person_id] += value or ZERO
        if (value or 0) > 0 and (person_id not in last_win or fact_day > last_win[person_id]):
            last_win[person_id] = fact_day

    def since(person: Person) -> dt.date | None:
        bounds = [d for d in (person.start_date, since_data) if d is not None]
        return max(bounds) if bounds else None

    histories = {
        ms.person_id: fc.history_values(daily[ms.person_id], window, since(ms.person))
        for ms in members
    }
    pools: dict[int, list[float]] = defaultdict(list)
    for ms in members:
        pools[ms.unit_id].extend(histories[ms.person_id])
    simulations = settings.FORECAST_SIMULATIONS
    team_futures: dict[int, np.ndarray] = {}
    reps: list[ForecastRow] = []
    rep_team: dict[str, int] = {}
    idle_days: dict[str, int] = {}
    for ms in members:
        person = ms.person
        team = units[ms.unit_id]
        future = fc.simulate_remaining(
            histories[ms.person_id],
            progress.remaining,
            fallback=pools[ms.unit_id],
            seed=fc.stable_seed(team.code, person.employee_no, day.isoformat()),
            simulations=simulations,
        )
        team_futures[team.pk] = team_futures.get(team.pk, 0) + future
        target = targets.get(ms.person_id)
        done = achieved[ms.person_id]
        reps.append(
            ForecastRow(
                kind="person",
                code=person.employee_no,
                name=person.name,
                target=target,
                achieved=done,
                forecast=fc.summarise(
                    float(done),
                    future,
                    None if target is None else float(target),
                    remaining_days=progress.remaining,
                    own_days=len(histories[ms.person_id]),
                ),
                team=team.code,
            )
        )
        rep_team[person.employee_no] = team.pk
        # Working days without a won deal, today included, counted back to the last win (or
        # to the rep's first day in the data).
        start = since(person)
        last = last_win.get(ms.person_id)
        idle = 1 if calendar.is_workday(day) else 0
        idle += sum(
            1 for d in window if (last is None or d > last) and (start is None or d >= start)
        )
        idle_days[person.employee_no] = 0 if last == day else idle
    # A unit's future is the sum of its reps' simulated futures (its teams', rolled up).
    futures: dict[int, np.ndarray] = {}
    for team_id, future in team_futures.items():
        current = team_id
        while current is not None and current in units:
            futures[current] = futures.get(current, 0) + future
            current = units[current].parent_id
    unit_forecasts = {
        unit_id: fc.summarise(
            float(unit_achieved[unit_id]),
            futures.get(unit_id, np.zeros(simulations)),
            None if effective.get(unit_id) is None else float(effective[unit_id]),
            remaining_days=progress.remaining,
        )
        for unit_id in units
    }
    return _Subtree(
        root=unit,
        day=day,
        month=month,
        metric=m,
        progress=progress,
        units=units,
        effective=effective,
        own=own,
        children_sum=children_sum,
        unit_achieved=unit_achieved,
        unit_forecasts=unit_forecasts,
        reps=reps,
        rep_team=rep_team,
        idle_days=idle_days,
    )


def _unit_row(tree: _Subtree, unit_id: int) -> ForecastRow:
    u = tree.units[unit_id]
    return ForecastRow(
        kind="unit",
        code=u.code,
        name=u.name,
        target=tree.effective.get(unit_id),
        achieved=tree.unit_achieved[unit_id],
        forecast=tree.unit_forecasts[unit_id],
        unit_kind=u.kind,
    )


def _risks_of(tree: _Subtree, row: ForecastRow, unit_id: int | None = None) -> list[Risk]:
    """The risk points of one rep or unit, each with its reason in words."""
    m = tree.metric
    risks: list[Risk] = []
    subject_unit = tree.units[unit_id].code if unit_id is not None else row.team
    margin = float(settings.RISK_BEHIND_MARGIN)
    time_progress = tree.progress.time_progress
    target = row.target

    def add(kind: str, gap: Decimal, message: str) -> None:
        risks.append(Risk(kind, row.kind, row.code, row.name, gap, message, subject_unit))

    if target and time_progress is not None:
        completion = row.completion or 0.0
        if completion < time_progress - margin:
            gap = max(ZERO, target * Decimal(repr(time_progress)) - row.achieved)
            add(
                "behind",
                m.quantize(gap),
                _(
                    "Behind time progress: %(completion)s done against %(time)s of the month "
                    "gone (%(points)s points behind, more than the %(margin)s allowed)."
                )
                % {
                    "completion": f"{completion:.0%}",
                    "time": f"{time_progress:.0%}",
                    "points": f"{(time_progress - completion) * 100:.0f}",
                    "margin": f"{margin:.0%}",
                },
            )
    if row.kind == "person":
        idle = tree.idle_days.get(row.code, 0)
        if idle >= settings.RISK_IDLE_WORKDAYS:
            add(
                "idle",
                m.quantize(target - row.achieved if target and target > row.achieved else 0),
                _("No won deal for %(days)s working days.") % {"days": idle},
            )
    probability = row.probability
    if target and probability is not None and probability < 0.5:
        gap = max(ZERO, target - row.expected)
        add(
            "low_probability",
            m.quantize(gap),
            _(
                "Only a %(probability)s chance of reaching the target: the forecast month-end "
                "is %(expected)s against %(target)s."
            )
            % {
                "probability": f"{probability:.0%}",
                "expected": m.to_json(row.expected),
                "target": m.to_json(target),
            },
        )
    if row.kind == "person" and row.code in tree.missing_report and tree.last_workday:
        add(
            "missing_report",
            ZERO,
            _("No daily report filed for %(day)s.") % {"day": tree.last_workday.isoformat()},
        )
    if row.kind == "person" and tree.visit_days:
        expected = settings.RISK_MIN_VISITS_PER_DAY * tree.visit_days
        made = tree.visits_made.get(row.code, 0)
        if made < expected:
            add(
                "visit_shortfall",
                ZERO,
                _(
                    "Visit shortfall: %(made)s visits in the last %(days)s working days, "
                    "%(expected)s expected."
                )
                % {"made": made, "days": tree.visit_days, "expected": expected},
            )
    if unit_id is not None and unit_id in tree.own:
        own = tree.own[unit_id]
        below = tree.children_sum.get(unit_id)
        gap = own - (below or ZERO)
        if gap > 0:
            add(
                "allocation_gap",
                m.quantize(gap),
                _(
                    "Allocation gap: the unit's target is %(own)s but the targets below it add "
                    "up to %(below)s."
                )
                % {"own": m.to_json(own), "below": m.to_json(below or ZERO)},
            )
    return risks


def _by_gap(risks: list[Risk]) -> list[Risk]:
    order = {k: i for i, k in enumerate(RISK_KINDS)}
    return sorted(risks, key=lambda r: (-r.gap, order[r.kind], r.code))


def _with_field_signals(tree: _Subtree) -> _Subtree:
    """Add whose daily report is missing and who visits too little (two queries)."""
    from tiejun.field.reports import missing_daily_reports
    from tiejun.org.selectors import work_calendar

    days = work_calendar().previous_workdays(tree.day, settings.RISK_VISIT_WORKDAYS)
    if not days or not tree.reps:
        return tree
    tree.last_workday = days[-1]
    missing = {p.employee_no for p in missing_daily_reports(tree.root, day=days[-1])}
    # A unit that files no daily reports at all does not use them: no risk points for it.
    if len(missing) < sum(1 for r in tree.reps if r.code in tree.rep_team):
        tree.missing_report = frozenset(missing)
    rows = (
        Fact.objects.filter(
            metric="visits",
            day__gte=days[0],
            day__lte=days[-1],
            unit_id__in=list(tree.units),
            person__isnull=False,
        )
        .values("person__employee_no")
        .annotate(n=Sum("value"))
        .order_by()
    )
    tree.visits_made = {r["person__employee_no"]: int(r["n"]) for r in rows}
    # Likewise a unit that records no visits is not judged on them.
    tree.visit_days = len(days) if tree.visits_made else 0
    return tree


def review_for_unit(unit: Unit, *, day: dt.date, metric: str = "revenue") -> Review:
    """The evening review of ``unit`` on ``day`` (today counted as elapsed).

    Rows per rep for a team or a branch, per child unit for any unit above a team; the risks of
    the unit, its children and the reps shown, largest gap first.
    """
    tree = _with_field_signals(_subtree(unit, day, metric))
    children_ids = sorted(
        (u.pk for u in tree.units.values() if u.parent_id == unit.pk),
        key=lambda pk: (tree.units[pk].sort, tree.units[pk].code),
    )
    totals = _unit_row(tree, unit.pk)
    children = [_unit_row(tree, pk) for pk in children_ids]
    rows = tree.reps if unit.kind in (UnitKind.TEAM, UnitKind.BRANCH) else []
    rows = sorted(rows, key=lambda r: (r.probability is None, r.probability or 0.0, r.code))
    risks = _risks_of(tree, totals, unit.pk)
    for row, pk in zip(children, children_ids, strict=True):
        risks.extend(_risks_of(tree, row, pk))
    for row in rows:
        risks.extend(_risks_of(tree, row))
    return Review(
        unit=unit,
        day=day,
        month=tree.month,
        metric=tree.metric,
        progress=tree.progress,
        simulations=settings.FORECAST_SIMULATIONS,
        history_workdays=HISTORY_WORKDAYS,
        totals=totals,
        children=children,
        rows=rows,
        risks=_by_gap(risks),
    )


def risks_for_subtree(unit: Unit, *, day: dt.date, metric: str = "revenue") -> list[Risk]:
    """Every risk point in ``unit``'s subtree (units and reps), largest gap first."""
    tree = _with_field_signals(_subtree(unit, day, metric))
    risks: list[Risk] = []
    for pk in tree.units:
        risks.extend(_risks_of(tree, _unit_row(tree, pk), pk))
    for row in tree.reps:
        risks.extend(_risks_of(tree, row))
    return _by_gap(risks)
