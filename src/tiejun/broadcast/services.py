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
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_change, audit_record, safe_address
from tiejun.crm.models import Deal
from tiejun.errors import NotFound, TiejunError
from tiejun.metrics import REVENUE
from tiejun.notify.channels import normalise_phone, validate_address
from tiejun.notify.models import APPS, DeliveryChannel
from tiejun.notify.services import message_enqueue
from tiejun.org.models import Person, Unit, UnitClosure
from tiejun.rhythm.selectors.kickoff import kickoff_for_unit
from tiejun.rhythm.selectors.review import review_for_unit
from tiejun.scoreboard.selectors import board_for_unit, person_board
from tiejun.workdays import month_end, month_start

from . import renderers
from .models import (
    SHEETS,
    Format,
    Milestone,
    PersonalChannel,
    PersonalPreference,
    Report,
    Subscription,
)
from .personal import PersonalMessage, person_language, personal_messages
from .personal_apps import app_addresses, person_app_addresses
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
    if report == Report.PERSONAL:
        raise TiejunError(
            _("The personal message goes to each rep; they manage it on their own page."),
            field="report",
        )
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
        fields: dict[str, Any] = {
            "subject": subject,
            "text": renderers.render(kind, data, Format.TEXT, language=language),
            "html": renderers.render(kind, data, Format.HTML, language=language),
        }
        messages.append(email_with_unsubscribe(fields, subscription, language))
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


# --- unsubscribe links ------------------------------------------------------------------------

UNSUBSCRIBE_SALT = "tiejun.broadcast.unsubscribe"


def unsubscribe_token(
    *, subscription: Subscription | None = None, person: Person | None = None
) -> str:
    """A signed token naming what to end: a subscription, or a person's personal message. It
    needs no sign-in (RFC 8058 one-click) and cannot be forged or pointed at another row."""
    if subscription is not None:
        return signing.dumps({"s": subscription.pk}, salt=UNSUBSCRIBE_SALT, compress=True)
    if person is not None:
        return signing.dumps({"p": person.pk}, salt=UNSUBSCRIBE_SALT, compress=True)
    raise ValueError("a subscription or a person")


def unsubscribe_url(token: str) -> str:
    return settings.PUBLIC_URL + reverse("broadcast:unsubscribe", kwargs={"token": token})


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 ``List-Unsubscribe`` and RFC 8058 one-click ``List-Unsubscribe-Post``."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe_target(token: str) -> Subscription | Person:
    """What a token names, or ``NotFound`` (forged, damaged, or the row is gone)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise NotFound("bad unsubscribe token") from None
    if isinstance(data, dict) and isinstance(data.get("s"), int):
        row = Subscription.objects.select_related("unit").filter(pk=data["s"]).first()
    elif isinstance(data, dict) and isinstance(data.get("p"), int):
        row = Person.objects.filter(pk=data["p"]).first()  # type: ignore[assignment]
    else:
        row = None
    if row is None:
        raise NotFound("unknown unsubscribe token")
    return row


def unsubscribe_by_token(token: str) -> Subscription | Person:
    """End what the token names (idempotent); returns it."""
    target = unsubscribe_target(token)
    if isinstance(target, Subscription):
        subscription_set_active(subscription=target, active=False, by=None, how="link")
    else:
        personal_preference_set(person=target, subscribed=False, by=None, how="link")
    return target


def email_with_unsubscribe(
    fields: dict[str, Any], subscription: Subscription, language: str
) -> dict[str, Any]:
    """An e-mail to a subscription with its unsubscribe link and headers (RFC 2369, 8058)."""
    if subscription.pk is None:
        return fields
    url = unsubscribe_url(unsubscribe_token(subscription=subscription))
    return _with_footer(fields, url, language)


def _with_footer(fields: dict[str, Any], url: str, language: str) -> dict[str, Any]:
    """An e-mail's text and HTML with the unsubscribe link at the foot, and its headers."""
    with translation.override(language):
        label = _("Unsubscribe")
        why = _("You receive this because you subscribed in Tiejun.")
    text = fields.get("text", "").rstrip("\n") + f"\n\n--\n{why}\n{label}: {url}\n"
    html = fields.get("html", "")
    if html:
        foot = (
            '<p style="font-size:12px;color:#6b7280;text-align:center;margin:16px 8px;">'
            f'{escape(why)} <a href="{escape(url)}" style="color:#6b7280;">{escape(label)}</a></p>'
        )
        lower = html.lower()
        at = lower.rfind("</body>")
        html = html[:at] + foot + html[at:] if at >= 0 else html + foot
    return {**fields, "text": text, "html": html, "headers": unsubscribe_headers(url)}


