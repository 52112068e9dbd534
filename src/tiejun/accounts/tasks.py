"""The nightly directory sync of every configured platform (Huey, thin: calls the service)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from tiejun.errors import TiejunError
from tiejun.tasking import fresh_connections

from .directory import directory_sync
from .selectors import configured_platforms

log = logging.getLogger(__name__)


def sync_is_due(at: dt.datetime) -> bool:
    """Once a day at ``settings.DIRECTORY_SYNC_AT`` local time, and only with a platform set."""
    if timezone.is_naive(at):  # Huey hands periodic checks a naive time, UTC unless told else
        at = at.replace(tzinfo=dt.UTC) if HUEY.utc else timezone.make_aware(at)
    local = timezone.localtime(at)
    hour, minute = (int(x) for x in settings.DIRECTORY_SYNC_AT.split(":"))
    return (local.hour, local.minute) == (hour, minute) and bool(configured_platforms())


@HUEY.periodic_task(sync_is_due, name="accounts.directory_sync")
@fresh_connections
def nightly_directory_sync() -> dict[str, str]:
    """Sync each configured platform; one that fails is logged, the others still run."""
    done: dict[str, str] = {}
    for platform in configured_platforms():
        try:
            result = directory_sync(platform=platform, kinds=settings.DIRECTORY_KINDS)
        except TiejunError as error:
            log.error("directory sync of %s failed, nothing written: %s", platform, error)
            done[platform] = f"failed: {error}"
            continue
        done[platform] = ", ".join(f"{k} {v}" for k, v in sorted(result.summary().items()))
    return done
