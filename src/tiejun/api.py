"""The REST API under /api/v1: session cookie or ``Authorization: Bearer <token>``."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, DataError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.operation import Operation
from ninja.security import HttpBearer, SessionAuth

from tiejun.audit.api import router as audit_router
from tiejun.audit.context import act_as
from tiejun.crm.api.contacts import router as contacts_router
from tiejun.crm.api.customers import router as customers_router
from tiejun.crm.api.deals import router as deals_router
from tiejun.crm.api.opportunities import router as opportunities_router
from tiejun.discipline.api import router as redlines_router
from tiejun.errors import TiejunError
from tiejun.field.api.reports import router as reports_router
from tiejun.field.api.visits import router as visits_router
from tiejun.incentives.api import router as incentives_router
from tiejun.ops.faults import RETRY_AFTER, database_fault, first_line
from tiejun.ops.middleware import too_large_message
from tiejun.org.api import router as org_router
from tiejun.org.services import token_authenticate
from tiejun.scoreboard.api import router as board_router
from tiejun.targets.api import router as targets_router
from tiejun.transfers.api import router as transfers_router

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        person = token_authenticate(token)
        if person is None:
            # A wrong token is refused outright rather than tried as a session (and CSRF).
            raise AuthenticationError()
        request.user = person
        act_as(person, "api")  # the audit trail names the token's person
        return person


# Ninja names an operation by its module path; a module that moved keeps the name it was first
# published under, so that clients generated from the schema keep working.
PUBLISHED_MODULES = {
    "tiejun.crm.api.customers": "tiejun.crm.customer_api",
    "tiejun.crm.api.contacts": "tiejun.crm.customer_api",
    "tiejun.crm.api.opportunities": "tiejun.crm.customer_api",
    "tiejun.crm.api.deals": "tiejun.crm.api",
}


class TiejunAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        module = operation.view_func.__module__
        module = PUBLISHED_MODULES.get(module, module)
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")


api = TiejunAPI(
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


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def _too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body over the limit (DATA_UPLOAD_MAX_MEMORY_SIZE, or too many form fields or files):
    413 in the API's error shape, not Django's 400 page."""
    logger.warning("%s %s: request too large: %s", request.method, request.path, exc)
    return api.create_response(request, {"detail": too_large_message()}, status=413)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "authentication required"}, status=401)


@api.exception_handler(DatabaseError)
def _database_fault(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    """The database is down, read-only or full: 503 with a clear message; a client retries."""
    message = database_fault(exc)
    if message is None:
        raise exc
    logger.warning("%s %s: database fault: %s", request.method, request.path, first_line(exc))
    response = api.create_response(request, {"detail": message}, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


@api.exception_handler(DataError)
def _unstorable_value(request: HttpRequest, exc: DataError) -> HttpResponse:
    """PostgreSQL refused a value SQLite would have stored (a NUL character, text too long, a
    number out of range): the request's fault, answered as such rather than with a 500."""
    if "NUL" in str(exc):
        message = _("text may not contain NUL characters (\\u0000)")
    else:
        message = _("a value in the request is too long or out of range")
    logger.warning("%s %s: unstorable value: %s", request.method, request.path, first_line(exc))
    return api.create_response(request, {"detail": message}, status=400)


for router in (
    board_router,
    org_router,
    targets_router,
    deals_router,
    customers_router,
    contacts_router,
    opportunities_router,
    visits_router,
    reports_router,
    audit_router,
    redlines_router,
    incentives_router,
    transfers_router,
):
    api.add_router("/", router)