# --- subscriptions a person manages themself ------------------------------------------------


@transaction.atomic
def subscription_set_active(
    *, subscription: Subscription, active: bool, by: Person | None, how: str = "page"
) -> Subscription:
    """Switch a subscription on or off (a person on their page, an unsubscribe link, an SMS
    reply); audited; nothing happens when it already is so."""
    if subscription.active == active:
        return subscription
    before = _subscription_fields(subscription)
    subscription.active = active
    subscription.save(update_fields=["active"])
    audit_change(
        action="update",
        object_type="subscription",
        object_id=subscription.pk,
        object_repr=_subscription_repr(subscription),
        before=before,
        after={**_subscription_fields(subscription), "via": how},
        actor=by,
    )
    return subscription


def personal_preference(person: Person) -> PersonalPreference:
    """The person's preference; an unsaved default (subscribed, automatic) when they have none."""
    found = PersonalPreference.objects.filter(person=person).first()
    return found or PersonalPreference(person=person)


@transaction.atomic
def personal_preference_set(
    *,
    person: Person,
    subscribed: bool | None = None,
    channel: str | None = None,
    by: Person | None,
    how: str = "page",
) -> PersonalPreference:
    """Subscribe to or unsubscribe from the nightly personal message, or choose its channel."""
    if channel is not None:
        channel = channel.strip().lower()
        if channel not in PersonalChannel.values:
            raise TiejunError(
                _("unknown channel %(channel)s; use one of %(choices)s")
                % {
                    "channel": channel,
                    "choices": ", ".join(c for c in PersonalChannel.values if c),
                },
                field="channel",
            )
        if channel == PersonalChannel.SMS and not person.phone:
            raise TiejunError(_("There is no mobile number to send to."), field="channel")
        if channel == PersonalChannel.EMAIL and not person.email:
            raise TiejunError(_("There is no e-mail address to send to."), field="channel")
    pref, _created = PersonalPreference.objects.select_for_update().get_or_create(person=person)
    # An app the person has lost the link to may stay chosen (the message falls back to SMS or
    # e-mail meanwhile), so switching the message off does not fail; choosing it anew needs it.
    if channel in APPS and channel != pref.channel and channel not in person_app_addresses(person):
        raise TiejunError(
            _(
                "%(channel)s: this person is not linked to that platform, or it is not set "
                "up for app messages."
            )
            % {"channel": PersonalChannel(channel).label},
            field="channel",
        )
    before = {"subscribed": pref.subscribed, "channel": pref.channel}
    if subscribed is not None:
        pref.subscribed = subscribed
    if channel is not None:
        pref.channel = channel
    after = {"subscribed": pref.subscribed, "channel": pref.channel}
    if after != before or _created:
        pref.updated_by = by
        pref.save()
        audit_change(
            action="update",
            object_type="personal_preference",
            object_id=person.pk,
            object_repr=f"{person.employee_no} {person.name}",
            before=before,
            after={**after, "via": how},
            actor=by,
        )
    return pref


def own_addresses(person: Person) -> dict[str, str]:
    """The person's own addresses by channel (those that pass the outbox's check)."""
    found = {}
    for channel, address in (
        (DeliveryChannel.SMS, person.phone),
        (DeliveryChannel.EMAIL, person.email),
    ):
        if address:
            try:
                found[str(channel)] = validate_address(channel, address)
            except TiejunError:
                continue
    return found


