"""What the review and the risks read about a subtree: each unit's month so far and its
forecast, each rep's forecast and idle days, in a fixed few queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Sum

from tiejun import forecast as fc
from tiejun import pipeline as pl
from tiejun.crm.selectors.pipeline import OpenPipeline, open_pipeline
from tiejun.metrics import REVENUE, Metric
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Membership, Person, Unit, UnitClosure, UnitKind
from tiejun.org.selectors import work_calendar
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.selectors import effective_targets
from tiejun.workdays import MonthProgress, WorkCalendar, month_start

from ..models import ForecastCalibration
from ..shaping import month_shape, month_weights, normalise
from .calibration import calibrators, latest_calibration, recalibrated, stored_blends
from .shared import (
    HISTORY_WORKDAYS,
    ZERO,
    dec,
    person_targets,
    ratio,
    reps_on,
    with_target_or_rep,
)


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
    pipeline: pl.PipelineShare | None = None  # the part of the forecast on open opportunities

    @property
    def pipeline_amount(self) -> Decimal | None:
        return None if self.pipeline is None else dec(self.pipeline.amount)

    @property
    def completion(self) -> float | None:
        if not self.target:
            return None
        return float(self.achieved / self.target)

    @property
    def expected(self) -> Decimal:
        return dec(self.forecast.expected)

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
            "completion": ratio(self.completion),
            "forecast": {
                "expected": m.to_json(dec(f.expected)),
                "p10": m.to_json(dec(f.p10)),
                "p50": m.to_json(dec(f.p50)),
                "p90": m.to_json(dec(f.p90)),
            },
            "probability": ratio(f.probability),
            "history_days": f.own_days,
            **(
                {}
                if self.pipeline is None
                else {
                    "pipeline": {
                        "amount": m.to_json(dec(self.pipeline.amount)),
                        "opportunities": self.pipeline.opportunities,
                        "expected_value": m.to_json(dec(self.pipeline.expected_value)),
                    }
                }
            ),
        }


@dataclass
class Subtree:
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
    # What of each rep's (employee number) and unit's (id) forecast stands on open opportunities
    pipeline: dict[str, pl.PipelineShare] = field(default_factory=dict)
    unit_pipeline: dict[int, pl.PipelineShare] = field(default_factory=dict)
    # the stored fit the forecasts were made with (blend and recalibration); None: raw
    calibration: ForecastCalibration | None = None


@dataclass
class _RepFacts:
    """The reps' results by day over the forecast's window and the month so far."""

    daily: dict[int, dict[dt.date, float]] = field(default_factory=lambda: defaultdict(dict))
    achieved: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    last_win: dict[int, dt.date] = field(default_factory=dict)
    since_data: dt.date | None = None  # the first day with any fact of the metric

    def since(self, person: Person) -> dt.date | None:
        """From when the person's history counts: their start, or the first day with data."""
        bounds = [d for d in (person.start_date, self.since_data) if d is not None]
        return max(bounds) if bounds else None


def _subtree_units(unit: Unit) -> dict[int, Unit]:
    return {
        u.pk: u
        for u in Unit.objects.filter(
            pk__in=UnitClosure.objects.filter(ancestor=unit).values("descendant_id")
        ).only("id", "code", "name", "kind", "parent_id", "sort")
    }


def _roll_up(units: dict[int, Unit], unit_id: int) -> list[int]:
    """``unit_id`` and its ancestors inside the subtree, bottom up."""
    chain = []
    current: int | None = unit_id
    while current is not None and current in units:
        chain.append(current)
        current = units[current].parent_id
    return chain


def _unit_achieved(
    units: dict[int, Unit], metric: str, month: dt.date, day: dt.date
) -> dict[int, Decimal]:
    """Each unit's month so far: facts per unit in one query, rolled up the tree here."""
    per_unit = (
        Fact.objects.filter(metric=metric, unit_id__in=list(units), day__gte=month, day__lte=day)
        .values("unit_id")
        .annotate(v=Sum("value"))
        .order_by()
        .values_list("unit_id", "v")
    )
    achieved: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for unit_id, value in per_unit:
        for ancestor in _roll_up(units, unit_id):
            achieved[ancestor] += value or ZERO
    return achieved


def _rep_facts(
    members: list[Membership], metric: str, *, since: dt.date, month: dt.date, day: dt.date
) -> _RepFacts:
    """The reps' facts by day from ``since`` (or the month's start, if earlier) to ``day``."""
    facts = _RepFacts(
        since_data=Fact.objects.filter(metric=metric)
        .order_by("day")
        .values_list("day", flat=True)
        .first()
    )
    rows = (
        Fact.objects.filter(
            metric=metric,
            person_id__in=[ms.person_id for ms in members],
            day__gte=min(since, month),
            day__lte=day,
        )
        .values("person_id", "day")
        .annotate(v=Sum("value"))
        .order_by()
        .values_list("person_id", "day", "v")
    )
    for person_id, fact_day, value in rows:
        facts.daily[person_id][fact_day] = float(value or 0)
        if fact_day >= month:
            facts.achieved[person_id] += value or ZERO
        last = facts.last_win.get(person_id)
        if (value or 0) > 0 and (last is None or fact_day > last):
            facts.last_win[person_id] = fact_day
    return facts


