"""A database that is down, read-only or full answers 503 with a clear message, not a traceback.

A view's error reaches ``process_exception``. An error inside another middleware (a session
saved on a read-only database) has already become a 500 by the time it gets here: the
``got_request_exception`` signal marks the request, and the 500 is replaced on the way out."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from tiejun.errors import Forbidden, NotFound, TiejunError

from .faults import RETRY_AFTER, database_fault, first_line

logger = logging.getLogger(__name__)
_MARK = "_tiejun_database_fault"


def remember_database_fault(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    exc = sys.exc_info()[1]
    if request is not None and exc is not None:
        message = database_fault(exc)
        if message is not None:
            setattr(request, _MARK, message)


def unavailable_response(request: HttpRequest, message: str) -> HttpResponse:
    """503 with ``message``: JSON for the API and scripts, a plain page for a browser (one that
    needs no database: no navigation, no session)."""
    response: HttpResponse
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message}, status=503)
    else:
        # No request context (its processors would ask the database); the nonce only, so the
        # page keeps its style under the content security policy.
        nonce = str(getattr(request, "csp_nonce", "") or "")
        html = render_to_string("ops/unavailable.html", {"message": message, "nonce": nonce})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class DatabaseFaultMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        message = getattr(request, _MARK, None)
        if message is not None and response.status_code >= 500:
            return unavailable_response(request, message)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        message = database_fault(exception)
        if message is None:
            return None
        logger.warning(
            "%s %s: database fault: %s", request.method, request.path, first_line(exception)
        )
        return unavailable_response(request, message)


def too_large_message() -> str:
    """What a body over the limit answers, in the API's shape and on pages alike."""
    return _("The request is too large: at most %(size)s bytes.") % {
        "size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    }


class UserErrorMiddleware:
    """A user error no page caught (a date out of range in the query string, a code that names
    nothing) answers as the API would: 404, 403, or a 400 page with its message, never a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        too_large = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)
        if isinstance(exception, too_large) and request.path.startswith("/api/"):
            return JsonResponse({"detail": too_large_message()}, status=413)
        if not isinstance(exception, TiejunError):
            return None
        if isinstance(exception, NotFound):
            raise Http404(str(exception)) from None
        if isinstance(exception, Forbidden):
            raise PermissionDenied(str(exception)) from None
        return render(request, "web/error.html", {"error": exception}, status=exception.status)
