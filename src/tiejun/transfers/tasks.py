"""Huey schedule: every ten minutes, flag to their issuers the orders not reported in time."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import HUEY

from tiejun.tasking import fresh_connections

from .services import orders_flag_overdue

log = logging.getLogger(__name__)


@HUEY.periodic_task(crontab(minute="*/10"), name="transfers.flag_overdue")
@fresh_connections
def flag_overdue() -> None:
    flagged = orders_flag_overdue()
    if flagged:
        log.info("transfer orders flagged overdue: %d", flagged)
