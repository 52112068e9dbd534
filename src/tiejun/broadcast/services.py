"""Writes of the broadcasts: subscriptions, queuing reports and flashes into the outbox, milestones.

Every message goes through ``notify.services.message_enqueue`` with an idempotency key made of
the report kind, the unit, the date (and the deal number for a flash) and the recipient, so a
second send of the same report queues nothing new.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_change, audit_record, safe_address
from tiejun.crm.models import Deal
from tiejun.errors import TiejunError
from tiejun.metrics import REVENUE
from tiejun.notify.channels import validate_address
from tiejun.notify.models import DeliveryChannel
from tiejun.notify.services import message_enqueue
from tiejun.org.models import Person, Unit, UnitClosure
from tiejun.rhythm.selectors.kickoff import kickoff_for_unit
from tiejun.rhythm.selectors.review import review_for_unit
from tiejun.scoreboard.selectors import board_for_unit, person_board
from tiejun.workdays import month_end, month_start

from . import renderers
from .models import Format, Milestone, Report, Subscription
from .selectors import battle_report, subscribers, subscribers_above

log = logging.getLogger(__name__)


# --- subscriptions -----------------------------------------------------------------------------


def check_report(report: str) -> str:
    report = (report or "").strip().lower()
    if report not in Report.values:
        raise TiejunError(
            _("unknown report %(report)s; use one of %(choices)s")
            % {"report": report, "choices": ", ".join(Report.values)},
            field="report",
        )
    return report


def check_address(channel: str, address: str) -> str:
    """The address normalised for ``channel``, or ``TiejunError`` (the outbox's own check)."""
    channel = (channel or "").strip().lower()
    if channel not in DeliveryChannel.values:
        raise TiejunError(
            _("unknown channel %(channel)s; use one of %(choices)s")
            % {"channel": channel, "choices": ", ".join(DeliveryChannel.values)},
            field="channel",
        )
    return validate_address(channel, address)


@transaction.atomic
def subscription_create(
    *,
    unit: Unit,
    report: str,
    channel: str,
    address: str,
    by: Person | None = None,
    language: str = "",
    min_amount: Decimal | None = None,
) -> tuple[Subscription, bool]:
    """Subscribe ``address`` on ``channel`` to ``report`` of ``unit``; (row, created).

    Subscribing again re-activates the existing row.
    """
    report = check_report(report)
    channel = channel.strip().lower()
    address = check_address(channel, address)
    if min_amount is not None and min_amount < 0:
        raise TiejunError(_("the minimum amount cannot be negative"), field="min_amount")
    if language and language not in dict(settings.LANGUAGES):
        raise TiejunError(_("unknown language %(language)s") % {"language": language})
    existing = Subscription.objects.filter(
        unit=unit, report=report, channel=channel, address=address
    ).first()
    if existing is not None:
        changed = not existing.active or existing.language != language
        changed = changed or existing.min_amount != min_amount
        if changed:
            existing.unit = unit  # the same row: spares the trail a query
            audit_change(
                action="update",
                object_type="subscription",
                object_id=existing.pk,
                object_repr=_subscription_repr(existing),
                before=_subscription_fields(existing),
                after={
                    **_subscription_fields(existing),
                    "active": True,
                    "language": language,
                    "min_amount": min_amount,
                },
                actor=by,
            )
            existing.active, existing.language, existing.min_amount = True, language, min_amount
            existing.save(update_fields=["active", "language", "min_amount"])
        return existing, False
    subscription = Subscription.objects.create(
        unit=unit,
        report=report,
        channel=channel,
        address=address,
        language=language,
        min_amount=min_amount,
        created_by=by,
    )
    audit_record(
        action="create",
        object_type="subscription",
        object_id=subscription.pk,
        object_repr=_subscription_repr(subscription),
        after=_subscription_fields(subscription),
        actor=by,
    )
    return subscription, True


@transaction.atomic
def subscription_delete(*, subscription: Subscription, by: Person | None = None) -> None:
    audit_record(
        action="delete",
        object_type="subscription",
        object_id=subscription.pk,
        object_repr=_subscription_repr(subscription),
        before=_subscription_fields(subscription),
        actor=by,
    )
    subscription.delete()


def _subscription_fields(subscription: Subscription) -> dict[str, Any]:
    return {
        "unit": subscription.unit.code,
        "report": subscription.report,
        "channel": subscription.channel,
        "address": safe_address(subscription.address),
        "language": subscription.language,
        "min_amount": subscription.min_amount,
        "active": subscription.active,
    }


def _subscription_repr(subscription: Subscription) -> str:
    return (
        f"{subscription.unit.code} {subscription.report} → {subscription.channel} "
        f"{safe_address(subscription.address)}"
    )


# --- reports -----------------------------------------------------------------------------------


def report_data(kind: str, unit: Unit, day: dt.date) -> dict[str, Any]:
    """The JSON of a report sheet (kickoff, review or battle) of ``unit`` on ``day``."""
    if kind == Report.BATTLE:
        return battle_report(unit, day=day).to_json()
    if kind == Report.KICKOFF:
        data = kickoff_for_unit(unit, day=day).to_json()
    elif kind == Report.REVIEW:
        data = review_for_unit(unit, day=day).to_json()
    else:
        raise TiejunError(
            _("unknown report %(report)s; use one of %(choices)s")
            % {"report": kind, "choices": "kickoff, review, battle"},
            field="report",
        )
    data.setdefault("report", kind)
    return data


def _recipient(subscription: Subscription) -> str:
    digest = hashlib.sha256(subscription.address.encode()).hexdigest()[:16]
    return f"{subscription.channel}:{digest}"


def message_key(
    kind: str, unit_code: str, day: dt.date, subscription: Subscription, *extra: str
) -> str:
    """The idempotency key: report kind + unit + date (+ deal number) + recipient."""
    return ":".join([kind, unit_code, day.isoformat(), *extra, _recipient(subscription)])


def _language(subscription: Subscription) -> str:
    return subscription.language or settings.LANGUAGE_CODE


def deliver_to(
    subscription: Subscription, kind: str, data: dict[str, Any], key: str
) -> tuple[int, int]:
    """Queue ``data`` rendered for the subscription's channel; (queued, already there).

    E-mail carries text and HTML; SMS goes as the short form in segments of one SMS each; the
    robots get Markdown; a webhook gets the report's JSON.
    """
    language = _language(subscription)
    channel, address = subscription.channel, subscription.address
    subject = renderers.subject(kind, data, language=language)
    messages: list[dict[str, Any]] = []
    if channel == DeliveryChannel.EMAIL:
        messages.append(
            {
                "subject": subject,
                "text": renderers.render(kind, data, Format.TEXT, language=language),
                "html": renderers.render(kind, data, Format.HTML, language=language),
            }
        )
    elif channel == DeliveryChannel.SMS:
        short = renderers.render(kind, data, Format.SMS, language=language)
        segments = renderers.sms_segments(short)
        for i, segment in enumerate(segments, start=1):
            suffix = f"#{i}/{len(segments)}" if len(segments) > 1 else ""
            messages.append({"text": segment, "key_suffix": suffix})
    elif channel == DeliveryChannel.WEBHOOK:
        messages.append(
            {
                "subject": subject,
                "text": renderers.render(kind, data, Format.TEXT, language=language),
                "payload": {"report": kind, "subject": subject, "data": data},
            }
        )
    else:
        messages.append(
            {
                "subject": subject,
                "text": renderers.render(kind, data, Format.TEXT, language=language),
                "markdown": renderers.render(kind, data, Format.MARKDOWN, language=language),
            }
        )
    queued = existing = 0
    for fields in messages:
        suffix = fields.pop("key_suffix", "")
        _message, created = message_enqueue(
            channel=channel, address=address, key=key + suffix, **fields
        )
        queued += created
        existing += not created
    return queued, existing


def report_deliver(*, subscription: Subscription, day: dt.date) -> tuple[int, int]:
    """Queue the report of one subscription for ``day`` (what a scheduled fan-out task runs)."""
    data = report_data(subscription.report, subscription.unit, day)
    key = message_key(subscription.report, subscription.unit.code, day, subscription)
    return deliver_to(subscription, subscription.report, data, key)


def report_send(*, kind: str, unit: Unit, day: dt.date) -> dict[str, Any]:
    """Queue a report sheet of ``unit`` for ``day`` to every active subscriber of it.

    Idempotent: a second call queues nothing new. Returns the counts.
    """
    if kind not in (Report.KICKOFF, Report.REVIEW, Report.BATTLE):
        check_report(kind)
        raise TiejunError(
            _("%(report)s is not a report that can be sent; use kickoff, review or battle")
            % {"report": kind},
            field="report",
        )
    subs = subscribers(unit, kind)
    data = report_data(kind, unit, day) if subs else None
    queued = existing = 0
    with transaction.atomic():
        for subscription in subs:
            key = message_key(kind, unit.code, day, subscription)
            q, e = deliver_to(subscription, kind, data, key)  # type: ignore[arg-type]
            queued += q
            existing += e
    return {
        "report": kind,
        "unit": unit.code,
        "date": day.isoformat(),
        "subscribers": len(subs),
        "queued": queued,
        "already_queued": existing,
    }


# --- win flashes and milestones ---------------------------------------------------------------


def _money(value: Decimal | None) -> str | None:
    return REVENUE.to_json(value)  # type: ignore[return-value]


def win_flash_min_amount() -> Decimal:
    try:
        return Decimal(str(settings.WIN_FLASH_MIN_AMOUNT or "0"))
    except ArithmeticError:
        return Decimal(0)


def win_flash_send(*, deal_id: int, today: dt.date | None = None) -> dict[str, int]:
    """Announce a won deal to the subscribers of the rep's unit and every unit above it, then
    announce the milestones it completes. Idempotent; a deleted deal is skipped."""
    deal = Deal.objects.select_related("person", "customer", "unit").filter(pk=deal_id).first()
    if deal is None:
        return {"queued": 0, "already_queued": 0, "milestones": 0}
    today = today or timezone.localdate()
    as_of = min(today, month_end(deal.won_date))
    queued = existing = 0
    floor = win_flash_min_amount()
    subs = [
        s
        for s in subscribers_above(deal.unit_id, Report.WIN_FLASH)
        if deal.amount >= max(floor, s.min_amount or Decimal(0))
    ]
    if subs:
        rep = person_board(deal.person, month=deal.won_date, as_of=as_of)
        data = {
            "report": Report.WIN_FLASH.value,
            "deal_no": deal.deal_no,
            "employee_no": deal.person.employee_no,
            "name": deal.person.name,
            "unit": {"code": deal.unit.code, "name": deal.unit.name, "kind": deal.unit.kind},
            "customer_name": deal.customer.name,
            "amount": _money(deal.amount),
            "channel": deal.channel,
            "date": deal.won_date.isoformat(),
            "rep": {
                "target": _money(rep.target),
                "achieved": _money(rep.achieved),
                "completion": None if rep.completion is None else round(rep.completion, 4),
            },
        }
        with transaction.atomic():
            for s in subs:
                key = message_key(Report.WIN_FLASH, s.unit.code, deal.won_date, s, deal.deal_no)
                q, e = deliver_to(s, Report.WIN_FLASH, data, key)
                queued += q
                existing += e
    milestones = milestones_check(deal=deal, as_of=as_of)
    return {"queued": queued, "already_queued": existing, "milestones": len(milestones)}


def _milestone_create(**fields: Any) -> Milestone | None:
    try:
        with transaction.atomic():
            return Milestone.objects.create(**fields)
    except IntegrityError:  # announced already (perhaps by a parallel worker)
        return None


def milestones_check(*, deal: Any, as_of: dt.date) -> list[Milestone]:
    """Record and announce the first time this deal's rep, and each unit above the deal's team,
    reaches 100 % of the month target."""
    month = month_start(deal.won_date)
    done: list[tuple[Milestone, dict[str, Any], int]] = []
    if not Milestone.objects.filter(month=month, person=deal.person).exists():
        figures = person_board(deal.person, month=month, as_of=as_of)
        if figures.target and figures.achieved >= figures.target:
            row = _milestone_create(
                month=month, person=deal.person, reached_on=deal.won_date, deal_no=deal.deal_no
            )
            if row is not None:
                data = _milestone_json(
                    "person", deal.person.employee_no, deal.person.name, figures, month, deal
                )
                done.append((row, data, deal.unit_id))
    announced = set(
        Milestone.objects.filter(month=month, unit__isnull=False).values_list("unit_id", flat=True)
    )
    units = [
        link.ancestor
        for link in UnitClosure.objects.filter(descendant_id=deal.unit_id)
        .select_related("ancestor")
        .order_by("depth")
        if link.ancestor_id not in announced
    ]
    for unit in units:
        board = board_for_unit(unit, month=month, as_of=as_of)
        if not board.target or board.achieved < board.target:
            continue
        row = _milestone_create(
            month=month, unit=unit, reached_on=deal.won_date, deal_no=deal.deal_no
        )
        if row is not None:
            done.append(
                (
                    row,
                    _milestone_json("unit", unit.code, unit.name, board, month, deal, unit),
                    unit.pk,
                )
            )
    for _row, data, unit_id in done:
        code = data["code"]
        for s in subscribers_above(unit_id, Report.MILESTONE):
            key = message_key(Report.MILESTONE, s.unit.code, month, s, data["scope"], code)
            deliver_to(s, Report.MILESTONE, data, key)
    return [row for row, _data, _unit in done]


def _milestone_json(
    scope: str,
    code: str,
    name: str,
    figures: Any,
    month: dt.date,
    deal: Any,
    unit: Unit | None = None,
) -> dict[str, Any]:
    unit = unit or deal.unit
    return {
        "report": Report.MILESTONE.value,
        "scope": scope,
        "code": code,
        "name": name,
        "unit": {"code": unit.code, "name": unit.name, "kind": unit.kind},
        "month": f"{month:%Y-%m}",
        "date": deal.won_date.isoformat(),
        "target": _money(figures.target),
        "achieved": _money(figures.achieved),
        "completion": None if figures.completion is None else round(figures.completion, 4),
        "deal_no": deal.deal_no,
    }
