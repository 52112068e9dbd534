"""The evening review of a unit: month-end forecasts per rep and child unit, and the risks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from tiejun.metrics import Metric
from tiejun.org.models import Unit, UnitKind
from tiejun.workdays import MonthProgress

from .calibration import TrackRecord, track_record
from .risks import Risk, by_gap, risks_of, with_field_signals
from .shared import HISTORY_WORKDAYS, ratio
from .subtree import ForecastRow, read_subtree, unit_row


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
    track: TrackRecord | None = None  # last quarter's forecasts against what happened
    calibration_version: int | None = None

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
            "time_progress": ratio(self.time_progress),
            "simulations": self.simulations,
            "history_workdays": self.history_workdays,
            "totals": self.totals.to_json(m),
            "children": [r.to_json(m) for r in self.children],
            "rows": [r.to_json(m) for r in self.rows],
            "risks": [r.to_json(m) for r in self.risks],
            "calibration_version": self.calibration_version,
            "track_record": None
            if self.track is None
            else {
                "months": self.track.months,
                "forecasts": self.track.total,
                "bands": [
                    {
                        "given": round(line.given, 3),
                        "made": round(line.made, 3),
                        "count": line.count,
                    }
                    for line in self.track.lines
                ],
            },
        }


def review_for_unit(unit: Unit, *, day: dt.date, metric: str = "revenue") -> Review:
    """The evening review of ``unit`` on ``day`` (today counted as elapsed).

    Rows per rep for a team or a branch, per child unit for any unit above a team; the risks of
    the unit, its children and the reps shown, largest gap first.
    """
    tree = with_field_signals(read_subtree(unit, day, metric))
    calibration = tree.calibration
    children_ids = sorted(
        (u.pk for u in tree.units.values() if u.parent_id == unit.pk),
        key=lambda pk: (tree.units[pk].sort, tree.units[pk].code),
    )
    totals = unit_row(tree, unit.pk)
    children = [unit_row(tree, pk) for pk in children_ids]
    rows = tree.reps if unit.kind in (UnitKind.TEAM, UnitKind.BRANCH) else []
    rows = sorted(rows, key=lambda r: (r.probability is None, r.probability or 0.0, r.code))
    risks = risks_of(tree, totals, unit.pk)
    for row, pk in zip(children, children_ids, strict=True):
        risks.extend(risks_of(tree, row, pk))
    for row in rows:
        risks.extend(risks_of(tree, row))
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
        risks=by_gap(risks),
        track=track_record(calibration),
        calibration_version=None if calibration is None else calibration.version,
    )
