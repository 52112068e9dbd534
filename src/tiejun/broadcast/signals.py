"""Receivers of the lower apps' signals."""

from __future__ import annotations

from typing import Any

from . import tasks
from .models import Report, Subscription


def on_deal_won(sender: Any, deal_id: int, **kwargs: Any) -> None:
    """A deal was won (sent on commit): queue its win flash and milestone check, so the request
    that recorded it is not slowed down. Nothing is queued while nobody subscribes to flashes."""
    if not Subscription.objects.filter(
        active=True, report__in=(Report.WIN_FLASH, Report.MILESTONE)
    ).exists():
        return
    tasks.win_flash_task(deal_id)
