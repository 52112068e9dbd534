"""/outbox/: the outbox for admins, with filters and a retry button; the endpoint SMS providers
call with replies."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tiejun.access import is_admin
from tiejun.http import AuthedRequest

from . import inbound
from .models import DeliveryChannel, Status
from .selectors import message_list, outbox_counts
from .services import message_retry, sms_replies_take

PAGE_SIZE = 200


def _require_admin(request: AuthedRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied(_("Only administrators may see the outbox."))


@login_required
@require_GET
def outbox(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    q = request.GET.get("q", "").strip()
    status = status if status in Status.values else ""
    channel = channel if channel in DeliveryChannel.values else ""
    rows = message_list(status=status, channel=channel, q=q, limit=PAGE_SIZE)
    counts = outbox_counts()
    return render(
        request,
        "notify/outbox.html",
        {
            "rows": rows,
            "status_counts": [(label, counts.get(value, 0)) for value, label in Status.choices],
            "statuses": Status.choices,
            "channels": DeliveryChannel.choices,
            "status": status,
            "channel": channel,
            "q": q,
            "page_size": PAGE_SIZE,
        },
    )


@login_required
@require_POST
def outbox_retry(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    count = message_retry(ids=ids) if ids else message_retry()
    messages.success(request, _("%(count)d failed messages re-queued.") % {"count": count})
    return redirect(_local_next(request) or reverse("notify:outbox"))


def _local_next(request: HttpRequest) -> str:
    """``next`` when it is a path on this site; anything else (another host, a scheme such as
    javascript:, ``//evil.example``) is dropped."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts=None, require_https=request.is_secure()
    ):
        return target
    return ""


@csrf_exempt
@require_POST
def _twilio_signed(request: HttpRequest) -> bool:
    """The request carries Twilio's signature, made with ``TIEJUN_SMS_INBOUND_TWILIO_TOKEN``
    (the Auth Token; by default ``TIEJUN_SMS_SECRET`` when Twilio is the SMS provider), over the
    address Tiejun is published at (``TIEJUN_PUBLIC_URL``) or the one the request arrived at.
    Without a token nothing from Twilio is believed."""
    auth_token = settings.SMS_INBOUND_TWILIO_TOKEN or (
        settings.SMS_SECRET if settings.SMS_PROVIDER == "twilio" else ""
    )
    params = parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    urls = [settings.PUBLIC_URL + request.get_full_path(), request.build_absolute_uri()]
    return inbound.twilio_signed(
        urls, params, auth_token, request.headers.get("X-Twilio-Signature", "")
    )


def sms_inbound(request: HttpRequest, provider: str, token: str) -> HttpResponse:
    """The endpoint SMS providers call with replies to our messages (see ``notify.inbound``).

    Known only to whoever knows ``TIEJUN_SMS_INBOUND_TOKEN`` (in the path, so any provider's
    console can hold it); without the setting there is no endpoint at all."""
    expected = settings.SMS_INBOUND_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Http404
    if provider not in inbound.PROVIDERS:
        raise Http404
    if provider == "twilio" and not _twilio_signed(request):
        # A reply would unsubscribe a number: only Twilio, signing with the account's token, may
        # report one. Nothing is written.
        return JsonResponse({"error": "missing or wrong X-Twilio-Signature"}, status=403)
    try:
        replies = inbound.parse(provider, request.body, request.content_type or "")
    except inbound.InboundError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    sms_replies_take(provider=provider, replies=replies)
    body, content_type = inbound.answer(provider)
    return HttpResponse(body, content_type=content_type)
