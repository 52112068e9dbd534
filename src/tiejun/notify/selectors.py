"""Reads on the outbox for the page, the admin and the CLI."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import Message


def message_list(
    *,
    status: str | None = None,
    channel: str | None = None,
    q: str = "",
    limit: int = 100,
) -> list[Message]:
    """The newest messages first, filtered; one query."""
    rows: QuerySet[Message] = Message.objects.all()
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    if q:
        rows = rows.filter(Q(key__icontains=q) | Q(address__icontains=q))
    return list(rows.defer("html", "text", "markdown", "payload")[:limit])


def outbox_counts() -> dict[str, int]:
    """How many messages are in each status; one query."""
    return {
        row["status"]: row["n"]
        for row in Message.objects.values("status").annotate(n=Count("id")).order_by()
    }
