"""The risk points of a subtree: who is behind, idle, unlikely to make it, unreported or short of
visits, and which units hand down less than their target; each with its reason in words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiejun.field.selectors.reports import missing_daily_reports
from tiejun.metrics import Metric
from tiejun.money import grouped, money
from tiejun.org.models import Unit
from tiejun.org.selectors import work_calendar
from tiejun.scoreboard.models import Fact

from .shared import ZERO
from .subtree import ForecastRow, Subtree, read_subtree, unit_row

RISK_KINDS = (
    "behind",
    "idle",
    "low_probability",
    "allocation_gap",
    "missing_report",
    "visit_shortfall",
)


def shown(m: Metric, value: Decimal | None) -> str:
    """A figure as the page shows it: money through ``tiejun.money``, a count grouped."""
    if value is None:
        return "—"
    return money(value) if m.money else grouped(value, 0)


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
    # the month-end probability of the rep or unit, and its 80 % range where one is known
    probability: float | None = None
    probability_low: float | None = None
    probability_high: float | None = None
    pipeline_note: str = ""  # how much of the forecast stands on open opportunities

    def to_json(self, m: Metric) -> dict[str, Any]:
        return {
            "probability": None if self.probability is None else round(self.probability, 4),
            "probability_range": (
                None
                if self.probability_low is None or self.probability_high is None
                else [round(self.probability_low, 4), round(self.probability_high, 4)]
            ),
            "kind": self.kind,
            "subject": self.subject,
            "code": self.code,
            "name": self.name,
            "unit": self.unit,
            "gap": m.to_json(self.gap),
            "message": self.message,
        }


def _behind(tree: Subtree, row: ForecastRow) -> tuple[Decimal, str] | None:
    time_progress = tree.progress.time_progress
    target = row.target
    if not target or time_progress is None:
        return None
    margin = float(settings.RISK_BEHIND_MARGIN)
    completion = row.completion or 0.0
    if completion >= time_progress - margin:
        return None
    gap = max(ZERO, target * Decimal(repr(time_progress)) - row.achieved)
    return tree.metric.quantize(gap), _(
        "Behind time progress: %(completion)s done against %(time)s of the month "
        "gone (%(points)s points behind, more than the %(margin)s allowed)."
    ) % {
        "completion": f"{completion:.0%}",
        "time": f"{time_progress:.0%}",
        "points": f"{(time_progress - completion) * 100:.0f}",
        "margin": f"{margin:.0%}",
    }


def _idle(tree: Subtree, row: ForecastRow) -> tuple[Decimal, str] | None:
    if row.kind != "person":
        return None
    idle = tree.idle_days.get(row.code, 0)
    if idle < settings.RISK_IDLE_WORKDAYS:
        return None
    target = row.target
    gap = target - row.achieved if target and target > row.achieved else 0
    return tree.metric.quantize(gap), _("No won deal for %(days)s working days.") % {"days": idle}


def _low_probability(tree: Subtree, row: ForecastRow) -> tuple[Decimal, str] | None:
    target, probability = row.target, row.probability
    if not target or probability is None or probability >= 0.5:
        return None
    m = tree.metric
    return m.quantize(max(ZERO, target - row.expected)), _(
        "Only a %(probability)s chance of reaching the target: the forecast month-end "
        "is %(expected)s against %(target)s."
    ) % {
        "probability": f"{probability:.0%}",
        "expected": shown(m, row.expected),
        "target": shown(m, target),
    }


def _missing_report(tree: Subtree, row: ForecastRow) -> tuple[Decimal, str] | None:
    if row.kind != "person" or row.code not in tree.missing_report or not tree.last_workday:
        return None
    return ZERO, _("No daily report filed for %(day)s.") % {"day": tree.last_workday.isoformat()}


def _visit_shortfall(tree: Subtree, row: ForecastRow) -> tuple[Decimal, str] | None:
    if row.kind != "person" or not tree.visit_days:
        return None
    expected = settings.RISK_MIN_VISITS_PER_DAY * tree.visit_days
    made = tree.visits_made.get(row.code, 0)
    if made >= expected:
        return None
    return ZERO, _(
        "Visit shortfall: %(made)s visits in the last %(days)s working days, %(expected)s expected."
    ) % {"made": made, "days": tree.visit_days, "expected": expected}


def _allocation_gap(tree: Subtree, unit_id: int | None) -> tuple[Decimal, str] | None:
    if unit_id is None or unit_id not in tree.own:
        return None
    own = tree.own[unit_id]
    below = tree.children_sum.get(unit_id) or ZERO
    if own - below <= 0:
        return None
    m = tree.metric
    return m.quantize(own - below), _(
        "Allocation gap: the unit's target is %(own)s but the targets below it add up to %(below)s."
    ) % {"own": shown(m, own), "below": shown(m, below)}


def pipeline_note(m: Metric, row: ForecastRow) -> str:
    """ "¥X of the ¥Y forecast stands on N open opportunities", or nothing without any."""
    if row.pipeline is None:
        return ""
    n = row.pipeline.opportunities
    return ngettext(
        "%(part)s of the %(total)s forecast stands on %(n)d open opportunity.",
        "%(part)s of the %(total)s forecast stands on %(n)d open opportunities.",
        n,
    ) % {"part": shown(m, row.pipeline_amount), "total": shown(m, row.expected), "n": n}


def risks_of(tree: Subtree, row: ForecastRow, unit_id: int | None = None) -> list[Risk]:
    """The risk points of one rep or unit (``unit_id`` for a unit), each with its reason."""
    subject_unit = tree.units[unit_id].code if unit_id is not None else row.team
    found = {
        "behind": _behind(tree, row),
        "idle": _idle(tree, row),
        "low_probability": _low_probability(tree, row),
        "missing_report": _missing_report(tree, row),
        "visit_shortfall": _visit_shortfall(tree, row),
        "allocation_gap": _allocation_gap(tree, unit_id),
    }
    f = row.forecast
    note = pipeline_note(tree.metric, row)
    return [
        Risk(
            kind,
            row.kind,
            row.code,
            row.name,
            gap,
            message,
            subject_unit,
            probability=f.probability,
            probability_low=f.probability_low,
            probability_high=f.probability_high,
            pipeline_note=note,
        )
        for kind, point in found.items()
        if point is not None
        for gap, message in [point]
    ]


def by_gap(risks: list[Risk]) -> list[Risk]:
    """Largest gap first; then in the order of ``RISK_KINDS``, then by code."""
    order = {k: i for i, k in enumerate(RISK_KINDS)}
    return sorted(risks, key=lambda r: (-r.gap, order[r.kind], r.code))


def with_field_signals(tree: Subtree) -> Subtree:
    """Add whose daily report is missing and who visits too little (two queries)."""
    days = work_calendar().previous_workdays(tree.day, settings.RISK_VISIT_WORKDAYS)
    if not days or not tree.reps:
        return tree
    tree.last_workday = days[-1]
    missing = {p.employee_no for p in missing_daily_reports(tree.root, day=days[-1])}
    # A unit that files no daily reports at all does not use them: no risk points for it.
    if len(missing) < sum(1 for r in tree.reps if r.code in tree.rep_team):
        tree.missing_report = frozenset(missing)
    tree.visits_made = _visits_made(tree, days[0], days[-1])
    # Likewise a unit that records no visits is not judged on them.
    tree.visit_days = len(days) if tree.visits_made else 0
    return tree


def _visits_made(tree: Subtree, first: dt.date, last: dt.date) -> dict[str, int]:
    rows = (
        Fact.objects.filter(
            metric="visits",
            day__gte=first,
            day__lte=last,
            unit_id__in=list(tree.units),
            person__isnull=False,
        )
        .values("person__employee_no")
        .annotate(n=Sum("value"))
        .order_by()
    )
    return {r["person__employee_no"]: int(r["n"]) for r in rows}


def _subtree_risks(tree: Subtree) -> list[Risk]:
    risks: list[Risk] = []
    for pk in tree.units:
        risks.extend(risks_of(tree, unit_row(tree, pk), pk))
    for row in tree.reps:
        risks.extend(risks_of(tree, row))
    return by_gap(risks)


def risks_for_subtree(unit: Unit, *, day: dt.date, metric: str = "revenue") -> list[Risk]:
    """Every risk point in ``unit``'s subtree (units and reps), largest gap first."""
    return _subtree_risks(with_field_signals(read_subtree(unit, day, metric)))