@transaction.atomic
def own_subscription_set(
    *, person: Person, unit: Unit, report: str, channel: str, active: bool
) -> Subscription | None:
    """A person subscribes themself (their own address on ``channel``) to a report sheet of
    ``unit``, or ends every one of their own subscriptions to it. The caller checks ``unit`` is
    theirs."""
    if report not in SHEETS:
        raise TiejunError(
            _("Only kickoff, review and battle reports can be subscribed."), field="report"
        )
    addresses = own_addresses(person)
    mine = Subscription.objects.filter(
        unit=unit, report=report, address__in=list(addresses.values())
    ).select_related("unit")
    if not active:
        for row in mine:
            subscription_set_active(subscription=row, active=False, by=person)
        return None
    if channel not in addresses:
        raise TiejunError(
            _("There is no address of yours for %(channel)s.")
            % {
                "channel": DeliveryChannel(channel).label
                if channel in DeliveryChannel.values
                else channel
            },
            field="channel",
        )
    for row in mine:
        if row.channel != channel:
            subscription_set_active(subscription=row, active=False, by=person)
    row, _created = subscription_create(
        unit=unit,
        report=report,
        channel=channel,
        address=addresses[channel],
        by=person,
        language=person_language(person) if person.language else "",
    )
    return row


def sms_stop(*, phone: str, provider: str = "") -> dict[str, int]:
    """Someone replied "TD"/"退订" from ``phone``: end every SMS subscription to that number and the
    personal message of whoever has it as their mobile. Returns the counts."""
    variants = _phone_variants(phone)
    ended = 0
    with transaction.atomic():
        for row in Subscription.objects.filter(
            channel=DeliveryChannel.SMS, address__in=variants, active=True
        ).select_related("unit"):
            subscription_set_active(subscription=row, active=False, by=None, how=f"sms:{provider}")
            ended += 1
        people = list(Person.objects.filter(phone__in=variants))
        for person in people:
            pref = personal_preference(person)
            if pref.subscribed and pref.channel in ("", PersonalChannel.SMS):
                personal_preference_set(
                    person=person, subscribed=False, by=None, how=f"sms:{provider}"
                )
                ended += 1
    return {"ended": ended, "people": len(people)}


def _phone_variants(phone: str) -> list[str]:
    """The spellings of one number a row may hold: +8613800138000, 8613800138000, 13800138000."""
    phone = normalise_phone(phone)
    national = (
        phone[3:]
        if phone.startswith("+86")
        else phone.removeprefix("86")
        if len(phone) == 13
        else phone
    )
    return sorted({phone, national, f"+86{national}", f"86{national}", f"+86 {national}"})


# --- the nightly personal message -----------------------------------------------------------


def quiet_until(now: dt.datetime) -> dt.datetime | None:
    """When ``now`` falls in the quiet hours (``TIEJUN_QUIET_HOURS``, "22:00-08:00", local), the
    moment they end; else None."""
    spec = (settings.QUIET_HOURS or "").strip()
    if not spec:
        return None
    try:
        start_text, end_text = spec.split("-")
        start = dt.time.fromisoformat(start_text.strip())
        end = dt.time.fromisoformat(end_text.strip())
    except ValueError:
        log.warning("TIEJUN_QUIET_HOURS %r is not HH:MM-HH:MM; ignored", spec)
        return None
    local = timezone.localtime(now)
    clock = local.time()
    if start == end:
        return None
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # across midnight
        inside = clock >= start or clock < end
        end_day = local.date() + dt.timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return timezone.make_aware(dt.datetime.combine(end_day, end), timezone.get_current_timezone())


# WeCom's text message holds at most 2048 bytes (DingTalk and Feishu hold more).
APP_TEXT_MAX_BYTES = 2048


def personal_key(employee_no: str, day: dt.date) -> str:
    """One personal message per person per day, whatever the channel: the first (or only)
    part's key names only the person and the day."""
    return f"{Report.PERSONAL}:{employee_no}:{day.isoformat()}"


