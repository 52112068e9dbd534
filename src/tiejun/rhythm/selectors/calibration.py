"""The forecast's stored recalibration and its track record, as the review reads them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tiejun import forecast as fc
from tiejun import pipeline as pl

from ..models import ForecastCalibration


@dataclass(frozen=True)
class TrackLine:
    """One band of last quarter's forecasts: "of the reps we gave about 30 %, 31 % made it"."""

    low: float
    high: float
    count: int
    given: float  # the mean probability we gave
    made: float  # the share that made it


@dataclass(frozen=True)
class TrackRecord:
    version: int
    months: list[str]
    lines: list[TrackLine]
    total: int


def latest_calibration(metric: str) -> ForecastCalibration | None:
    return ForecastCalibration.objects.filter(metric=metric).order_by("-version").first()


def calibrators(
    calibration: ForecastCalibration | None,
) -> tuple[fc.Calibrator, fc.Calibrator]:
    """The rep and unit maps of ``calibration`` (the identity without one, or if unreadable)."""
    if calibration is None:
        return fc.IDENTITY, fc.IDENTITY
    try:
        return (
            fc.Calibrator.from_json(calibration.person_map or {}),
            fc.Calibrator.from_json(calibration.unit_map or {}),
        )
    except (TypeError, ValueError):
        return fc.IDENTITY, fc.IDENTITY


def stored_blends(calibration: ForecastCalibration | None) -> dict[int, pl.Blend]:
    """The pipeline's blends stored with ``calibration``, by as-of working day (none without
    one, or if unreadable: then the pipeline joins the run-rate as the larger of the two)."""
    if calibration is None or not calibration.blends:
        return {}
    try:
        return {int(k): pl.Blend.from_json(v) for k, v in calibration.blends.items()}
    except (TypeError, ValueError, AttributeError):
        return {}


def recalibrated(forecast: fc.Forecast, calibrator: fc.Calibrator) -> fc.Forecast:
    """``forecast`` with its probability through the stored map, and the map's 80 % range."""
    if forecast.probability is None or not calibrator.xs:
        return forecast
    if forecast.remaining_days == 0:
        return forecast  # the month is over: reached or not, no model about it
    span = calibrator.interval(forecast.probability)
    return replace(
        forecast,
        probability=calibrator.apply(forecast.probability),
        probability_low=None if span is None else span[0],
        probability_high=None if span is None else span[1],
    )


MIN_TRACK_COUNT = 10  # bands with fewer forecasts are left out of the plain-words lines


def track_record(calibration: ForecastCalibration | None) -> TrackRecord | None:
    """Last quarter's forecasts by band, as stored with ``calibration``."""
    if calibration is None or not calibration.track_record:
        return None
    lines = [
        TrackLine(
            low=float(row["low"]),
            high=float(row["high"]),
            count=int(row["count"]),
            given=float(row["mean_forecast"]),
            made=float(row["hit_rate"]),
        )
        for row in calibration.track_record
        if row.get("count", 0) >= MIN_TRACK_COUNT
        and row.get("mean_forecast") is not None
        and row.get("hit_rate") is not None
    ]
    scores = calibration.scores or {}
    return TrackRecord(
        version=calibration.version,
        months=list(scores.get("track_months", [])),
        lines=lines,
        total=sum(int(r.get("count", 0)) for r in calibration.track_record),
    )
