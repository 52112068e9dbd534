"""Huey tasks of the outbox: thin wrappers over the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import HUEY

from tiejun.tasking import fresh_connections

from . import services


@HUEY.task(name="notify.deliver")
@fresh_connections
def deliver(message_id: int) -> None:
    services.message_deliver(message_id)


def deliver_later(message_id: int, delay: float = 0) -> None:
    """Queue the delivery of one message, after ``delay`` seconds (the services' queue)."""
    if delay > 0:
        deliver.schedule(args=(message_id,), delay=delay)
    else:
        deliver(message_id)


@HUEY.periodic_task(crontab(minute="*"), name="notify.sweep")
@fresh_connections
def sweep() -> None:
    """Every minute: queue due retries, expired leases and pending rows whose task was lost."""
    services.message_requeue_due()