def _idle_days(
    start: dt.date | None,
    last_win: dt.date | None,
    *,
    window: list[dt.date],
    day: dt.date,
    calendar: WorkCalendar,
) -> int:
    """Working days without a won deal, today included, counted back to the last win (or to
    the rep's first day in the data)."""
    if last_win == day:
        return 0
    idle = 1 if calendar.is_workday(day) else 0
    return idle + sum(
        1 for d in window if (last_win is None or d > last_win) and (start is None or d >= start)
    )


@dataclass
class _Reps:
    """The reps' forecasts, their teams, their idle days and each team's simulated future."""

    rows: list[ForecastRow] = field(default_factory=list)
    team: dict[str, int] = field(default_factory=dict)
    idle_days: dict[str, int] = field(default_factory=dict)
    team_futures: dict[int, np.ndarray] = field(default_factory=dict)
    pipeline: dict[str, pl.PipelineShare] = field(default_factory=dict)


def _rep_forecasts(
    members: list[Membership],
    units: dict[int, Unit],
    targets: dict[int, Decimal],
    *,
    day: dt.date,
    metric: str,
    progress: MonthProgress,
    calendar: WorkCalendar,
    pipeline: OpenPipeline | None = None,
    blend: pl.Blend | None = None,
) -> _Reps:
    """Each rep's month-end forecast from their own past (the team's pool where it is short),
    with the open pipeline joined by ``blend`` (learned from the company's backtest) or, without
    one, as the larger of the pipeline and the pace — as the backtest replays it."""
    window = calendar.previous_workdays(day, HISTORY_WORKDAYS)
    month = month_start(day)
    facts = _rep_facts(members, metric, since=window[0] if window else month, month=month, day=day)
    histories = {
        ms.person_id: fc.history_values(facts.daily[ms.person_id], window, facts.since(ms.person))
        for ms in members
    }
    # the month's shape (slow start, month-end rush), learned from these reps' own days
    places, shape = month_shape(list(histories.values()), window, calendar)
    histories = {pid: normalise(values, window, places, shape) for pid, values in histories.items()}
    future_shape, elapsed = month_weights(shape, progress.total, progress.elapsed)
    pools: dict[int, list[float]] = defaultdict(list)
    for ms in members:
        pools[ms.unit_id].extend(histories[ms.person_id])
    reps = _Reps()
    commons: dict[int, np.ndarray] = {}
    for ms in members:
        person, team = ms.person, units[ms.unit_id]
        target, done = targets.get(ms.person_id), facts.achieved[ms.person_id]
        if team.pk not in commons:
            commons[team.pk] = fc.common_factors(
                fc.stable_seed(team.code, day.isoformat()), settings.FORECAST_SIMULATIONS
            )
        future = fc.simulate_remaining(
            histories[ms.person_id],
            progress.remaining,
            fallback=pools[ms.unit_id],
            seed=fc.stable_seed(team.code, person.employee_no, day.isoformat()),
            simulations=settings.FORECAST_SIMULATIONS,
            rate_drift=fc.RATE_DRIFT,
            common=commons[team.pk],
            pace=(float(done), elapsed),
            future_shape=future_shape,
        )
        opportunities = [] if pipeline is None else pipeline.by_person.get(ms.person_id, [])
        future = _with_pipeline(
            reps, future, opportunities, blend, progress, target, (team.code, person, day)
        )
        reps.team_futures[team.pk] = reps.team_futures.get(team.pk, 0) + future
        forecast = fc.summarise(
            float(done),
            future,
            None if target is None else float(target),
            remaining_days=progress.remaining,
            own_days=len(histories[ms.person_id]),
        )
        reps.rows.append(
            ForecastRow(
                kind="person",
                code=person.employee_no,
                name=person.name,
                target=target,
                achieved=done,
                forecast=forecast,
                team=team.code,
                pipeline=reps.pipeline.get(person.employee_no),
            )
        )
        reps.team[person.employee_no] = team.pk
        reps.idle_days[person.employee_no] = _idle_days(
            facts.since(person),
            facts.last_win.get(ms.person_id),
            window=window,
            day=day,
            calendar=calendar,
        )
    return reps


def _unit_forecasts(
    units: dict[int, Unit],
    team_futures: dict[int, np.ndarray],
    *,
    achieved: dict[int, Decimal],
    effective: dict[int, Decimal],
    progress: MonthProgress,
) -> dict[int, fc.Forecast]:
    """A unit's future is the sum of its reps' simulated futures (its teams', rolled up)."""
    futures: dict[int, np.ndarray] = {}
    for team_id, future in team_futures.items():
        for unit_id in _roll_up(units, team_id):
            futures[unit_id] = futures.get(unit_id, 0) + future
    simulations = settings.FORECAST_SIMULATIONS
    return {
        unit_id: fc.summarise(
            float(achieved[unit_id]),
            futures.get(unit_id, np.zeros(simulations)),
            None if effective.get(unit_id) is None else float(effective[unit_id]),
            remaining_days=progress.remaining,
        )
        for unit_id in units
    }


