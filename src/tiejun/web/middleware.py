"""The language follows the signed-in person's setting, then the browser."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse

SESSION_KEY = "tiejun_language"


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Runs before LocaleMiddleware: a person's saved language becomes the language cookie.
        language = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        response = self.get_response(request)
        # The view that ran, not the path reversed on every POST (a check-in is one).
        match = getattr(request, "resolver_match", None)
        if request.method == "POST" and match is not None and match.view_name == "set_language":
            self._remember_choice(request, response)
        return response

    @staticmethod
    def _remember_choice(request: HttpRequest, response: HttpResponse) -> None:
        """After Django's set_language succeeded, save the choice on the signed-in person too."""
        language = request.POST.get("language", "")
        user = getattr(request, "user", None)
        if (
            response.status_code not in {200, 204, 302}
            or language not in dict(settings.LANGUAGES)
            or user is None
            or not user.is_authenticated
        ):
            return
        if user.language != language:
            get_user_model().objects.filter(pk=user.pk).update(language=language)
            user.language = language
        request.session[SESSION_KEY] = language
