"""The import kinds, registered by the apps that own them.

Each domain app's ``imports`` module declares its kinds and calls :func:`register` when the app
is ready (``AppConfig.ready``); this core never imports a domain app. A higher app adds to a
lower app's kind with :func:`extend` (optional columns, run options, hooks: ``engine.Extension``)
— the accounts app's platform ids and invitations on ``people``. The org app also names how
a person's import scope is found (:func:`set_scope_resolver`): the units a manager's file may
touch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiejun.org.models import Person

    from .engine import Extension, Kind

KINDS: dict[str, Kind] = {}
# Kind name → what higher apps add to it (optional columns, run options, hooks).
EXTENSIONS: dict[str, list[Extension]] = {}

ScopeResolver = Callable[["Person | None", "dt.date | None"], "frozenset[int] | None"]
_scope: list[ScopeResolver] = []


def register(*kinds: Kind) -> None:
    """Add ``kinds`` to the registry, kept in each kind's ``position`` order."""
    for kind in kinds:
        KINDS[kind.name] = kind
    ordered = sorted(KINDS.values(), key=lambda k: (k.position, k.name))
    KINDS.clear()
    KINDS.update((k.name, k) for k in ordered)


def extend(kind: str, extension: Extension) -> None:
    """Add ``extension`` to ``kind`` (which may be registered later); again by the same name
    replaces it."""
    known = [e for e in EXTENSIONS.get(kind, []) if e.name != extension.name]
    EXTENSIONS[kind] = [*known, extension]


def extensions_for(kind: str) -> list[Extension]:
    return EXTENSIONS.get(kind, [])


def set_scope_resolver(resolver: ScopeResolver) -> None:
    _scope[:] = [resolver]


def scope_for(by: Person | None, today: dt.date | None) -> frozenset[int] | None:
    """What a file of ``by`` may touch: None (everything) for the CLI and admin."""
    if by is None or not _scope:
        return None
    return _scope[0](by, today)


def kinds_for(person: Person | None) -> list[Kind]:
    """The kinds ``person`` may import (every kind for the CLI)."""
    return [k for k in KINDS.values() if person is None or k.may_import(person)]
