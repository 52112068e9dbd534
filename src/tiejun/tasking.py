"""What every Huey task of the apps shares."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection


def fresh_connections(fn: Callable[..., Any]) -> Callable[..., Any]:
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
