"""Django's PostgreSQL backend with a health check that costs no round trip.

``CONN_HEALTH_CHECKS`` makes Django send ``SELECT 1`` before the first statement of every request
on a kept connection, so that one that died with a database restart is replaced instead of failing
the request. A connection a restart ended has already been told so: PostgreSQL sends the
termination notice and closes the socket, which makes it readable while the connection is idle.
So the check here looks at the socket (``poll`` with no wait) and asks the server nothing; a
connection with anything to read between requests (the notice, the end of the stream) is closed
and opened anew. What neither check would see in time — a network that drops packets without a
word — ends in the request's error, a 503, and the connection is closed after it as before
(Django's ``is_usable``, after an error, still asks ``SELECT 1``).
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    connection: Any
    health_check_enabled: bool
    health_check_done: bool

    def close_if_health_check_failed(self) -> None:
        if (
            self.pool is not None
            or self.connection is None
            or not self.health_check_enabled
            or self.health_check_done
        ):
            super().close_if_health_check_failed()
            return
        if not self._idle_and_silent():
            self.close()
        self.health_check_done = True

    def _idle_and_silent(self) -> bool:
        """Whether the connection is open, idle and has nothing from the server waiting."""
        assert self.connection is not None
        try:
            pgconn = self.connection.pgconn
            if pgconn.status != psycopg.pq.ConnStatus.OK:
                return False
            poller = select.poll()
            poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        except (OSError, psycopg.Error):
            return False
