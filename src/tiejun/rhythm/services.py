"""The rhythm's writes: refitting the forecast's recalibration from the company's backtest."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max

from tiejun import forecast as fc
from tiejun.audit.services import audit_record

from .backtest import CALIBRATION_MONTHS, forecast_backtest, review_fit
from .models import ForecastCalibration

REFIT_MONTHS = 6  # the months a refit replays
TRACK_RECORD_MONTHS = 3  # the "last quarter" the review reports on


def _table(pairs: list[tuple[float, bool]]) -> list[dict[str, Any]]:
    return [
        {
            "low": b.low,
            "high": b.high,
            "count": b.count,
            "mean_forecast": None if b.mean_forecast is None else round(b.mean_forecast, 4),
            "hit_rate": None if b.hit_rate is None else round(b.hit_rate, 4),
        }
        for b in fc.calibration_table(pairs)
        if b.count
    ]


@transaction.atomic
def calibration_refit(
    *, today: dt.date, metric: str = "revenue", seed: int = 0, simulations: int | None = None
) -> ForecastCalibration | None:
    """Replay the last months, fit the isotonic maps on every replayed forecast, and store them
    as the next version with the last quarter's track record; None when there is no history."""
    result = forecast_backtest(
        today=today,
        months=REFIT_MONTHS,
        seed=seed,
        simulations=simulations,
        metric=metric,
        calibration_months=CALIBRATION_MONTHS,
    )
    replayed = result.training + result.outcomes
    people = [o for o in replayed if o.level == "person"]
    if not people:
        return None
    # what the review forecasts with, fitted the way the backtest fits each month's (the
    # backtest scores exactly this): the blends, then the maps on forecasts made alike
    fit = review_fit(replayed, result.as_of_days)
    quarter = set(result.months[-TRACK_RECORD_MONTHS:])
    shown = [
        (o.probability, o.hit)
        for o in result.outcomes
        if o.month in quarter and o.level == "person"
    ]
    data = result.to_json()
    last = ForecastCalibration.objects.filter(metric=metric).aggregate(v=Max("version"))["v"]
    months = sorted(quarter)
    calibration = ForecastCalibration.objects.create(
        metric=metric,
        version=(last or 0) + 1,
        fitted_on=today,
        months=f"{months[0]:%Y-%m} … {months[-1]:%Y-%m}" if months else "",
        count=len(people),
        person_map=fit.person.to_json(),
        unit_map=fit.unit.to_json(),
        blends={str(k): b.to_json() for k, b in sorted(fit.blends.items())},
        scores={
            "brier": data["brier"],
            "units": data["units"]["brier"],
            "calibration_error": data["calibration_error"],
            "track_months": [f"{m:%Y-%m}" for m in months],
        },
        track_record=_table(shown),
    )
    audit_record(
        action="create",
        object_type="forecast_calibration",
        object_id=f"{metric} v{calibration.version}",
        object_repr=str(calibration),
        after={"count": calibration.count, "months": calibration.months},
    )
    return calibration
