"""The REST API under /api/v1: session cookie or ``Authorization: Bearer <token>``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from tiejun.errors import TiejunError
from tiejun.org.services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        person = token_authenticate(token)
        if person is None:
            # A wrong token is refused outright rather than tried as a session (and CSRF).
            raise AuthenticationError()
        request.user = person
        return person


api = NinjaAPI(
    title="Tiejun API",
    version="1",
    description="Iron targets for a direct-sales force: org, targets, deals and the board.",
    # Bearer first: a script sends no CSRF token, which the session check would refuse.
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(TiejunError)
def _user_error(request: HttpRequest, exc: TiejunError) -> HttpResponse:
    body: dict[str, Any] = {"detail": str(exc.message)}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "authentication required"}, status=401)


def _mount() -> None:
    from tiejun.crm.api import router as deals_router
    from tiejun.org.api import router as org_router
    from tiejun.scoreboard.api import router as board_router
    from tiejun.targets.api import router as targets_router

    api.add_router("/", board_router)
    api.add_router("/", org_router)
    api.add_router("/", targets_router)
    api.add_router("/", deals_router)
    api.add_router("/", __import__("tiejun.crm.customer_api", fromlist=["router"]).router)
    api.add_router("/", __import__("tiejun.field.api_visits", fromlist=["router"]).router)
    api.add_router("/", __import__("tiejun.field.api_reports", fromlist=["router"]).router)


_mount()
