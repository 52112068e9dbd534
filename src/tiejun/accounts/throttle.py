"""The sign-in throttle (django-axes, ``org.throttle``) reused for the other doors a stranger
could hammer: asking for reset links (which sends messages to a person) and trying activation
links. Each counts as a failed attempt for (the login typed, the address); the page answers
429 once the pair is locked, for the minutes the sign-in lockout lasts."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.http import HttpRequest

# The "login" counted for tries of unknown activation links, per address.
ACTIVATION_KEY = "activation-link"


def locked(request: HttpRequest, login: str) -> bool:
    AxesProxyHandler.update_request(request)
    return not AxesProxyHandler.is_allowed(request, {"username": login})


def count(request: HttpRequest, login: str) -> None:
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.user_login_failed(
        sender=__name__, credentials={"username": login}, request=request
    )
    # The page answers for itself (a 429 of its own), not the login page of axes' middleware.
    request.axes_locked_out = False  # type: ignore[attr-defined]
