"""Huey schedules of the customer base: thin, idempotent, calling the services."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.ownership import customers_return_idle

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="15", hour="2"), name="crm.return_idle_customers")
def return_idle_customers() -> int:
    """Daily at 02:15: customers with no visit or follow-up go back to the open pool."""
    returned = customers_return_idle()
    if returned:
        log.info("returned %d idle customers to the open pool", returned)
    return returned
