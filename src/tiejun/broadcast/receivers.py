"""Receivers of the outbox's signals (connected in ``BroadcastConfig.ready``)."""

from __future__ import annotations

from typing import Any

from .services import sms_stop


def on_sms_stop(sender: Any, *, phone: str, provider: str = "", **kwargs: Any) -> None:
    """A "TD"/"退订" reply: end that number's SMS subscriptions and personal message."""
    sms_stop(phone=phone, provider=provider)
