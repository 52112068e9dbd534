"""Receivers of the lower apps' signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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


def on_deals_imported(
    sender: Any,
    *,
    key: str,
    day: dt.date,
    units: Mapping[int, tuple[int, str]],
    won_today: list[int],
    **kwargs: Any,
) -> None:
    """Deals were imported (sent on commit): queue one summary per win-flash subscription and
    the milestone check of the deals won that day, never a flash per row."""
    if not Subscription.objects.filter(
        active=True, report__in=(Report.WIN_FLASH, Report.MILESTONE)
    ).exists():
        return
    tasks.import_summary_task(key, day.isoformat(), dict(units), list(won_today))
