"""Writes on the outbox: queue a message, deliver it (exactly once as far as a provider allows),
retry, and the rate limits.

How "exactly once" holds:

- ``message_enqueue`` is idempotent on the key: the second call returns the first row.
- A worker sends a row only after *claiming* it with one conditional UPDATE (pending, or failed
  and due, or sending with an expired lease → sending with a fresh lease). Two workers, or one
  task queued twice, cannot both claim it; a row marked ``sent`` is never claimed again.
- A worker killed mid-send leaves the row ``sending``; when its lease runs out the periodic sweep
  queues it again. SMTP down for an hour: every attempt fails retryably and is retried with
  exponential back-off until it goes through (or, after ``TIEJUN_NOTIFY_MAX_ATTEMPTS``, gives up
  as ``failed`` for a person to look at).

The one window left: a crash (or a lost connection to the database) *after* the provider
accepted the message and *before* ``sent`` was committed. The lease then expires and the message
is sent a second time. Where a provider lets us, the resend carries the same idempotency
token so the far side can drop it: e-mail a Message-ID derived from the key, the webhook an
``Idempotency-Key`` header, Aliyun ``OutId``, Tencent ``SessionContext``. Chat robots and Twilio
have no such token; the window there is the few milliseconds between their answer and our commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError

from .channels import (
    DeliveryError,
    channel_for,
    header_safe,
    is_retryable,
    normalise_phone,
    rate_key,
    validate_address,
)
from .inbound import Reply
from .models import Message, RateBucket, Status
from .signals import sms_stop_received

logger = logging.getLogger(__name__)
KEY_MAX_LENGTH = 500  # Message.key
ADDRESS_MAX_LENGTH = 1000  # Message.address


# Queues the delivery of one message (its id, a delay in seconds). The Huey task hands itself in
# when the app starts (``NotifyConfig.ready``): the task calls these services, so they do not
# import it. Without a queue nothing is queued, and the sweep finds the rows.
DeliveryQueue = Callable[[int, float], object]
_delivery_queue: DeliveryQueue | None = None


def delivery_queue_set(queue: DeliveryQueue | None) -> None:
    """Name the function that queues a delivery."""
    global _delivery_queue
    _delivery_queue = queue


def _queue_delivery(message_ids: Iterable[int], *, delay: float = 0) -> None:
    """Hand the ids to the queue. A queue that is down loses nothing: the sweep finds the rows."""
    queue = _delivery_queue
    if queue is None:
        return
    for message_id in message_ids:
        try:
            queue(message_id, delay)
        except Exception:  # the queue is an accelerator, the outbox row is the truth
            logger.exception("could not queue delivery of message %s", message_id)


def message_enqueue(
    *,
    channel: str,
    address: str,
    key: str,
    subject: str = "",
    text: str = "",
    html: str = "",
    markdown: str = "",
    payload: dict | None = None,
    headers: dict[str, str] | None = None,
    not_before: dt.datetime | None = None,
) -> tuple[Message, bool]:
    """Put a message in the outbox and queue its delivery on commit.

    Idempotent on ``key`` (the caller builds it as report kind + unit + date + recipient): a key
    already in the outbox returns that row and ``False``, and nothing is sent again.
    ``headers`` are extra e-mail headers (``List-Unsubscribe``); ``not_before`` holds the
    message back until then (quiet hours): the sweep sends it when it falls due.
    """
    key = (key or "").strip()
    if not key:
        raise TiejunError(_("A message needs an idempotency key."), field="key")
    if len(key) > KEY_MAX_LENGTH:
        raise TiejunError(_("The idempotency key is too long."), field="key")
    address = validate_address(channel, address)
    if len(address) > ADDRESS_MAX_LENGTH:
        raise TiejunError(_("The address is too long."), field="address")
    if payload is not None and not isinstance(payload, dict):
        raise TiejunError(_("The payload must be a JSON object."), field="payload")
    headers = {header_safe(k, 100): header_safe(v, 2000) for k, v in (headers or {}).items()}
    now = timezone.now()
    due = max(now, not_before) if not_before is not None else now
    existing = Message.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            message = Message.objects.create(
                channel=channel,
                address=address,
                key=key,
                subject=header_safe(subject),
                text=text,
                html=html,
                markdown=markdown,
                payload=payload,
                headers=headers,
                status=Status.PENDING,
                next_attempt_at=due,
            )
    except IntegrityError:
        # Another process queued the same key between our look and our insert.
        return Message.objects.get(key=key), False
    delay = (due - now).total_seconds()
    transaction.on_commit(lambda: _queue_delivery([message.pk], delay=delay))
    return message, True


# --- delivery -----------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """Wait before the next try after ``attempts`` failed tries: base · 2^(attempts-1), capped."""
    base = settings.NOTIFY_BACKOFF_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.NOTIFY_BACKOFF_MAX_SECONDS)


def _due(now: dt.datetime) -> Q:
    return Q(status__in=[Status.PENDING, Status.FAILED], next_attempt_at__lte=now) | Q(
        status=Status.SENDING, lease_until__lte=now
    )


def message_claim(message_id: int, *, now: dt.datetime | None = None) -> bool:
    """Take the row for sending, atomically: one UPDATE that only matches a row that is due."""
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    claimed = (
        Message.objects.filter(_due(now), pk=message_id)
        .exclude(status=Status.SENT)
        .update(status=Status.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    )
    return claimed == 1


def message_deliver(message_id: int) -> str:
    """Deliver one outbox row if it is due; return what happened: ``sent``, ``retry``,
    ``failed``, ``rate_limited`` or ``skipped`` (not due, already sent, or another worker has it).

    Deliberately not one transaction: the send is network I/O, and each state change must be
    committed on its own so a crash leaves the row in a state the sweep understands.
    """
    if not message_claim(message_id):
        return "skipped"
    message = Message.objects.get(pk=message_id)
    limit = settings.NOTIFY_RATE_LIMITS.get(message.channel, "")
    wait = rate_acquire(rate_key(message.channel, message.address), limit) if limit else 0.0
    if wait > 0:
        # Over the limit is not a failure: hand the row back, untouched but for its time.
        Message.objects.filter(pk=message_id, status=Status.SENDING).update(
            status=Status.PENDING,
            attempts=F("attempts") - 1,
            lease_until=None,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=wait),
        )
        _queue_delivery([message_id], delay=wait)
        return "rate_limited"
    try:
        provider_id = channel_for(message.channel).send(message)
    except DeliveryError as exc:
        return _record_failure(message, str(exc), retryable=exc.retryable)
    except Exception as exc:  # an adapter bug must not leave the row claimed until the lease ends
        logger.exception("delivery of message %s crashed", message_id)
        return _record_failure(message, f"{type(exc).__name__}: {exc}", retryable=is_retryable(exc))
    Message.objects.filter(pk=message_id).update(
        status=Status.SENT,
        sent_at=timezone.now(),
        provider_id=(provider_id or "")[:255],
        lease_until=None,
        next_attempt_at=None,
        last_error="",
    )
    return "sent"


def _record_failure(message: Message, error: str, *, retryable: bool) -> str:
    attempts = message.attempts  # already counts this try (the claim incremented it)
    give_up = not retryable or attempts >= settings.NOTIFY_MAX_ATTEMPTS
    delay = backoff_seconds(attempts)
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.FAILED,
        last_error=error[:2000],
        lease_until=None,
        next_attempt_at=None if give_up else timezone.now() + dt.timedelta(seconds=delay),
    )
    if give_up:
        logger.warning("message %s failed for good: %s", message.pk, error)
        return "failed"
    _queue_delivery([message.pk], delay=delay)
    return "retry"


def message_requeue_due(*, grace_seconds: float | None = None, limit: int = 1000) -> int:
    """Queue every row that is due: retries whose time has come, leases that ran out (a worker
    died mid-send) and pending rows whose task never arrived. Returns how many were queued.

    Rows that fell due less than ``grace_seconds`` ago are left alone: their task is in the
    queue. A row queued twice is harmless (the claim lets only one through)."""
    now = timezone.now()
    grace = settings.NOTIFY_SWEEP_GRACE_SECONDS if grace_seconds is None else grace_seconds
    young = now - dt.timedelta(seconds=grace)
    ids = list(
        Message.objects.filter(_due(now))
        .exclude(status__in=[Status.PENDING, Status.FAILED], next_attempt_at__gt=young)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    _queue_delivery(ids)
    return len(ids)


@transaction.atomic
def message_retry(*, ids: Iterable[int] | None = None) -> int:
    """Send failed messages again now (all failed ones, or those of ``ids``); attempts start
    over. Returns how many were re-queued."""
    rows = Message.objects.filter(status=Status.FAILED)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    picked = list(rows.values_list("id", flat=True))
    Message.objects.filter(pk__in=picked, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None
    )
    transaction.on_commit(lambda: _queue_delivery(picked))
    return len(picked)


# --- rate limits --------------------------------------------------------------------------


def parse_rate(limit: str) -> tuple[int, float]:
    """``"20/60"`` → (20 messages, per 60 seconds)."""
    count, _sep, seconds = limit.partition("/")
    return int(count), float(seconds or 60)


def rate_acquire(key: str, limit: str, *, now: dt.datetime | None = None) -> float:
    """Take one token from the bucket ``key`` (capacity and refill from ``limit``); return 0 when
    taken, otherwise the seconds until a token will be there. The bucket is a database row,
    locked for the update, so all workers share it."""
    count, seconds = parse_rate(limit)
    if count <= 0:
        return 0.0
    rate = count / seconds
    bucket_key = hashlib.sha256(key.encode()).hexdigest()
    with transaction.atomic():
        now = now or timezone.now()
        bucket, _created = RateBucket.objects.select_for_update().get_or_create(
            key=bucket_key, defaults={"tokens": float(count), "updated_at": now}
        )
        elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
        tokens = min(float(count), bucket.tokens + elapsed * rate)
        if tokens >= 1.0:
            bucket.tokens, bucket.updated_at = tokens - 1.0, now
            bucket.save(update_fields=["tokens", "updated_at"])
            return 0.0
        bucket.tokens, bucket.updated_at = tokens, now
        bucket.save(update_fields=["tokens", "updated_at"])
        return (1.0 - tokens) / rate


# --- replies --------------------------------------------------------------------------------


@transaction.atomic
def sms_replies_take(*, provider: str, replies: Iterable[Reply]) -> int:
    """Act on the replies a provider reported: each that asks to stop ("TD", "退订", "STOP")
    is announced (``signals.sms_stop_received``) for the apps that hold subscriptions, in one
    transaction. Returns how many asked to stop; other replies are only logged."""
    stops = 0
    for reply in replies:
        phone = normalise_phone(reply.phone)
        if not reply.is_stop:
            logger.info("SMS reply from %s via %s ignored (not a stop word)", phone[-4:], provider)
            continue
        stops += 1
        logger.info("SMS stop from …%s via %s", phone[-4:], provider)
        sms_stop_received.send(sender=Reply, phone=phone, text=reply.text, provider=provider)
    return stops
