"""Which app channels reach a person: the hook the accounts app fills.

The personal message may go as a WeCom, DingTalk or Feishu app message, to the person's user id
on that platform. Who is linked to which platform, and which platform is configured, is the
accounts app's knowledge, and accounts sits above this app: it registers a resolver from its
``AppConfig.ready``. Without one, nobody has an app channel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tiejun.org.models import Person

# people → {person pk: {app channel: user id}}, only the linked people of configured platforms
AppAddresses = Callable[[Sequence[Person]], dict[int, dict[str, str]]]

_resolver: AppAddresses | None = None


def app_addresses_register(resolver: AppAddresses | None) -> None:
    """Name the function that finds people's app addresses (``None``: none)."""
    global _resolver
    _resolver = resolver


def app_addresses(people: Sequence[Person]) -> dict[int, dict[str, str]]:
    """Each person's app addresses by channel (``wecom_app`` → their WeCom user id), in a fixed
    number of queries whatever the number of people; people without any are left out."""
    if _resolver is None or not people:
        return {}
    return _resolver(people)


def person_app_addresses(person: Person) -> dict[str, str]:
    """One person's app addresses by channel."""
    return app_addresses([person]).get(person.pk, {})
