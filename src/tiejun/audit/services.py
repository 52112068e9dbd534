"""Writing the audit trail. Call ``audit_record`` inside the transaction of the write it describes,
so the entry and the write commit (or roll back) together."""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.utils import timezone

from tiejun.urlmask import mask_url

from .context import current_actor
from .models import AuditEntry

BATCH_SIZE = 500

# While an ``audit_batch`` is open, entries are collected here and inserted together at its end.
_batch: contextvars.ContextVar[list[AuditEntry] | None] = contextvars.ContextVar(
    "audit_batch", default=None
)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def _actor(actor: Any | None) -> tuple[int | None, str]:
    """The person's id and employee number; ``None`` for the anonymous or the system."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    return actor.pk, getattr(actor, "employee_no", "") or ""


def changed_fields(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs, compared as they will be stored."""
    old = _jsonable(dict(before or {}))
    new = _jsonable(dict(after or {}))
    keys = [k for k in {**old, **new} if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}


def safe_address(address: str) -> str:
    """An address fit for the trail: a robot's or webhook's URL masked (its token rides in the
    path or query, its signing secret in the fragment); e-mail addresses and phones as they are."""
    address = address or ""
    if "://" not in address:
        return address
    return mask_url(address.split("#", 1)[0])


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: Any,
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    actor: Any | None = None,
    source: str | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Record one write. ``actor``/``source`` default to the current context (see ``acting``).

    ``action`` is a short verb (create, update, delete, claim, transfer, export, revoke...);
    ``object_type`` a stable lower-case name (target, deal, membership, customer, subscription,
    setting...); ``before``/``after`` the changed fields (JSON-serialisable after conversion).
    """
    context = current_actor()
    if actor is None and context is not None:
        actor = context.person
    if source is None:
        source = context.source if context is not None else "system"
    actor_id, label = _actor(actor)
    if actor_id is None and context is not None:
        label = context.label
    entry = AuditEntry(
        at=at or timezone.now(),
        actor_id=actor_id,
        actor_label=label,
        source=source,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=str(object_repr)[:200],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason or "",
    )
    pending = _batch.get()
    if pending is not None:
        pending.append(entry)
    else:
        entry.save(force_insert=True)
    return entry


def audit_change(
    *,
    action: str,
    object_type: str,
    object_id: Any,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    **kwargs: Any,
) -> AuditEntry | None:
    """Record an edit with only the fields it changed; nothing when nothing changed."""
    old, new = changed_fields(before, after)
    if not old and not new:
        return None
    return audit_record(
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=old if before is not None else None,
        after=new if after is not None else None,
        **kwargs,
    )


@contextmanager
def audit_batch() -> Iterator[None]:
    """Collect the entries of a bulk write (an import of many rows) and insert them together.

    Use inside the write's transaction: the entries are inserted when the block ends without an
    error, so they commit with the rows they describe and vanish with them on a rollback.
    """
    if _batch.get() is not None:  # an outer batch collects these too
        yield
        return
    token = _batch.set([])
    try:
        yield
        entries = _batch.get() or []
    finally:
        _batch.reset(token)
    if entries:
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
