"""Who is acting, for the audit trail: set once per request, command or job."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    person: Any | None  # an org.Person (or a lazy request.user), None for the system
    source: str  # web, api, cli, import, job, admin, system (kinds.SOURCES)
    label: str = ""  # who, when there is no person: the operating-system user of a command


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)


def current_actor() -> Actor | None:
    return _current.get()


@contextmanager
def acting(person: Any | None, source: str, label: str = "") -> Iterator[None]:
    """Within this block, audit entries without an explicit actor name ``person``."""
    token = _current.set(Actor(person, source, label))
    try:
        yield
    finally:
        _current.reset(token)


def act_as(person: Any | None, source: str) -> None:
    """Name the actor for the rest of the enclosing ``acting`` block (which restores the
    previous actor when it ends): for an API token, known only once the request is underway."""
    _current.set(Actor(person, source))


def begin(person: Any | None, source: str) -> contextvars.Token[Actor | None]:
    """``acting`` for callers that cannot use a ``with`` block (a job's pre/post hooks)."""
    return _current.set(Actor(person, source))


def end(token: contextvars.Token[Actor | None]) -> None:
    _current.reset(token)
