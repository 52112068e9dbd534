"""The nightly red-line job: scan the day before for suspicious patterns and apply the dismissals
whose effective date has come. Thin and idempotent: a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_periodic_task

from tiejun.tasking import fresh_connections

from .scan import flags_scan
from .services import cases_apply_due

log = logging.getLogger(__name__)


def scan_time() -> tuple[int, int]:
    """(hour, minute) of ``settings.REDLINE_SCAN_AT`` ("HH:MM"); 02:30 if it is malformed."""
    try:
        hour, minute = (int(part) for part in str(settings.REDLINE_SCAN_AT).split(":"))
    except ValueError:
        return 2, 30
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return 2, 30
    return hour, minute


def nightly(today: dt.date) -> tuple[int, int]:
    """Scan ``today``'s yesterday; apply due dismissals. Returns (flags found, dismissals applied)."""
    result = flags_scan(day=today - dt.timedelta(days=1))
    applied = cases_apply_due(today=today)
    return len(result.flags), applied


def is_due(now: dt.datetime) -> bool:
    """Whether ``now`` (as Huey hands it: naive, in UTC unless configured otherwise) is the
    scan's local minute."""
    if timezone.is_naive(now):
        now = now.replace(tzinfo=dt.UTC) if HUEY.utc else timezone.make_aware(now)
    local = timezone.localtime(now)
    return (local.hour, local.minute) == scan_time()


@db_periodic_task(is_due, name="discipline.nightly")
@fresh_connections
def redlines_nightly() -> None:
    flags, applied = nightly(timezone.localdate())
    log.info("red lines: %d flags for yesterday, %d dismissals applied", flags, applied)
