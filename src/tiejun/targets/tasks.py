"""Huey schedule of the sign-off reminder: every working day at 09:15, each person who has not
confirmed this month's or next month's targets hears of it once (the outbox key carries the day,
so a second run the same day sends nothing)."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tiejun.org.selectors import work_calendar

from .signoff import signoff_remind

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="15", hour="9"), name="targets.signoff_remind")
def signoff_reminders() -> int:
    today = timezone.localdate()
    if not work_calendar().is_workday(today):
        return 0
    queued = signoff_remind(today=today)
    if queued:
        log.info("reminded %d people to confirm their targets", queued)
    return queued
