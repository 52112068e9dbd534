"""A person whose password someone else set changes it before opening anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .services import MUST_CHANGE_KEY

# Open while a change is due: the change itself, the other ways to one's own password (an
# invitation, a reset link), signing in and out, the language switch, files.
ALLOWED_PREFIXES = (
    "/account/password/",
    "/account/activate/",
    "/account/reset/",
    "/login/",
    "/logout/",
    "/i18n/",
    "/healthz",
    "/static/",
)


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(MUST_CHANGE_KEY)
            and request.user.is_authenticated
            and not request.path.startswith((*ALLOWED_PREFIXES, settings.STATIC_URL))
        ):
            return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
