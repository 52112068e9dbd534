"""Replaying past months: would the review's forecast have told hit from miss, and how well?

For each complete past month and each as-of working day (the 5th, 10th, … of the month), every
rep with a personal target is forecast from what was known on the evening of that day — the
month so far, the rep's previous working days, the team's pool — exactly as the evening review
does, and compared with whether the rep in fact reached the target at month-end. The naive
baseline extrapolates the pace so far linearly (hit or miss). Both are scored by the Brier score
and a calibration table. The open pipeline of the as-of day (from the opportunities' stage
history, with the amount and expected close each change recorded) joins the revenue forecast:
by a blend with the run-rate learned on the months before (``tiejun.pipeline.Blend``,
walk-forward), or as the larger of the two until there is one; ``pipeline`` in the JSON scores
the forecast with and without it and gives the blends used. The data is read in five
queries; the rest is pure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext as _

from tiejun import forecast as fc
from tiejun import pipeline as pl
from tiejun.crm.selectors.pipeline import stage_changes
from tiejun.errors import TiejunError
from tiejun.metrics import REVENUE
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Membership, Person
from tiejun.org.selectors import work_calendar
from tiejun.scoreboard.models import Fact
from tiejun.targets.models import Target
from tiejun.workdays import WorkCalendar, add_months, month_end, month_start

from .selectors.shared import HISTORY_WORKDAYS
from .shaping import month_shape, month_weights, normalise

CALIBRATION_MONTHS = 3  # months replayed before the scored ones, to fit the first recalibration
UNIT_CALIBRATION_MINIMUM = 1000  # team forecasts a unit map needs (months of a big company)


@dataclass
class Outcome:
    month: dt.date
    as_of_day: int  # the n-th working day of the month
    employee_no: str
    probability: float  # what the review would show: the simulation, recalibrated
    baseline: float
    hit: bool
    raw: float = 0.0  # the simulation's own probability, before recalibration
    level: str = "person"  # "person" or "unit" (a team: its reps' sum against theirs)
    raw_without: float = 0.0  # the simulation's probability without the open pipeline
    pipeline: float = 0.0  # the part of the expected month-end standing on the pipeline
    opportunities: int = 0  # open opportunities closing in the rest of the month
    # for the pipeline's blend, fitted on earlier months: expected rest by each, and the truth
    pipe_mean: float = 0.0
    run_mean: float = 0.0
    rest: float = 0.0
    blended: bool = False  # the pipeline joined by a learned blend (else the larger of the two)
    sample: pl.Sample | None = None  # what a later month's blend fits its spread on


@dataclass
class BacktestResult:
    months: list[dt.date]
    as_of_days: list[int]
    seed: int
    simulations: int
    outcomes: list[Outcome] = field(default_factory=list)
    calibration_months: list[dt.date] = field(default_factory=list)
    training: list[Outcome] = field(default_factory=list)  # the calibration months' outcomes
    blends: dict[str, dict[str, Any]] = field(default_factory=dict)  # month → the blend used

    def pairs(
        self, which: str, as_of_day: int | None = None, level: str = "person"
    ) -> list[tuple[float, bool]]:
        pick = {
            "forecast": lambda o: o.probability,
            "baseline": lambda o: o.baseline,
            "uncalibrated": lambda o: o.raw,
            "without_pipeline": lambda o: o.raw_without,
        }[which]
        return [
            (pick(o), o.hit)
            for o in self.outcomes
            if o.level == level and (as_of_day is None or o.as_of_day == as_of_day)
        ]

    def to_json(self) -> dict[str, Any]:
        def score(which: str, day: int | None = None, level: str = "person") -> float | None:
            value = fc.brier_score(self.pairs(which, day, level))
            return None if value is None else round(value, 4)

        def table(which: str, level: str = "person") -> list[dict[str, Any]]:
            return [
                {
                    "bucket": f"{b.low:.1f}-{b.high:.1f}",
                    "count": b.count,
                    "mean_forecast": None if b.mean_forecast is None else round(b.mean_forecast, 3),
                    "hit_rate": None if b.hit_rate is None else round(b.hit_rate, 3),
                }
                for b in fc.calibration_table(self.pairs(which, level=level))
            ]

        def ratio(level: str) -> float | None:
            f, b = score("forecast", level=level), score("baseline", level=level)
            return None if f is None or not b else round(f / b, 3)

        people = [o for o in self.outcomes if o.level == "person"]
        units = [o for o in self.outcomes if o.level == "unit"]
        hits = sum(1 for o in people if o.hit)
        return {
            "months": [f"{m:%Y-%m}" for m in self.months],
            "as_of_days": self.as_of_days,
            "seed": self.seed,
            "simulations": self.simulations,
            "forecasts": len(people),
            "hit_rate": round(hits / len(people), 4) if people else None,
            "calibration_months": [f"{m:%Y-%m}" for m in self.calibration_months],
            "brier": {
                "forecast": score("forecast"),
                "baseline": score("baseline"),
                "uncalibrated": score("uncalibrated"),
                "ratio": ratio("person"),
            },
            "by_as_of_day": [
                {
                    "as_of_day": day,
                    "count": len(self.pairs("forecast", day)),
                    "forecast": score("forecast", day),
                    "baseline": score("baseline", day),
                }
                for day in self.as_of_days
            ],
            "calibration": {
                "forecast": table("forecast"),
                "baseline": table("baseline"),
                "uncalibrated": table("uncalibrated"),
            },
            "calibration_error": calibration_error(self.pairs("forecast")),
            # what a perfectly calibrated forecast would show on these counts by chance alone
            "calibration_noise": noise(self.pairs("forecast")),
            "units": {
                "forecasts": len(units),
                "hit_rate": (
                    round(sum(1 for o in units if o.hit) / len(units), 4) if units else None
                ),
                "brier": {
                    "forecast": score("forecast", level="unit"),
                    "baseline": score("baseline", level="unit"),
                    "uncalibrated": score("uncalibrated", level="unit"),
                    "ratio": ratio("unit"),
                },
                "calibration": {
                    "forecast": table("forecast", "unit"),
                    "baseline": table("baseline", "unit"),
                    "uncalibrated": table("uncalibrated", "unit"),
                },
                "calibration_error": calibration_error(self.pairs("forecast", level="unit")),
                "calibration_noise": noise(self.pairs("forecast", level="unit")),
            },
            "pipeline": {
                "forecasts_with_pipeline": sum(1 for o in people if o.opportunities),
                "opportunities": sum(o.opportunities for o in people),
                "mean_amount": (
                    round(sum(o.pipeline for o in people) / len(people), 2) if people else None
                ),
                "brier": {
                    "uncalibrated": score("uncalibrated"),
                    "without_pipeline": score("without_pipeline"),
                },
                "units_brier": {
                    "uncalibrated": score("uncalibrated", level="unit"),
                    "without_pipeline": score("without_pipeline", level="unit"),
                },
                "blends": self.blends,
            },
        }


def noise(pairs: list[tuple[float, bool]], minimum: int = 100) -> dict[str, float] | None:
    """``fc.calibration_noise`` of the forecasts in ``pairs``, for the JSON."""
    found = fc.calibration_noise([p for p, _hit in pairs], minimum=minimum)
    return None if found is None else {"median": found[0], "p90": found[1]}


def calibration_error(pairs: list[tuple[float, bool]], minimum: int = 100) -> float | None:
    """The largest gap, in probability, between a decile's mean forecast and its hit rate,
    over the deciles holding at least ``minimum`` forecasts (the issue's "within 5 points")."""
    gaps = [
        abs(b.hit_rate - b.mean_forecast)
        for b in fc.calibration_table(pairs)
        if b.count >= minimum and b.hit_rate is not None and b.mean_forecast is not None
    ]
    return round(max(gaps), 3) if gaps else None


@dataclass
class _History:
    """What the replay reads: the reps' results by day, their targets, their teams over time."""

    data_start: dt.date
    daily: dict[int, dict[dt.date, float]] = field(default_factory=lambda: defaultdict(dict))
    targets: dict[dt.date, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    people: dict[int, str] = field(default_factory=dict)  # person id → employee number
    starts: dict[int, dt.date | None] = field(default_factory=dict)
    spans: dict[int, list[tuple[dt.date, dt.date | None, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    changes: list[pl.Change] = field(default_factory=list)  # the opportunities' stage history

    def unit_on(self, person_id: int, day: dt.date) -> int | None:
        rows = self.spans.get(person_id, [])
        i = bisect_right([s for s, _e, _u in rows], day) - 1
        end = rows[i][1] if i >= 0 else None
        if i >= 0 and (end is None or end >= day):
            return rows[i][2]
        return None


def _read_history(
    metric: str, chosen: list[dt.date], *, read_from: dt.date, data_start: dt.date
) -> _History:
    """The five queries of the replay (the stage history for revenue only)."""
    history = _History(data_start=data_start)
    if metric == REVENUE.code:
        history.changes = stage_changes(month_end(chosen[-1]))
    for person_id, day, value in (
        Fact.objects.filter(
            metric=metric, person__isnull=False, day__gte=read_from, day__lte=month_end(chosen[-1])
        )
        .values("person_id", "day")
        .annotate(v=Sum("value"))
        .order_by()
        .values_list("person_id", "day", "v")
    ):
        history.daily[person_id][day] = float(value or 0)
    for month, person_id, value in Target.objects.filter(
        metric=metric, month__in=chosen, person__isnull=False
    ).values_list("month", "person_id", "value"):
        history.targets[month][person_id] = float(value)
    history.people = dict(
        Person.objects.filter(pk__in={p for t in history.targets.values() for p in t}).values_list(
            "pk", "employee_no"
        )
    )
    history.starts = dict(
        Person.objects.filter(pk__in=list(history.people)).values_list("pk", "start_date")
    )
    for person_id, start, end, unit_id in (
        Membership.objects.filter(person_id__in=list(history.people))
        .order_by("person_id", "valid_from")
        .values_list("person_id", "valid_from", "valid_to", "unit_id")
    ):
        history.spans[person_id].append((start, end, unit_id))
    return history


def _replay_day(
    result: BacktestResult,
    history: _History,
    *,
    month: dt.date,
    k: int,
    workdays: list[dt.date],
    calendar: WorkCalendar,
    blend: pl.Blend | None = None,
) -> list[Outcome]:
    """Forecast every rep with a target, and every team as the sum of its reps, on the evening
    of the month's ``k``-th working day (probabilities not yet recalibrated). The pipeline joins
    the run-rate by ``blend`` (learned on earlier months), else as the larger of the two."""
    as_of = workdays[k - 1]
    window = calendar.previous_workdays(as_of, HISTORY_WORKDAYS)
    remaining = len(workdays) - k
    month_days = {month + dt.timedelta(days=i) for i in range((month_end(month) - month).days + 1)}
    rows = []
    for person_id, target in history.targets[month].items():
        team = history.unit_on(person_id, as_of)
        if team is None:
            continue
        starts = (history.starts.get(person_id), history.data_start)
        since = max(d for d in starts if d is not None)
        rows.append(
            (person_id, team, target, fc.history_values(history.daily[person_id], window, since))
        )
    places, shape = month_shape([values for *_rest, values in rows], window, calendar)
    rows = [(p, t, g, normalise(values, window, places, shape)) for p, t, g, values in rows]
    future_shape, elapsed = month_weights(shape, len(workdays), k)
    pools: dict[int, list[float]] = defaultdict(list)
    for _pid, team, _target, values in rows:
        pools[team].extend(values)
    _rates, piped = pl.as_of(
        history.changes, as_of, closing_after=as_of, closing_until=month_end(month)
    )
    outcomes: list[Outcome] = []
    teams: dict[int, list[Any]] = {}  # team → [future, achieved, actual, target]
    for person_id, team, target, values in rows:
        daily = history.daily[person_id]
        achieved = sum(v for d, v in daily.items() if month <= d <= as_of)
        actual = sum(v for d, v in daily.items() if d in month_days)
        employee_no = history.people[person_id]
        future = fc.simulate_remaining(
            values,
            remaining,
            fallback=pools[team],
            seed=fc.stable_seed(result.seed, team, employee_no, as_of.isoformat()),
            simulations=result.simulations,
            rate_drift=fc.RATE_DRIFT,
            common=fc.common_factors(
                fc.stable_seed(result.seed, team, as_of.isoformat()), result.simulations
            ),
            pace=(achieved, elapsed),
            future_shape=future_shape,
        )
        run = future  # the run-rate alone
        without = fc.summarise(achieved, run, target, remaining_days=remaining).probability
        opportunities = piped.get(person_id, [])
        part = None
        pipe = np.zeros(result.simulations)
        scale = pl.SCALE_SHARE * target
        blend_seed = fc.stable_seed(result.seed, "blend", team, employee_no, as_of.isoformat())
        if opportunities and remaining > 0:
            pipe = pl.simulate_pipeline(
                opportunities if blend is None else blend.opportunities(opportunities),
                seed=fc.stable_seed(result.seed, "pipeline", team, employee_no, as_of.isoformat()),
                simulations=result.simulations,
            )
            part = pl.share(future, pipe, opportunities)
            future = (
                pl.with_pipeline(future, pipe)
                if blend is None
                else blend.apply(run, pipe, scale=scale, seed=blend_seed)
            )
        elif blend is not None and remaining > 0:  # no pipeline in sight is news too
            future = blend.apply(run, pipe, scale=scale, seed=blend_seed)
        forecast = fc.summarise(achieved, future, target, remaining_days=remaining)
        raw = forecast.probability or 0.0
        outcomes.append(
            Outcome(
                month=month,
                as_of_day=k,
                employee_no=employee_no,
                probability=raw,
                baseline=fc.naive_forecast(achieved, k, len(workdays), target),
                hit=actual >= target - fc.EPSILON,
                raw=raw,
                raw_without=without or 0.0,
                pipeline=0.0 if part is None else part.amount,
                opportunities=0 if part is None else part.opportunities,
                pipe_mean=sum(a * r for a, r in opportunities) if remaining > 0 else 0.0,
                run_mean=float(np.mean(run)),
                rest=actual - achieved,
                blended=blend is not None,
                sample=pl.Sample(
                    run=run[: pl.SPREAD_DRAWS].copy(),
                    opportunities=tuple(opportunities),
                    gap=target - achieved,
                    scale=scale,
                    hit=actual >= target - fc.EPSILON,
                    seed=blend_seed,
                )
                if remaining > 0
                else None,
            )
        )
        sums = teams.setdefault(
            team, [np.zeros(result.simulations), 0.0, 0.0, 0.0, np.zeros(result.simulations)]
        )
        sums[0] = sums[0] + future
        sums[4] = sums[4] + run
        sums[1] += achieved
        sums[2] += actual
        sums[3] += target
    for team, (future, achieved, actual, target, run) in teams.items():
        forecast = fc.summarise(achieved, future, target, remaining_days=remaining)
        raw = forecast.probability or 0.0
        without = fc.summarise(achieved, run, target, remaining_days=remaining).probability
        outcomes.append(
            Outcome(
                month=month,
                as_of_day=k,
                employee_no=f"unit:{team}",
                probability=raw,
                baseline=fc.naive_forecast(achieved, k, len(workdays), target),
                hit=actual >= target - fc.EPSILON,
                raw=raw,
                raw_without=without or 0.0,
                level="unit",
                blended=blend is not None,
            )
        )
    return outcomes


def _blends(before: list[Outcome], as_of_days: Sequence[int]) -> dict[int, pl.Blend]:
    """The pipeline's blend per as-of day, fitted on the earlier months' rep forecasts only
    (walk-forward); an as-of day with too few of them takes the blend of all days."""
    rows = [
        (o.as_of_day, (o.pipe_mean, o.run_mean, o.rest))
        for o in before
        if o.level == "person" and o.run_mean + o.pipe_mean > 0
    ]
    overall = pl.fit_blend(row for _k, row in rows)
    out: dict[int, pl.Blend] = {}
    for k in as_of_days:
        blend = pl.fit_blend(row for day, row in rows if day == k)
        blend = blend or overall
        if blend is not None:
            samples = [o.sample for o in before if o.as_of_day == k and o.sample is not None]
            out[k] = dataclasses.replace(blend, spread=pl.fit_spread(blend, samples))
    return out


def recalibrate(before: list[Outcome], *, level: str) -> fc.Calibrator:
    """The recalibration the review would have had, fitted on ``before`` (earlier months only).

    One map for all as-of days: maps per as-of day were tried and, fitted on a quarter of the
    forecasts each, were worse calibrated out of sample (docs/benchmarks.md). Half of it
    (``fc.shrink``) by default: the whole map, fitted on a few months in another regime (a
    pipeline's blend still learning, a drifting pace), over-corrected the months that
    followed; another share only where month-by-month cross-validation shows it clearly
    better (``fc.choose_shrink``: the identity for reps whose rate drifts).
    """
    # a team-month is one outcome for a whole team: too few of them to fit a map on safely
    minimum = fc.MIN_CALIBRATION if level == "person" else UNIT_CALIBRATION_MINIMUM
    mine = [o for o in before if o.level == level]
    fitted = fc.fit_calibrator([(o.raw, o.hit) for o in mine], minimum=minimum)
    if not fitted.xs:
        return fitted
    by_month: dict[dt.date, list[tuple[float, bool]]] = defaultdict(list)
    for o in mine:
        by_month[o.month].append((o.raw, o.hit))
    weight = fc.choose_shrink([by_month[m] for m in sorted(by_month)], minimum=minimum)
    return fc.shrink(fitted, weight) if weight > 0 else fc.IDENTITY


# --- sections other apps add to the backtest (the milestones of the incentives app) ----------


@dataclass(frozen=True)
class BacktestSection:
    """A part of ``tiejun forecast backtest`` another app owns: ``compute(today=, seed=,
    simulations=)`` gives the JSON block, ``render`` its lines in the text output."""

    compute: Callable[..., dict[str, Any]]
    render: Callable[[dict[str, Any]], list[str]]


_SECTIONS: dict[str, BacktestSection] = {}


def register_backtest_section(
    name: str,
    compute: Callable[..., dict[str, Any]],
    render: Callable[[dict[str, Any]], list[str]],
) -> None:
    """Add the block ``name`` to the backtest (an app above the rhythm registers it from its
    ``AppConfig.ready``: the rhythm imports nothing above it)."""
    _SECTIONS[name] = BacktestSection(compute, render)


def backtest_sections(
    *, today: dt.date, seed: int = 0, simulations: int | None = None
) -> dict[str, dict[str, Any]]:
    """Every registered section's block, by name."""
    return {
        name: section.compute(today=today, seed=seed, simulations=simulations)
        for name, section in _SECTIONS.items()
    }


def render_sections(blocks: dict[str, dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for name, block in blocks.items():
        section = _SECTIONS.get(name)
        if section is not None:
            lines += ["", *section.render(block)]
    return lines


@dataclass(frozen=True)
class ReviewFit:
    """What the review forecasts with, learned from past forecasts' outcomes: the pipeline's
    blend per as-of working day and the rep and unit recalibration maps. The backtest fits one
    per replayed month on the months before it; ``rhythm.services.calibration_refit`` fits one
    on every replayed month and stores it for the review: the same function, so the backtest
    scores the forecast the review shows."""

    blends: dict[int, pl.Blend]
    person: fc.Calibrator
    unit: fc.Calibrator


def review_fit(earlier: list[Outcome], as_of_days: Sequence[int]) -> ReviewFit:
    blends = _blends(earlier, as_of_days)
    # maps learned on forecasts made the same way (with or without the pipeline's blend) once
    # there are enough of them, else on all the earlier ones
    alike = [o for o in earlier if o.blended == bool(blends)]
    if sum(o.level == "person" for o in alike) < fc.MIN_CALIBRATION:
        alike = earlier
    return ReviewFit(
        blends=blends,
        person=recalibrate(alike, level="person"),
        unit=recalibrate(alike, level="unit"),
    )


def forecast_backtest(
    *,
    today: dt.date,
    months: int = 6,
    as_of_days: Sequence[int] = (5, 10, 15, 20),
    seed: int = 0,
    simulations: int | None = None,
    metric: str = "revenue",
    calibration_months: int = CALIBRATION_MONTHS,
) -> BacktestResult:
    """Replay the last ``months`` complete months before ``today`` (see the module docstring).

    Each replayed month's probabilities are recalibrated with an isotonic map fitted on the
    months before it only (``calibration_months`` more are replayed first for that, and the
    earlier replayed months count too): the way the review recalibrates with the backtest it
    refits each month, never with the outcome it is judged on.
    """
    m = get_metric(metric)
    simulations = simulations or settings.FORECAST_SIMULATIONS
    if months < 1:
        raise TiejunError("--months must be at least 1", field="months")
    if calibration_months < 0:
        raise TiejunError(_("--calibration-months must be 0 or more"), field="calibration_months")
    if not as_of_days or any(d < 1 for d in as_of_days):
        raise TiejunError("--as-of-days must be working-day numbers from 1", field="as_of_days")
    calendar = work_calendar()
    data_start = (
        Fact.objects.filter(metric=m.code).order_by("day").values_list("day", flat=True).first()
    )
    last = add_months(month_start(today), -1)
    chosen = [add_months(last, -i) for i in range(months - 1, -1, -1)]
    training = [add_months(chosen[0], -i) for i in range(calibration_months, 0, -1)]
    if data_start is not None:
        chosen = [mo for mo in chosen if month_end(mo) >= data_start]
        # a calibration month needs a month of history before it to be worth replaying
        training = [mo for mo in training if add_months(mo, -1) >= month_start(data_start)]
    result = BacktestResult(
        months=chosen,
        as_of_days=sorted(set(as_of_days)),
        seed=seed,
        simulations=simulations,
        calibration_months=training,
    )
    if not chosen or data_start is None:
        return result
    replayed = training + chosen
    read_from = min(calendar.previous_workdays(replayed[0], HISTORY_WORKDAYS + 1)[0], replayed[0])
    history = _read_history(m.code, replayed, read_from=read_from, data_start=data_start)
    earlier: list[Outcome] = []
    for month in replayed:
        workdays = calendar.month_workdays(month)
        this_month: list[Outcome] = []
        fit = review_fit(earlier, result.as_of_days)
        blends = fit.blends
        if month in chosen:
            result.blends[f"{month:%Y-%m}"] = {str(k): b.to_json() for k, b in blends.items()}
        for k in result.as_of_days:
            if k >= len(workdays):
                continue  # nothing left to forecast on the month's last working day
            this_month += _replay_day(
                result,
                history,
                month=month,
                k=k,
                workdays=workdays,
                calendar=calendar,
                blend=blends.get(k),
            )
        if month in chosen:
            if calibration_months:
                maps = {"person": fit.person, "unit": fit.unit}
                for o in this_month:
                    o.probability = maps[o.level].apply(o.raw)
            result.outcomes += this_month
        else:
            result.training += this_month
        earlier += this_month
    return result
