"""Huey schedule of the calendar check: every night, the admins hear of each year that is
planned in (or, from November, is the coming one) but has no statutory holidays loaded."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .calendar_gaps import calendar_warn_admins

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="40", hour="1"), name="rhythm.calendar_check")
def calendar_check() -> int:
    """Nightly at 01:40: warn the admins about years the working-day calendar does not know."""
    queued = calendar_warn_admins(today=timezone.localdate())
    if queued:
        log.info("warned %d admins about missing calendar years", queued)
    return queued


@db_periodic_task(crontab(minute="20", hour="2", day="1"), name="rhythm.forecast_calibrate")
def forecast_calibrate() -> int | None:
    """Monthly, on the 1st at 02:20: replay the last months and store the next version of the
    forecast's recalibration (and the track record the review shows)."""
    from .services import calibration_refit

    calibration = calibration_refit(today=timezone.localdate())
    if calibration is None:
        log.info("no history to recalibrate the forecast on")
        return None
    log.info("forecast recalibrated: %s from %d forecasts", calibration, calibration.count)
    return calibration.version
