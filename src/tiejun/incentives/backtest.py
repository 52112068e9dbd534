"""Milestone projections backtested the way the forecast is (``tiejun forecast backtest``).

On the 10th working day of every past month of each year, each rep's yearly total is projected
to its threshold with :func:`tiejun.incentives.maths.project_threshold` — the projection the
person page, the board and the promotion advisor show — from their results up to that evening,
and the projected day is compared with the working day the threshold was in fact met. A year
not yet over is scored up to the end of last month (a threshold is "met" if met by then, the projection is
made to that horizon; complete months only). The thresholds are the yearly milestones of the company's plans; a company
without any is scored on each rep's own year of targets (the sum of their monthly revenue
targets up to the horizon), which every company with targets has, so the figures exist from the
first day. Registered as the backtest's ``milestones`` section from ``IncentivesConfig.ready``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Min, Sum
from django.utils.translation import gettext as _

from tiejun.forecast import SIMULATIONS, stable_seed
from tiejun.org.models import Membership, Person
from tiejun.org.selectors import work_calendar
from tiejun.scoreboard.models import Fact
from tiejun.targets.models import Target

from .maths import ProjectionCheck, projection_scores, replay_projections
from .models import PlanMilestone

AS_OF_WORKDAY = 10  # the working day of each month the projections are replayed on
METRIC = "revenue"


def milestone_backtest(
    *, today: dt.date, seed: int = 0, simulations: int | None = None, **_options: Any
) -> dict[str, Any]:
    """The replayed projections of every past year with results, in figures
    (:func:`projection_scores`), with where the thresholds came from."""
    first = Fact.objects.filter(metric=METRIC, person__isnull=False).aggregate(d=Min("day"))["d"]
    empty: dict[str, Any] = {"source": None, "years": [], "as_of_working_day": AS_OF_WORKDAY}
    if first is None or first >= today:
        return {**empty, **projection_scores([])}
    checks: list[ProjectionCheck] = []
    sources: set[str] = set()
    years = list(range(first.year, today.year + 1))
    for year in years:
        found, source = _year(year, today=today, seed=seed, simulations=simulations)
        checks += found
        if source:
            sources.add(source)
    return {
        "source": "plans" if "plans" in sources else ("targets" if sources else None),
        "years": years,
        "as_of_working_day": AS_OF_WORKDAY,
        **projection_scores(checks),
    }


def _year(
    year: int, *, today: dt.date, seed: int, simulations: int | None
) -> tuple[list[ProjectionCheck], str | None]:
    calendar = work_calendar()
    # complete months only: a year not over is scored to the end of last month
    horizon = min(dt.date(year, 12, 31), today.replace(day=1) - dt.timedelta(days=1))
    days = calendar.workdays(dt.date(year, 1, 1), horizon)
    if len(days) <= AS_OF_WORKDAY:
        return [], None
    index = {d: i for i, d in enumerate(days)}
    daily: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    for person_id, day, value in (
        Fact.objects.filter(metric=METRIC, person__isnull=False, day__range=(days[0], horizon))
        .values("person_id", "day")
        .annotate(v=Sum("value"))
        .values_list("person_id", "day", "v")
    ):
        # a result on a rest day counts from the next working day
        daily[person_id][_workday_on_or_after(day, index, days)] = value
    if not daily:
        return [], None
    thresholds = _thresholds(year, horizon, set(daily))
    source = "plans" if thresholds is None else "targets"
    milestones = (
        sorted(
            {
                float(t)
                for t in PlanMilestone.objects.filter(
                    metric=METRIC,
                    period="year",
                    plan__effective_from__lte=horizon,
                ).values_list("threshold", flat=True)
            }
        )
        if thresholds is None
        else []
    )
    starts = dict(
        Membership.objects.filter(person_id__in=daily, valid_from__lte=horizon)
        .values("person_id")
        .annotate(first=Min("valid_from"))
        .values_list("person_id", "first")
    )
    people = dict(Person.objects.filter(pk__in=daily).values_list("pk", "employee_no"))
    as_of = _as_of_indexes(year, horizon, index, calendar)
    checks: list[ProjectionCheck] = []
    for person_id, by_day in sorted(daily.items()):
        values = [float(by_day.get(d, 0)) for d in days]
        begins = starts.get(person_id) or days[0]
        start = next((i for i, d in enumerate(days) if d >= begins), len(days))
        mine = milestones if thresholds is None else [thresholds.get(person_id, 0.0)]
        for threshold in mine:
            if threshold <= 0:
                continue
            checks += replay_projections(
                days,
                values,
                threshold,
                as_of,
                start=start,
                seed=stable_seed(seed, "milestone", people[person_id], threshold, year),
                simulations=simulations or SIMULATIONS,
            )
    return checks, source if checks else None


def _workday_on_or_after(day: dt.date, index: dict[dt.date, int], days: list[dt.date]) -> dt.date:
    if day in index:
        return day
    return next((d for d in days if d > day), days[-1])


def _thresholds(year: int, horizon: dt.date, people: set[int]) -> dict[int, float] | None:
    """None when the company's plans have yearly milestones (those are the thresholds); else
    each rep's sum of monthly revenue targets up to the horizon's month."""
    if PlanMilestone.objects.filter(
        metric=METRIC, period="year", plan__effective_from__lte=horizon
    ).exists():
        return None
    return {
        person_id: float(total)
        for person_id, total in Target.objects.filter(
            person_id__in=people,
            metric=METRIC,
            month__gte=dt.date(year, 1, 1),
            month__lte=horizon,
        )
        .values("person_id")
        .annotate(total=Sum("value"))
        .values_list("person_id", "total")
    }


def _as_of_indexes(
    year: int, horizon: dt.date, index: dict[dt.date, int], calendar: Any
) -> list[int]:
    out = []
    for month in range(1, 13):
        workdays = calendar.month_workdays(dt.date(year, month, 1))
        if len(workdays) >= AS_OF_WORKDAY and workdays[AS_OF_WORKDAY - 1] < horizon:
            out.append(index[workdays[AS_OF_WORKDAY - 1]])
    return out


def render_milestones(data: dict[str, Any]) -> list[str]:
    """The section's lines in the backtest's text output."""
    if not data.get("projections"):
        return [_("Milestone projections: nothing to replay (no yearly results yet).")]
    source = (
        _("the plans' yearly milestones")
        if data["source"] == "plans"
        else _("each rep's year of targets (no plan has a yearly milestone)")
    )
    lines = [
        _(
            "Milestone projections: %(n)d replayed on the %(day)dth working day of each month, "
            "thresholds from %(source)s; %(met)d of them were met by the horizon."
        )
        % {
            "n": data["projections"],
            "day": data["as_of_working_day"],
            "source": source,
            "met": data["met"],
        }
    ]
    if data["with_both_dates"]:
        lines.append(
            _(
                "  projected day against the day it was met, in working days: median %(median)s, "
                "mean %(mean)s, 90th percentile %(p90)s off; on average %(bias)s late "
                "(negative: early), over %(n)d projections"
            )
            % {
                "median": data["median_abs_error_days"],
                "mean": data["mean_abs_error_days"],
                "p90": data["p90_abs_error_days"],
                "bias": data["mean_error_days"],
                "n": data["with_both_dates"],
            }
        )
    naive = data["naive"]
    lines.append(
        _(
            "  a day projected but not met: %(false)d; met without a projected day: %(misses)d; "
            "Brier score of 'met by the horizon' %(brier)s"
        )
        % {"false": data["false_alarms"], "misses": data["misses"], "brier": data["brier"]}
    )
    lines.append(
        _(
            "  the naive pace (the average day so far, carried on): median %(median)s working "
            "days off over %(n)d projections; %(false)d projected but not met, %(misses)d met "
            "without a day; Brier %(brier)s"
        )
        % {
            "median": naive["median_abs_error_days"],
            "n": naive["with_both_dates"],
            "false": naive["false_alarms"],
            "misses": naive["misses"],
            "brier": naive["brier"],
        }
    )
    return lines
