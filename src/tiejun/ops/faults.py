"""What a person reads when the database refuses: down, read-only or out of disk space.

One place decides, so a page, the API and the CLI say the same thing."""

from __future__ import annotations

import logging

from django.db import DatabaseError, IntegrityError
from django.utils.translation import gettext as _

# Seconds a client should wait before trying again (the Retry-After header).
RETRY_AFTER = 5

_READ_ONLY = ("readonly database", "read-only", "read only", "query_only")
_DISK_FULL = ("database or disk is full", "no space left", "disk full", "could not extend file")


def database_fault(exc: BaseException) -> str | None:
    """The message for ``exc`` if it is the database being unavailable, else ``None``.

    Constraint violations and programming errors are not faults of the database: they stay
    what they are (a bug or a user error handled elsewhere)."""
    if not isinstance(exc, DatabaseError) or isinstance(exc, IntegrityError):
        return None
    text = str(exc).lower()
    if any(word in text for word in _READ_ONLY):
        return _(
            "The database is read-only: nothing can be saved right now. "
            "Please tell your administrator."
        )
    if any(word in text for word in _DISK_FULL):
        return _(
            "The disk is full: nothing can be saved right now. Please tell your administrator."
        )
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, (OperationalError, InterfaceError)):
        return _("The database is not available right now. Please try again in a moment.")
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (a driver's message can run over several)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class DatabaseFaultLogFilter:
    """On ``django.request``: a database fault caught in a middleware (a session read while the
    database restarts) is logged as one line, not a traceback; the person got a 503 page."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and database_fault(exc) is not None:
            record.msg = f"{record.getMessage()}: database fault: {first_line(exc)}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
