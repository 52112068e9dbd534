"""The account pages: set a password from an invitation, change it, reset a forgotten one, the
person page's re-invite and reset buttons, and signing in with WeCom, DingTalk or Feishu."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import (
    INTERNAL_RESET_SESSION_TOKEN,
    PasswordChangeView,
    PasswordResetConfirmView,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiejun.errors import Forbidden, TiejunError
from tiejun.http import AuthedRequest
from tiejun.org.models import Person
from tiejun.org.selectors import access_person
from tiejun.web.views import remember_language

from . import throttle
from .forms import ResetRequestForm
from .providers import PlatformError, client_for
from .selectors import configured_platforms, may_manage_account, person_for_login
from .services import (
    MUST_CHANGE_KEY,
    PRINT,
    InvitationState,
    absolute_url,
    invitation_accept,
    invitation_create,
    invitation_lookup,
    password_set,
    person_for_platform_user,
    reset_send,
)

BACKEND = "tiejun.org.auth.EmployeeNoOrEmailBackend"
SSO_STATE_KEY = "tiejun_sso_state"


def _too_many(request: HttpRequest) -> HttpResponse:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    text = _("Too many tries from here. Try again in %(minutes)d minutes.") % {"minutes": minutes}
    return render(
        request, "accounts/message.html", {"title": _("Slow down"), "text": text}, status=429
    )


def _sign_in(request: HttpRequest, person: Person) -> HttpResponse:
    login(request, person, backend=BACKEND)
    response = redirect("web:home")
    remember_language(request, response, person)
    return response


# --- invitations --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's page: set a password (Django's ``SetPasswordForm`` and validators),
    then land signed in on one's home page. A used or expired link says so."""
    if throttle.locked(request, throttle.ACTIVATION_KEY):
        return _too_many(request)
    state, invitation = invitation_lookup(token)
    if state != InvitationState.VALID or invitation is None:
        if state == InvitationState.UNKNOWN:
            throttle.count(request, throttle.ACTIVATION_KEY)
        status = 404 if state == InvitationState.UNKNOWN else 410
        return render(request, "accounts/link_invalid.html", {"state": state}, status=status)
    person = invitation.person
    form = SetPasswordForm(person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            person = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except TiejunError:  # used by a second tab in between
            return render(request, "accounts/link_invalid.html", {"state": "used"}, status=410)
        return _sign_in(request, person)
    context = {"form": form, "person": person, "expires_at": invitation.expires_at}
    status = 400 if form.is_bound else 200
    return render(request, "accounts/set_password.html", context, status=status)


# --- changing and resetting ---------------------------------------------------------------


class ChangeView(PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("web:home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        person = self.request.user
        assert isinstance(person, Person)
        password_set(person=person, password=form.cleaned_data["new_password1"], by=person)
        update_session_auth_hash(self.request, person)
        self.request.session.pop(MUST_CHANGE_KEY, None)
        messages.success(self.request, _("Your password is changed."))
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        must = bool(self.request.session.get(MUST_CHANGE_KEY))
        return {**super().get_context_data(**kwargs), "must_change": must}


password_change = ChangeView.as_view()


def _reset_link(person: Person, request: HttpRequest | None) -> tuple[str, dt.datetime]:
    path = reverse(
        "accounts:reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
            "token": default_token_generator.make_token(person),
        },
    )
    expires = timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    return absolute_url(path, request), expires


def _channel(person: Person) -> str:
    return "email" if person.email else "sms" if person.phone else PRINT


@require_http_methods(["GET", "POST"])
def reset_request(request: HttpRequest) -> HttpResponse:
    """Forgot the password: a link to the person's e-mail, else their mobile. The answer is the
    same whether or not anyone matched (no one learns who works here)."""
    form = ResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        login_typed = form.cleaned_data["login"].strip()
        if throttle.locked(request, login_typed):
            return _too_many(request)
        throttle.count(request, login_typed)
        person = person_for_login(login_typed)
        if person is not None and _channel(person) != PRINT:
            url, expires = _reset_link(person, request)
            reset_send(person=person, url=url, channel=_channel(person), expires=expires)
        return redirect("accounts:reset_sent")
    return render(request, "accounts/reset_request.html", {"form": form})


def reset_sent(request: HttpRequest) -> HttpResponse:
    text = _(
        "If the employee number, e-mail or mobile is known here, a link to choose a new password "
        "is on its way to the e-mail address (or, without one, the mobile) on file."
    )
    return render(
        request, "accounts/message.html", {"title": _("Check your messages"), "text": text}
    )


class ResetConfirmView(PasswordResetConfirmView):
    """Django's reset confirmation; the new password is the person's own, and signs them in."""

    template_name = "accounts/reset_confirm.html"

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        person = self.user
        if person is None:  # the form is only offered for a valid link
            raise Http404(_("No such page."))
        password_set(person=person, password=form.cleaned_data["new_password1"], by=person)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return _sign_in(self.request, person)


reset_confirm = ResetConfirmView.as_view()


# --- the person page's buttons ------------------------------------------------------------


def _managed(request: AuthedRequest, employee_no: str) -> Person:
    person = access_person(request.user, employee_no)
    if not may_manage_account(request.user, person):
        raise Forbidden(_("You may not manage this person's sign-in."))
    return person


@login_required
@require_POST
def person_invite(request: AuthedRequest, employee_no: str) -> HttpResponse:
    person = _managed(request, employee_no)
    channel = _channel(person)
    try:
        invited = invitation_create(
            person=person, channel=channel, by=request.user, request=request
        )
    except TiejunError as error:
        messages.error(request, str(error))
    else:
        if channel == PRINT:
            messages.success(
                request,
                _("%(name)s has no e-mail or mobile: hand them this link (valid 7 days): %(url)s")
                % {"name": person.name, "url": invited.url},
            )
        else:
            messages.success(
                request, _("A new invitation is on its way to %(name)s.") % {"name": person.name}
            )
    return redirect("scoreboard:person", employee_no=person.employee_no)


@login_required
@require_POST
def person_reset(request: AuthedRequest, employee_no: str) -> HttpResponse:
    person = _managed(request, employee_no)
    channel = _channel(person)
    if channel == PRINT:
        messages.error(
            request,
            _("%(name)s has no e-mail or mobile: send an invitation instead.")
            % {"name": person.name},
        )
    else:
        url, expires = _reset_link(person, request)
        reset_send(person=person, url=url, channel=channel, expires=expires, by=request.user)
        messages.success(
            request, _("A password reset link is on its way to %(name)s.") % {"name": person.name}
        )
    return redirect("scoreboard:person", employee_no=person.employee_no)


# --- signing in with a platform -----------------------------------------------------------


def _platform(platform: str) -> str:
    if platform not in configured_platforms():
        raise Http404(_("No such page."))
    return platform


def _refused(request: HttpRequest, text: str, status: int) -> HttpResponse:
    context = {"title": _("Sign-in refused"), "text": text, "retry": True}
    return render(request, "accounts/message.html", context, status=status)


@require_http_methods(["GET"])
def sso_start(request: HttpRequest, platform: str) -> HttpResponse:
    """To the platform's sign-in page, with a ``state`` bound to this browser's session."""
    client = client_for(_platform(platform))
    state = secrets.token_urlsafe(24)
    next_url = request.GET.get("next", "")
    request.session[SSO_STATE_KEY] = {"platform": platform, "state": state, "next": next_url}
    callback = request.build_absolute_uri(reverse("accounts:sso_callback", args=[platform]))
    return redirect(client.authorize_url(callback, state))


@require_http_methods(["GET"])
def sso_callback(request: HttpRequest, platform: str) -> HttpResponse:
    """Back from the platform: the state must be the one this session sent (once), the code is
    exchanged for the user, the user mapped to a person. Nobody is created here."""
    client = client_for(_platform(platform))
    expected = request.session.pop(SSO_STATE_KEY, None) or {}
    state = request.GET.get("state", "")
    if (
        expected.get("platform") != platform
        or not state
        or not secrets.compare_digest(str(expected.get("state", "")), state)
    ):
        return _refused(
            request, _("This sign-in was not started here or was already used. Start again."), 400
        )
    code = request.GET.get("code") or request.GET.get("authCode") or ""
    if not code:
        return _refused(request, _("The platform sent no sign-in code. Start again."), 400)
    try:
        user = client.user_for_code(code)
        person = person_for_platform_user(
            platform=platform, user_id=user.user_id, mobile=user.mobile, email=user.email
        )
    except PlatformError as error:
        return _refused(request, str(error), 502)
    except Forbidden as error:
        return _refused(request, str(error), 403)
    request.tiejun_platform_sign_in = True  # type: ignore[attr-defined]  # no password typed
    response = _sign_in(request, person)
    next_url = expected.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        response["Location"] = next_url
    return response
