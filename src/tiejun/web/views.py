"""Signing in and out, and the home page that opens the signed-in person's board."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tiejun.http import AuthedRequest
from tiejun.org.models import Person
from tiejun.org.selectors import default_unit

from .forms import LoginForm

# --- signing in and out -------------------------------------------------------------------


class TiejunLoginView(LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        remember_language(self.request, response, form.get_user())
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "platforms": sign_in_platforms()}


def remember_language(request: HttpRequest, response: HttpResponse, person: Person) -> None:
    """The person's saved language follows them to every browser they sign in on."""
    language = person.language
    if language in dict(settings.LANGUAGES):
        request.session["tiejun_language"] = language
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )


# The platforms a person may sign in with, once their id and secret are set (the accounts app
# serves /login/<platform>/; this page only offers the way there).
PLATFORM_LOGINS = [
    ("wecom", _("WeCom"), ("WECOM_CORP_ID", "WECOM_SECRET")),
    ("dingtalk", _("DingTalk"), ("DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET")),
    ("feishu", _("Feishu"), ("FEISHU_APP_ID", "FEISHU_APP_SECRET")),
]


def sign_in_platforms() -> list[dict[str, Any]]:
    return [
        {"key": key, "label": label, "url": f"/login/{key}/"}
        for key, label, names in PLATFORM_LOGINS
        if all(getattr(settings, name, "") for name in names)
    ]


login_view = TiejunLoginView.as_view()


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The login page after too many wrong passwords for this login from this address
    (django-axes calls this, ``AXES_LOCKOUT_CALLABLE``): the form again, with the lockout."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    lockout = ngettext(
        "Too many wrong passwords for this login. Signing in is locked for %(minutes)d minute; "
        "try again later or ask an administrator.",
        "Too many wrong passwords for this login. Signing in is locked for %(minutes)d minutes; "
        "try again later or ask an administrator.",
        minutes,
    ) % {"minutes": minutes}
    form = LoginForm(request, initial={"username": request.POST.get("username", "")})
    context = {
        "form": form,
        "lockout": lockout,
        "next": request.POST.get("next", ""),
        "platforms": sign_in_platforms(),
    }
    return render(request, "web/login.html", context, status=429)


logout_view = LogoutView.as_view()


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    unit = default_unit(request.user)
    if unit is None:
        return render(request, "web/no_unit.html")
    return redirect("scoreboard:board", unit_code=unit.code)