def _with_pipeline(
    reps: _Reps,
    run: np.ndarray,
    opportunities: list[tuple[float, float]],
    blend: pl.Blend | None,
    progress: MonthProgress,
    target: Decimal | None,
    key: tuple[str, Person, dt.date],
) -> np.ndarray:
    """The rest of the month of one rep with their open pipeline (``rhythm.backtest`` replays
    exactly this): by the blend where there is one — a rep with no pipeline in sight too —
    else the larger of the pipeline's draw and the pace."""
    if progress.remaining <= 0 or (blend is None and not opportunities):
        return run
    team_code, person, day = key
    pipe = np.zeros(len(run))
    if opportunities:
        pipe = pl.simulate_pipeline(
            opportunities if blend is None else blend.opportunities(opportunities),
            seed=fc.stable_seed("pipeline", team_code, person.employee_no, day.isoformat()),
            simulations=len(run),
        )
    if blend is None:
        reps.pipeline[person.employee_no] = pl.share(run, pipe, opportunities)
        return pl.with_pipeline(run, pipe)
    if opportunities:
        reps.pipeline[person.employee_no] = blend.share(pipe, opportunities)
    return blend.apply(
        run,
        pipe,
        scale=pl.SCALE_SHARE * float(target or 0),
        seed=fc.stable_seed("blend", team_code, person.employee_no, day.isoformat()),
    )


def read_subtree(unit: Unit, day: dt.date, metric: str) -> Subtree:
    """The subtree of ``unit`` on the evening of ``day``: figures and forecasts of every unit
    and of the reps of its teams."""
    m = get_metric(metric)
    calendar = work_calendar()
    month = month_start(day)
    progress = calendar.progress(month, day)
    units = _subtree_units(unit)
    effective, own, children_sum = effective_targets(units, m.code, month, day)
    achieved = _unit_achieved(units, m.code, month, day)
    teams = [u.pk for u in units.values() if u.kind == UnitKind.TEAM]
    members = reps_on(teams, day)
    targets = person_targets(month, m.code, [ms.person_id for ms in members])
    members = with_target_or_rep(members, targets)
    # the stored fit of the company's backtest: the pipeline's blend for this as-of working day
    # and the recalibration maps (the review, the risks and the personal message all use it)
    calibration = latest_calibration(m.code)
    pipeline = None
    if m.code == REVENUE.code and progress.remaining > 0:  # opportunities are revenue
        pipeline = open_pipeline(
            [ms.person_id for ms in members],
            as_of=day,
            closing_after=day,
            closing_until=_month_end(day),
        )
    reps = _rep_forecasts(
        members,
        units,
        targets,
        day=day,
        metric=m.code,
        progress=progress,
        calendar=calendar,
        pipeline=pipeline,
        blend=pl.blend_for(stored_blends(calibration), progress.elapsed)
        if pipeline is not None
        else None,
    )
    unit_forecasts = _unit_forecasts(
        units, reps.team_futures, achieved=achieved, effective=effective, progress=progress
    )
    person_map, unit_map = calibrators(calibration)
    for row in reps.rows:
        row.forecast = recalibrated(row.forecast, person_map)
    unit_forecasts = {pk: recalibrated(f, unit_map) for pk, f in unit_forecasts.items()}
    return Subtree(
        root=unit,
        day=day,
        month=month,
        metric=m,
        progress=progress,
        units=units,
        effective=effective,
        own=own,
        children_sum=children_sum,
        unit_achieved=achieved,
        unit_forecasts=unit_forecasts,
        reps=reps.rows,
        rep_team=reps.team,
        idle_days=reps.idle_days,
        pipeline=reps.pipeline,
        unit_pipeline=_unit_pipeline(units, reps),
        calibration=calibration,
    )


def _month_end(day: dt.date) -> dt.date:
    return (month_start(day) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _unit_pipeline(units: dict[int, Unit], reps: _Reps) -> dict[int, pl.PipelineShare]:
    """A unit's pipeline share: its reps' lifts and opportunities, summed up the tree."""
    out: dict[int, pl.PipelineShare] = {}
    for code, part in reps.pipeline.items():
        for unit_id in _roll_up(units, reps.team[code]):
            got = out.get(unit_id)
            out[unit_id] = (
                part
                if got is None
                else pl.PipelineShare(
                    amount=got.amount + part.amount,
                    opportunities=got.opportunities + part.opportunities,
                    expected_value=got.expected_value + part.expected_value,
                )
            )
    return out


def unit_row(tree: Subtree, unit_id: int) -> ForecastRow:
    """The forecast row of one unit of the subtree."""
    u = tree.units[unit_id]
    return ForecastRow(
        kind="unit",
        code=u.code,
        name=u.name,
        target=tree.effective.get(unit_id),
        achieved=tree.unit_achieved[unit_id],
        forecast=tree.unit_forecasts[unit_id],
        unit_kind=u.kind,
        pipeline=tree.unit_pipeline.get(unit_id),
    )
