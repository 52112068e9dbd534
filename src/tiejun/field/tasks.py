"""Huey schedule of the daily report reminder: at the due time minus
``TIEJUN_DAILY_REPORT_REMIND_BEFORE`` minutes, on working days, queue one e-mail through the
outbox to every rep who has not filed (idempotent per rep and date, so a second run sends
nothing)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from huey.contrib.djhuey import HUEY

from tiejun.tasking import fresh_connections

from .selectors.reports import reminder_time
from .services.reports import daily_report_reminders_queue

log = logging.getLogger(__name__)


def _local(now: dt.datetime) -> dt.datetime:
    """Huey hands periodic checks a naive time, in UTC unless it was configured otherwise."""
    if timezone.is_naive(now):
        now = now.replace(tzinfo=dt.UTC) if HUEY.utc else timezone.make_aware(now)
    return timezone.localtime(now)


def reminder_is_due(now: dt.datetime) -> bool:
    local = _local(now)
    at = reminder_time()
    return (local.hour, local.minute) == (at.hour, at.minute)


def reminder_fire(now: dt.datetime | None = None) -> int:
    """Queue the reminders of the day of ``now`` (local); returns how many were newly queued."""
    local = timezone.localtime(now) if now is not None else timezone.localtime()
    queued = daily_report_reminders_queue(day=local.date())
    log.info("daily report reminders for %s: %d queued", local.date(), queued)
    return queued


@HUEY.periodic_task(reminder_is_due, name="field.daily_report_reminder")
@fresh_connections
def daily_report_reminder() -> None:
    reminder_fire()
