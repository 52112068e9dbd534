"""Huey tasks and schedules of the broadcasts: thin, idempotent, calling the services.

The schedules live here, in code: kickoff at ``settings.KICKOFF_AT``, review at ``REVIEW_AT`` and
the battle report at ``BATTLE_REPORT_AT`` and each rep's personal message at ``PERSONAL_REPORT_AT``
(local time), on working days only. A scheduled job
only fans out: it queues one task per subscription, and each task calls ``report_deliver``, the
service ``tiejun report send`` uses too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from tiejun.org.models import Membership, Unit, UnitKind
from tiejun.org.selectors import work_calendar
from tiejun.tasking import fresh_connections

from .models import Report, Subscription
from .services import personal_send, report_deliver, win_flash_send
from .summaries import import_summary_send

log = logging.getLogger(__name__)

SCHEDULE_SETTINGS = {
    Report.KICKOFF: "KICKOFF_AT",
    Report.REVIEW: "REVIEW_AT",
    Report.BATTLE: "BATTLE_REPORT_AT",
    Report.PERSONAL: "PERSONAL_REPORT_AT",
}


def schedule_time(kind: str) -> tuple[int, int]:
    """The (hour, minute) a report goes out, from its setting "HH:MM"."""
    value = str(getattr(settings, SCHEDULE_SETTINGS[Report(kind)]))
    hour, minute = value.strip().split(":")
    return int(hour), int(minute)


def _local(now: dt.datetime) -> dt.datetime:
    """Huey hands periodic checks a naive time, in UTC unless it was configured otherwise."""
    if timezone.is_naive(now):
        now = now.replace(tzinfo=dt.UTC) if HUEY.utc else timezone.make_aware(now)
    return timezone.localtime(now)


def is_due(kind: str, now: dt.datetime) -> bool:
    local = _local(now)
    return (local.hour, local.minute) == schedule_time(kind)


def schedule_fire(kind: str, now: dt.datetime | None = None) -> int:
    """The scheduled job of ``kind`` at ``now``: on a working day, queue one delivery task per
    active subscription; returns how many were queued (0 on a day off)."""
    local = timezone.localtime(now) if now is not None else timezone.localtime()
    day = local.date()
    if not work_calendar().is_workday(day):
        return 0
    ids = list(
        Subscription.objects.filter(report=kind, active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for subscription_id in ids:
        report_deliver_task(subscription_id, day.isoformat())
    return len(ids)


def _periodic(kind: str) -> Callable[[dt.datetime], bool]:
    return lambda timestamp: is_due(kind, timestamp)


@HUEY.task(name="broadcast.report_deliver", retries=3, retry_delay=60)
@fresh_connections
def report_deliver_task(subscription_id: int, day: str) -> None:
    subscription = (
        Subscription.objects.select_related("unit").filter(pk=subscription_id, active=True).first()
    )
    if subscription is not None:
        report_deliver(subscription=subscription, day=dt.date.fromisoformat(day))


@HUEY.task(name="broadcast.win_flash", retries=3, retry_delay=10)
@fresh_connections
def win_flash_task(deal_id: int) -> None:
    win_flash_send(deal_id=deal_id)


@HUEY.task(name="broadcast.import_summary", retries=3, retry_delay=10)
@fresh_connections
def import_summary_task(
    key: str, day: str, units: dict[int, tuple[int, str]], won_today: list[int]
) -> None:
    import_summary_send(key=key, day=dt.date.fromisoformat(day), units=units, won_today=won_today)


@HUEY.periodic_task(_periodic(Report.KICKOFF), name="broadcast.kickoff")
@fresh_connections
def kickoff_schedule() -> None:
    schedule_fire(Report.KICKOFF)


@HUEY.periodic_task(_periodic(Report.REVIEW), name="broadcast.review")
@fresh_connections
def review_schedule() -> None:
    schedule_fire(Report.REVIEW)


@HUEY.periodic_task(_periodic(Report.BATTLE), name="broadcast.battle")
@fresh_connections
def battle_schedule() -> None:
    schedule_fire(Report.BATTLE)


def personal_fire(now: dt.datetime | None = None) -> int:
    """The nightly personal messages at ``now``: on a working day, queue one task per team with
    members that day (each composes and queues its reps' messages); returns how many."""
    local = timezone.localtime(now) if now is not None else timezone.localtime()
    day = local.date()
    if not work_calendar().is_workday(day):
        return 0
    teams = list(
        Unit.objects.filter(
            kind=UnitKind.TEAM,
            pk__in=Membership.objects.on(day).values("unit_id"),
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    for team_id in teams:
        personal_team_task(team_id, day.isoformat())
    return len(teams)


@HUEY.task(name="broadcast.personal_team", retries=3, retry_delay=60)
@fresh_connections
def personal_team_task(team_id: int, day: str) -> None:
    team = Unit.objects.filter(pk=team_id).first()
    if team is not None:
        personal_send(unit=team, day=dt.date.fromisoformat(day))


@HUEY.periodic_task(_periodic(Report.PERSONAL), name="broadcast.personal")
@fresh_connections
def personal_schedule() -> None:
    personal_fire()
