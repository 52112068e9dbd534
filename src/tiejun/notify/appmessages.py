"""App messages: a text from the company's WeCom, DingTalk or Feishu app to one person.

The outbox knows the channel and the address (the person's user id on the platform); how to call
the platform is the accounts app's (its clients hold the tokens). The accounts app registers one
sender per channel from its ``AppConfig.ready``; this layer never imports it.

A sender takes ``(user_id, text, key)`` and returns the platform's id for the message, or raises
``RetryableError`` (an error code the platform may not repeat, a network failure) or
``PermanentError`` (the platform is not configured, the user is unknown to it). ``key`` is the
outbox key, for the platforms that drop a resend of the same message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .channels import Channel, PermanentError
from .models import APPS, DeliveryChannel, Message

AppSender = Callable[[str, str, str], str]

_senders: dict[str, AppSender] = {}
_lock = threading.Lock()


def app_sender_register(channel: str, sender: AppSender) -> None:
    """Name the function that sends on app channel ``channel`` (one per channel; the last wins)."""
    if channel not in APPS:
        raise ValueError(f"{channel!r} is not an app message channel")
    with _lock:
        _senders[channel] = sender


def app_sender(channel: str) -> AppSender | None:
    return _senders.get(channel)


class AppMessage(Channel):
    """One text app message to one person, through the sender registered for the channel."""

    def __init__(self, name: str) -> None:
        self.name = name  # type: ignore[misc]

    def send(self, message: Message) -> str:
        sender = app_sender(self.name)
        if sender is None:
            raise PermanentError(
                f"{DeliveryChannel(self.name).label}: no sender is registered "
                "(is the accounts app installed?)"
            )
        return sender(message.address, message.text or message.markdown, message.key)