@dataclass
class RiskBoard:
    """The risks page: the points that pass the filters, how many of each kind there are (under
    the unit filter) and the units one may narrow to."""

    risks: list[Risk]
    total: int  # every point in the subtree, before the filters
    counts: dict[str, int]  # per kind, under the unit filter
    units: list[tuple[str, str, int]]  # (code, name, depth below the root), in tree order
    kind: str = ""
    within: str = ""


def _tree_order(tree: Subtree) -> list[tuple[str, str, int]]:
    children: dict[int | None, list[Unit]] = {}
    for u in tree.units.values():
        children.setdefault(u.parent_id, []).append(u)
    out: list[tuple[str, str, int]] = []

    def walk(u: Unit, depth: int) -> None:
        out.append((u.code, u.name, depth))
        for child in sorted(children.get(u.pk, []), key=lambda c: (c.sort, c.code)):
            walk(child, depth + 1)

    walk(tree.root, 0)
    return out


def _codes_under(tree: Subtree, code: str) -> set[str]:
    by_code = {u.code: u for u in tree.units.values()}
    top = by_code.get(code)
    if top is None:
        return set()
    under, frontier = {top.pk}, [top.pk]
    while frontier:
        frontier = [u.pk for u in tree.units.values() if u.parent_id in frontier]
        under.update(frontier)
    return {tree.units[pk].code for pk in under}


def risk_board(
    unit: Unit, *, day: dt.date, kind: str = "", within: str = "", metric: str = "revenue"
) -> RiskBoard:
    """The risk points of ``unit``'s subtree narrowed to one ``kind`` and to the subtree of the
    unit coded ``within`` (a rep counts under their team); an unknown filter is ignored."""
    tree = with_field_signals(read_subtree(unit, day, metric))
    risks = _subtree_risks(tree)
    kind = kind if kind in RISK_KINDS else ""
    codes = _codes_under(tree, within) if within else set()
    within = within if codes else ""
    placed = [r for r in risks if not codes or r.unit in codes]
    counts = dict.fromkeys(RISK_KINDS, 0)
    for r in placed:
        counts[r.kind] += 1
    return RiskBoard(
        risks=[r for r in placed if not kind or r.kind == kind],
        total=len(risks),
        counts=counts,
        units=_tree_order(tree),
        kind=kind,
        within=within,
    )