def personal_route(
    person: Person, pref: PersonalPreference, apps: dict[str, str] | None = None
) -> tuple[str, str] | None:
    """(channel, address) of a person's personal message: their choice, else SMS to their
    mobile, else e-mail; None without a usable address. An app message goes to their user id on
    the platform while they are linked to it (``apps``: their app addresses, looked up when not
    given); once the link is gone it falls back to SMS or e-mail."""
    if pref.channel in APPS:
        apps = person_app_addresses(person) if apps is None else apps
        if pref.channel in apps:
            return pref.channel, apps[pref.channel]
    addresses = own_addresses(person)
    if pref.channel and pref.channel in addresses:
        return pref.channel, addresses[pref.channel]
    for channel in (DeliveryChannel.SMS, DeliveryChannel.EMAIL):
        if channel in addresses:
            return str(channel), addresses[channel]
    return None


def personal_subject(data: dict[str, Any], language: str) -> str:
    with translation.override(language):
        return _("Your day, %(name)s · %(date)s") % {
            "name": data["person"]["name"],
            "date": data["date"],
        }


def personal_deliver(
    *,
    message: PersonalMessage,
    channel: str,
    address: str,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Queue one rep's message on ``channel``; (queued, already there). Exactly once a day: the
    key of the first part names only the person and the day. In the quiet hours the message
    waits in the outbox until they end."""
    data = message.to_json()
    language = message.language
    key = personal_key(message.person.employee_no, message.day)
    hold = quiet_until(now or timezone.now())
    parts: list[dict[str, Any]] = []
    if channel == DeliveryChannel.EMAIL:
        fields: dict[str, Any] = {
            "subject": personal_subject(data, language),
            "text": renderers.render(Report.PERSONAL, data, Format.TEXT, language=language),
            "html": renderers.render(Report.PERSONAL, data, Format.HTML, language=language),
        }
        url = unsubscribe_url(unsubscribe_token(person=message.person))
        parts.append(_with_footer(fields, url, language))
    elif channel in APPS:
        # One app message carries the full text; one too long for WeCom's text gets the short one.
        text = renderers.render(Report.PERSONAL, data, Format.TEXT, language=language)
        if len(text.encode()) > APP_TEXT_MAX_BYTES:
            text = renderers.render(Report.PERSONAL, data, Format.SMS, language=language)
        parts.append({"text": text})
    else:
        short = renderers.render(Report.PERSONAL, data, Format.SMS, language=language)
        segments = renderers.sms_segments(short)
        for i, segment in enumerate(segments, start=1):
            parts.append({"text": segment, "key_suffix": "" if i == 1 else f"#{i}/{len(segments)}"})
    queued = existing = 0
    with transaction.atomic():
        for i, fields in enumerate(parts):
            suffix = fields.pop("key_suffix", "")
            _row, created = message_enqueue(
                channel=channel, address=address, key=key + suffix, not_before=hold, **fields
            )
            if i == 0 and not created:
                return 0, 1  # sent (or queued) already today, perhaps on another channel
            queued += created
            existing += not created
    return queued, existing


def personal_send(*, unit: Unit, day: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """Queue the personal message of every rep of ``unit``'s teams on ``day`` who has not opted
    out. Idempotent: a second call queues nothing new. Returns the counts."""
    messages = personal_messages(unit, day)
    people = [m.person for m in messages]
    prefs = {p.person_id: p for p in PersonalPreference.objects.filter(person__in=people)}
    apps = app_addresses(people)
    counts = {"queued": 0, "already_queued": 0, "unsubscribed": 0, "no_address": 0, "inactive": 0}
    for message in messages:
        person = message.person
        pref = prefs.get(person.pk) or PersonalPreference(person=person)
        if not person.is_active:
            counts["inactive"] += 1
            continue
        if not pref.subscribed:
            counts["unsubscribed"] += 1
            continue
        route = personal_route(person, pref, apps.get(person.pk, {}))
        if route is None:
            counts["no_address"] += 1
            continue
        queued, existing = personal_deliver(
            message=message, channel=route[0], address=route[1], now=now
        )
        counts["queued"] += queued
        counts["already_queued"] += existing
    return {
        "report": Report.PERSONAL.value,
        "unit": unit.code,
        "date": day.isoformat(),
        "reps": len(messages),
        **counts,
    }
