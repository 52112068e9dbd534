"""What an import of deals announces: one summary per win-flash subscription ("Imported 18 deals,
¥… in total") instead of a flash per row, and the milestones completed by the deals won on the
day of the import (a back-dated row never flashes)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiejun.crm.models import Deal
from tiejun.money import money
from tiejun.notify.models import DeliveryChannel
from tiejun.notify.services import message_enqueue
from tiejun.org.models import UnitClosure

from .models import Report, Subscription
from .renderers import robot_markdown_escape, sms_escape
from .services import email_with_unsubscribe, message_key, milestones_check

SUMMARY = "import_summary"


def import_summary_line(n: int, amount: Decimal) -> str:
    """ "Imported 18 deals, ¥… in total", in the active language."""
    return ngettext(
        "Imported %(n)d deal, %(amount)s in total",
        "Imported %(n)d deals, %(amount)s in total",
        n,
    ) % {"n": n, "amount": money(amount)}


def _message(subscription: Subscription, n: int, amount: Decimal, day: dt.date) -> dict[str, Any]:
    language = subscription.language or settings.LANGUAGE_CODE
    unit = subscription.unit
    with translation.override(language):
        line = import_summary_line(n, amount)
        subject = _("%(unit)s: %(line)s") % {"unit": unit.name, "line": line}
    channel = subscription.channel
    if channel == DeliveryChannel.EMAIL:
        fields = {"subject": subject, "text": subject, "html": f"<p>{escape(subject)}</p>"}
        return email_with_unsubscribe(fields, subscription, language)
    if channel == DeliveryChannel.SMS:
        return {"text": sms_escape(subject)}
    if channel == DeliveryChannel.WEBHOOK:
        payload = {
            "report": SUMMARY,
            "unit": {"code": unit.code, "name": unit.name},
            "date": day.isoformat(),
            "deals": n,
            "amount": f"{amount:.2f}",
        }
        return {"subject": subject, "text": subject, "payload": payload}
    return {"subject": subject, "text": subject, "markdown": robot_markdown_escape(subject)}


def import_summary_send(
    *,
    key: str,
    day: dt.date,
    units: Mapping[int, tuple[int, str]],
    won_today: list[int],
) -> dict[str, int]:
    """Queue one summary of an import's new deals to each win-flash subscription of their teams
    and the units above them (idempotent on the import's ``key``), then announce the milestones
    the deals won on ``day`` complete. Returns the counts."""
    totals: dict[int, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for ancestor, descendant in UnitClosure.objects.filter(
        descendant_id__in=list(units)
    ).values_list("ancestor_id", "descendant_id"):
        n, amount = units[descendant]
        totals[ancestor][0] += n
        totals[ancestor][1] += Decimal(amount)
    subscriptions = (
        Subscription.objects.filter(report=Report.WIN_FLASH, active=True, unit_id__in=list(totals))
        .select_related("unit")
        .order_by("id")
    )
    queued = 0
    with transaction.atomic():
        for subscription in subscriptions:
            n, amount = totals[subscription.unit_id]
            fields = _message(subscription, n, amount, day)
            _row, created = message_enqueue(
                channel=subscription.channel,
                address=subscription.address,
                key=message_key(SUMMARY, subscription.unit.code, day, subscription, key),
                **fields,
            )
            queued += created
    return {"queued": queued, "milestones": _milestones(won_today, day)}


def _milestones(won_today: list[int], day: dt.date) -> int:
    """The milestones of the deals won on the import's day: one check per rep (their last deal
    of the file), which also covers every unit above the rep's team."""
    last: dict[int, Deal] = {}
    for deal in (
        Deal.objects.filter(pk__in=won_today, won_date=day)
        .select_related("person", "customer", "unit")
        .order_by("id")
    ):
        last[deal.person_id] = deal
    return sum(len(milestones_check(deal=deal, as_of=day)) for deal in last.values())
