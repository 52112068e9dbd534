"""Each request acts as its signed-in person: the audit trail names them for every write."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from .context import acting


@cache
def _prefixes() -> tuple[tuple[str, str], ...]:
    found = []
    for name, source in (("admin:index", "admin"), ("api:api-root", "api")):
        try:
            found.append((reverse(name), source))
        except NoReverseMatch:
            continue
    return tuple(found)


def request_source(path: str) -> str:
    """``admin`` for the admin site, ``api`` for the REST API, ``web`` for the pages."""
    for prefix, source in _prefixes():
        if path.startswith(prefix):
            return source
    return "web"


class AuditActorMiddleware:
    """Put after AuthenticationMiddleware. ``request.user`` stays lazy: it is only looked at
    when something is written, so a read costs no extra query. An API token names its person
    once it is checked (``tiejun.api.BearerToken``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting(getattr(request, "user", None), request_source(request.path)):
            return self.get_response(request)
