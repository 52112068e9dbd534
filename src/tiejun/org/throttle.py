"""Sign-in throttling: django-axes counts wrong passwords per (account, client address) in the
database, so every worker on every machine sees the same count; this module adapts it to Tiejun.

Only password sign-ins are counted (the login page, the admin's login): an API token is not a
password and never goes through ``authenticate``.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest

from .models import Person


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a locked (login, address) pair before the password is checked.

    A sign-in with no request (a script or a test calling ``authenticate`` or ``Client.login``)
    comes from no address a browser could hammer, so it is not throttled."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[func-returns-value]


def login_key(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The account as counted: one count per person, whether the login typed was the employee
    number or the e-mail address (``R1``, `` r1 `` and ``R1@example.com`` share one count). A
    login that names no one (or an e-mail two people share) counts as typed, trimmed and
    case-folded."""
    login = (credentials or {}).get("username")
    if login is None and request is not None:
        login = getattr(request, "POST", {}).get("username")
    typed = str(login or "").strip()
    if not typed:
        return ""
    found = list(
        Person.objects.filter(
            Q(employee_no__iexact=typed) | Q(email__iexact=typed) & ~Q(email="")
        ).values_list("employee_no", flat=True)[:2]
    )
    return (found[0] if len(found) == 1 else typed).casefold()


def client_ip(request: HttpRequest) -> str:
    """The client's address: the peer's, or behind ``settings.PROXY_COUNT`` trusted reverse
    proxies the entry they appended to X-Forwarded-For (entries further left can be forged)."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.PROXY_COUNT
    if proxies <= 0:
        return peer
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    return forwarded[-proxies] if len(forwarded) >= proxies else peer
