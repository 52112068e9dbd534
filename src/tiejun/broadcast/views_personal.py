"""Pages of the personal message: a rep's preview (for the rep and their supervisor), the
"my messages" controls on a person's page, and the unsubscribe link of every e-mail."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tiejun.dateinput import check_day
from tiejun.errors import NotFound, TiejunError
from tiejun.http import AuthedRequest
from tiejun.notify.models import DeliveryChannel
from tiejun.org.models import Person, Unit
from tiejun.org.selectors import membership_on

from . import renderers
from .models import SHEETS, Format, PersonalChannel, Report, Subscription
from .personal import access_personal_preview, personal_message
from .personal_apps import person_app_addresses
from .services import (
    own_addresses,
    own_subscription_set,
    personal_preference,
    personal_preference_set,
    personal_route,
    unsubscribe_by_token,
    unsubscribe_target,
)

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)


def email_body(html: str) -> SafeString:
    """The e-mail's body, shown inline (its styles are all inline): an iframe would not be
    painted in a full-page screenshot of the phone view."""
    found = _BODY.search(html)
    return mark_safe(found.group(1) if found else html)  # noqa: S308 - our rendered template


def _day(request: HttpRequest) -> dt.date:
    text = request.GET.get("date", "")
    if not text:
        return timezone.localdate()
    try:
        return check_day(dt.date.fromisoformat(text), field="date")
    except (ValueError, TiejunError):
        messages.error(request, _("The date must be YYYY-MM-DD."))
        return timezone.localdate()


@login_required
def personal_preview(request: AuthedRequest, employee_no: str) -> HttpResponse:
    """What a rep receives tonight: the SMS as it arrives, the e-mail, and their settings."""
    day = _day(request)
    try:
        person = access_personal_preview(request.user, employee_no, day)
    except NotFound:
        raise Http404(_("No such person.")) from None
    try:
        message = personal_message(person, day)
    except NotFound:
        message = None
    pref = personal_preference(person)
    route = personal_route(person, pref)
    context = {
        "person": person,
        "day": day,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "message": message,
        "subscribed": pref.subscribed,
        "route": route,
        "channel_label": DeliveryChannel(route[0]).label if route else "",
    }
    if message is not None:
        data = message.to_json()
        language = message.language
        context |= {
            "data": data,
            "email_body": email_body(
                renderers.render(Report.PERSONAL, data, Format.HTML, language=language)
            ),
            "sms_segments": renderers.sms_segments(
                renderers.render(Report.PERSONAL, data, Format.SMS, language=language)
            ),
        }
    return render(request, "broadcast/personal.html", context)


def _sheet_rows(person: Person) -> tuple[Unit | None, list[dict[str, Any]]]:
    """The report sheets of the person's current unit with their own subscription to each."""
    membership = membership_on(person, timezone.localdate())
    if membership is None:
        return None, []
    unit = membership.unit
    addresses = own_addresses(person)
    mine = {
        s.report: s
        for s in Subscription.objects.filter(
            unit=unit, report__in=SHEETS, address__in=list(addresses.values()), active=True
        ).order_by("id")
    }
    rows = [
        {"report": kind, "label": Report(kind).label, "subscription": mine.get(kind)}
        for kind in (Report.BATTLE, Report.KICKOFF, Report.REVIEW)
    ]
    return unit, rows


def _messages_context(viewer: Person, person: Person) -> dict[str, object]:
    pref = personal_preference(person)
    addresses = own_addresses(person)
    apps = person_app_addresses(person)
    unit, sheets = _sheet_rows(person) if viewer.pk == person.pk else (None, [])
    return {
        "person": person,
        "is_me": viewer.pk == person.pk,
        "pref": pref,
        "route": personal_route(person, pref, apps),
        "addresses": addresses,
        # only the ways the person can be reached, an app only while linked to its platform
        # (and the one chosen before, if it is gone)
        "channels": [
            (c.value, c.label)
            for c in PersonalChannel
            if not c.value or c.value in addresses or c.value in apps or c.value == pref.channel
        ],
        "sheet_channels": [
            (c, DeliveryChannel(c).label)
            for c in (DeliveryChannel.EMAIL, DeliveryChannel.SMS)
            if c in addresses
        ],
        "unit": unit,
        "sheets": sheets,
    }


@login_required
@require_http_methods(["GET", "POST"])
def my_messages(request: AuthedRequest, employee_no: str) -> HttpResponse:
    """The "messages" card of a person's page: the person manages their own nightly message and
    report subscriptions; their supervisor sees whether it goes out and opens the preview."""
    viewer = request.user
    try:
        person = access_personal_preview(viewer, employee_no)
    except NotFound:
        if request.method == "POST":
            raise Http404(_("No such person.")) from None
        return HttpResponse("")  # someone who may not see it: the card goes away
    if request.method == "POST":
        if person.pk != viewer.pk:
            raise Http404(_("No such person."))
        try:
            _save(request, person)
        except TiejunError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your message settings are saved."))
        if not request.headers.get("HX-Request"):
            return redirect("scoreboard:person", employee_no=person.employee_no)
    return render(request, "broadcast/_my_messages.html", _messages_context(viewer, person))


def _save(request: AuthedRequest, person: Person) -> None:
    action = request.POST.get("action", "")
    if action == "personal":
        personal_preference_set(
            person=person,
            subscribed=request.POST.get("subscribed") == "on",
            channel=request.POST.get("channel", ""),
            by=person,
        )
        return
    if action == "sheet":
        membership = membership_on(person, timezone.localdate())
        if membership is None:
            raise TiejunError(_("You belong to no unit today."))
        report = request.POST.get("report", "")
        own_subscription_set(
            person=person,
            unit=membership.unit,
            report=report,
            channel=request.POST.get("channel", ""),
            active=request.POST.get("subscribed") == "on",
        )
        return
    raise TiejunError(_("Nothing to save."))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The unsubscribe link of every e-mail, signed, without sign-in. GET asks to confirm (a
    link checker that follows links must not unsubscribe anyone); POST unsubscribes, which is
    also what a mail client's one-click (RFC 8058, ``List-Unsubscribe=One-Click``) sends."""
    try:
        target = unsubscribe_target(token)
    except NotFound:
        raise Http404(_("This unsubscribe link is not valid.")) from None
    if isinstance(target, Subscription):
        what = _("%(report)s of %(unit)s to %(address)s") % {
            "report": target.get_report_display(),
            "unit": target.unit.name,
            "address": target.display_address,
        }
        done = not target.active
    else:
        what = _("The nightly personal message to %(name)s") % {"name": target.name}
        done = not personal_preference(target).subscribed
    if request.method == "POST":
        unsubscribe_by_token(token)
        done = True
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(_("Unsubscribed."), content_type="text/plain; charset=utf-8")
    return render(
        request, "broadcast/unsubscribe.html", {"what": what, "done": done, "token": token}
    )
