"""The subscriptions page of a unit: who gets which report on which channel."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tiejun.dateinput import check_day
from tiejun.errors import NotFound, TiejunError
from tiejun.http import AuthedRequest
from tiejun.notify.models import DeliveryChannel
from tiejun.org.models import Unit
from tiejun.org.selectors import access_unit, default_unit

from .models import Report, Subscription
from .renderers import render as render_report
from .renderers import sms_segments
from .selectors import access_subscriptions_unit, subscriptions_for_unit
from .services import report_data, subscription_create, subscription_delete


class SubscriptionForm(forms.Form):
    report = forms.ChoiceField(
        label=gettext_lazy("Report"),
        choices=[(v, label) for v, label in Report.choices if v != Report.PERSONAL],
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=DeliveryChannel.choices)
    address = forms.CharField(
        label=gettext_lazy("Address"),
        max_length=1000,
        help_text=gettext_lazy("An e-mail address, a mobile number, or the robot's webhook URL."),
    )


def _unit(request: AuthedRequest, unit_code: str) -> Unit:
    try:
        return access_subscriptions_unit(request.user, unit_code)
    except NotFound:
        raise Http404(_("No such unit.")) from None


@login_required
def subscriptions(request: AuthedRequest, unit_code: str) -> HttpResponse:
    unit = _unit(request, unit_code)
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _row, created = subscription_create(
                    unit=unit,
                    report=data["report"],
                    channel=data["channel"],
                    address=data["address"],
                    by=request.user,
                )
            except TiejunError as exc:
                form.add_error("address" if exc.field in (None, "address") else None, str(exc))
            else:
                messages.success(
                    request, _("Subscription added.") if created else _("Already subscribed.")
                )
                return redirect("broadcast:subscriptions", unit_code=unit.code)
    else:
        form = SubscriptionForm()
    return render(
        request,
        "broadcast/subscriptions.html",
        {"unit": unit, "rows": subscriptions_for_unit(unit), "form": form},
    )


@login_required
@require_POST
def subscription_remove(request: AuthedRequest, unit_code: str, pk: int) -> HttpResponse:
    unit = _unit(request, unit_code)
    row = Subscription.objects.filter(pk=pk, unit=unit).first()
    if row is None:
        raise Http404(_("No such subscription."))
    subscription_delete(subscription=row)
    messages.success(request, _("Subscription removed."))
    return redirect("broadcast:subscriptions", unit_code=unit.code)


@login_required
def battle(request: AuthedRequest, unit_code: str) -> HttpResponse:
    """The battle report of a unit on a day, as its subscribers receive it by e-mail."""
    try:
        unit = access_unit(request.user, unit_code)
    except NotFound:
        raise Http404(_("No such unit.")) from None
    try:
        day = dt.date.fromisoformat(request.GET["date"]) if request.GET.get("date") else None
        day = check_day(day, field="date") if day else None
    except ValueError:
        day = None
        messages.error(request, _("The date must be YYYY-MM-DD."))
    day = day or timezone.localdate()
    data = report_data(Report.BATTLE, unit, day)
    try:
        access_subscriptions_unit(request.user, unit.code)
        can_subscribe = True
    except NotFound:
        can_subscribe = False
    context = {
        "can_subscribe": can_subscribe,
        "unit": unit,
        "day": day,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "email_html": render_report(Report.BATTLE, data, "html"),
        "sms_segments": sms_segments(render_report(Report.BATTLE, data, "sms")),
    }
    return render(request, "broadcast/battle.html", context)


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    """The battle report of the viewer's own unit."""
    unit = default_unit(request.user)
    if unit is None:
        raise Http404(_("No such unit."))
    return redirect("broadcast:battle", unit_code=unit.code)
