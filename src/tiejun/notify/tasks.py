"""Huey tasks of the outbox: thin wrappers over the services."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection
from huey import crontab
from huey.contrib.djhuey import HUEY

from . import services


def _fresh_connections(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Drop stale database connections around a task, as a request does (djhuey's ``db_task``
    does too, but it would also close a connection a test holds open in a transaction)."""

    @functools.wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                close_old_connections()

    return inner


@HUEY.task(name="notify.deliver")
@_fresh_connections
def deliver(message_id: int) -> None:
    services.message_deliver(message_id)


@HUEY.periodic_task(crontab(minute="*"), name="notify.sweep")
@_fresh_connections
def sweep() -> None:
    """Every minute: queue due retries, expired leases and pending rows whose task was lost."""
    services.message_requeue_due()
