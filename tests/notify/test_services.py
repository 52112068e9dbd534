"""The outbox end to end: enqueue → Huey (SQLite or Redis) → channel → a real server; faults."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from tiejun.errors import TiejunError
from tiejun.notify.channels import message_id_for
from tiejun.notify.models import Message, Status
from tiejun.notify.services import (
    backoff_seconds,
    message_claim,
    message_deliver,
    message_enqueue,
    message_requeue_due,
    message_retry,
    rate_acquire,
)
from tiejun.notify.worker import run_burst

pytestmark = pytest.mark.django_db

RECIPIENTS = ["r1@example.com", "r2@example.com", "r3@example.com"]


def battle(enqueue, address, **extra):
    return enqueue(
        channel="email",
        address=address,
        key=f"battle:HZ1:2025-03-05:email:{address}",
        subject="战报 HZ1 2025-03-05",
        text="今日 3 单",
        html="<h1>战报</h1>",
        **extra,
    )


def test_enqueue_then_worker_delivers_real_mail(queue, smtp, enqueue):
    # given
    for address in RECIPIENTS:
        message, created = battle(enqueue, address)
        assert created
        assert message.status == Status.PENDING
    assert queue.pending_count() == 3
    # when
    run_burst(queue)
    # then
    assert sorted(m["X-Envelope-To"] for m in smtp.mailbox.messages) == RECIPIENTS
    for row in Message.objects.all():
        assert row.status == Status.SENT
        assert row.attempts == 1
        assert row.sent_at is not None
        (mail,) = smtp.mailbox.to(row.address)
        assert mail["Message-ID"] == row.provider_id
        assert mail.get_body(("html",)).get_content().strip() == "<h1>战报</h1>"


def test_same_key_twice_is_one_row_and_one_delivery(queue, smtp, enqueue):
    first, created_first = battle(enqueue, "r1@example.com")
    run_burst(queue)
    second, created_second = battle(enqueue, "r1@example.com")
    run_burst(queue)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Message.objects.count() == 1
    assert len(smtp.mailbox.messages) == 1


def test_bad_input_queues_nothing(queue):
    with pytest.raises(TiejunError, match="not a valid e-mail"):
        message_enqueue(channel="email", address="nobody", key="k")
    with pytest.raises(TiejunError, match="Unknown channel"):
        message_enqueue(channel="fax", address="x", key="k")
    with pytest.raises(TiejunError, match="idempotency key"):
        message_enqueue(channel="email", address="a@example.com", key=" ")
    assert not Message.objects.exists()
    assert queue.pending_count() == 0


def test_smtp_refusing_then_recovering_delivers_exactly_once(queue, smtp, enqueue):
    # given SMTP answers 451 to everything
    smtp.mailbox.refuse = True
    for address in RECIPIENTS:
        battle(enqueue, address)
    # when the worker tries
    run_burst(queue)
    # then every message waits for a retry, nothing delivered
    rows = list(Message.objects.all())
    assert {r.status for r in rows} == {Status.FAILED}
    assert all(r.next_attempt_at and "451" in r.last_error and r.attempts == 1 for r in rows)
    assert smtp.mailbox.messages == []
    # and with the server gone entirely, the next round fails too
    smtp.stop()
    time.sleep(0.25)
    run_burst(queue)
    assert {r.attempts for r in Message.objects.all()} == {2}
    # when it comes back and the back-off has passed
    smtp.mailbox.refuse = False
    smtp.start()
    time.sleep(0.25)
    run_burst(queue)
    # then one delivery per recipient
    assert sorted(m["X-Envelope-To"] for m in smtp.mailbox.messages) == RECIPIENTS
    assert {r.status for r in Message.objects.all()} == {Status.SENT}
    run_burst(queue)
    assert len(smtp.mailbox.messages) == 3


def test_gives_up_after_max_attempts_then_manual_retry(queue, smtp, enqueue, settings):
    settings.NOTIFY_BACKOFF_SECONDS = settings.NOTIFY_BACKOFF_MAX_SECONDS = 0.01
    settings.NOTIFY_MAX_ATTEMPTS = 3
    smtp.mailbox.refuse = True
    message, _ = battle(enqueue, "r1@example.com")
    deadline = time.monotonic() + 10
    while Message.objects.get(pk=message.pk).next_attempt_at is not None:
        assert time.monotonic() < deadline
        run_burst(queue)
        time.sleep(0.02)
    row = Message.objects.get(pk=message.pk)
    assert (row.status, row.attempts, row.gave_up) == (Status.FAILED, 3, True)
    # a given-up row is never picked up by the sweep
    assert message_requeue_due(grace_seconds=0) == 0
    smtp.mailbox.refuse = False
    assert message_retry() == 1
    run_burst(queue)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert len(smtp.mailbox.messages) == 1


def test_permanent_error_fails_at_once(queue, http_server, enqueue):
    server = http_server(lambda r: (200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    message, _ = enqueue(
        channel="wecom", address=f"{server.url}/send?key=K", key="k-wecom", markdown="x"
    )
    run_burst(queue)
    message.refresh_from_db()
    assert message.gave_up
    assert "93000" in message.last_error
    assert len(server.requests) == 1


def test_worker_killed_mid_send_is_resent_once_lease_expires(queue, smtp, enqueue, settings):
    # given a worker claimed the row and died before recording anything
    message, _ = battle(enqueue, "r1@example.com")
    queue.flush()  # its task died with it
    assert message_claim(message.pk)
    Message.objects.filter(pk=message.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    # when the sweep runs
    run_burst(queue)
    # then it is sent, exactly once
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert len(smtp.mailbox.messages) == 1


def test_a_live_lease_is_left_alone(queue, smtp, enqueue):
    message, _ = battle(enqueue, "r1@example.com")
    queue.flush()
    assert message_claim(message.pk)  # another worker is sending it right now
    assert message_deliver(message.pk) == "skipped"
    run_burst(queue)
    assert smtp.mailbox.messages == []
    assert Message.objects.get(pk=message.pk).status == Status.SENDING


def test_a_sent_row_is_never_sent_again(queue, smtp, enqueue):
    message, _ = battle(enqueue, "r1@example.com")
    run_burst(queue)
    for _ in range(3):
        assert message_deliver(message.pk) == "skipped"
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert not message_claim(message.pk)
    assert len(smtp.mailbox.messages) == 1


def test_rate_limit_reschedules_instead_of_failing(queue, http_server, enqueue, settings):
    # given a robot that allows two messages a minute
    settings.NOTIFY_RATE_LIMITS = {**settings.NOTIFY_RATE_LIMITS, "wecom": "2/60"}
    server = http_server(lambda r: (200, {"errcode": 0, "errmsg": "ok"}))
    url = f"{server.url}/cgi-bin/webhook/send?key=ROBOT"
    for n in range(3):
        enqueue(channel="wecom", address=url, key=f"win:{n}", markdown=f"喜报 {n}")
    # when
    run_burst(queue)
    # then two went, the third waits its turn (not failed, no attempt counted)
    assert len(server.requests) == 2
    waiting = Message.objects.exclude(status=Status.SENT).get()
    assert waiting.status == Status.PENDING
    assert waiting.attempts == 0
    assert waiting.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    # a different robot has its own bucket
    other = f"{server.url}/cgi-bin/webhook/send?key=OTHER"
    enqueue(channel="wecom", address=other, key="win:other", markdown="x")
    run_burst(queue)
    assert len(server.requests) == 3
    # when its time comes it goes
    Message.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    settings.NOTIFY_RATE_LIMITS = {**settings.NOTIFY_RATE_LIMITS, "wecom": "2/0.001"}
    run_burst(queue)
    assert Message.objects.filter(status=Status.SENT).count() == 4


def test_token_bucket_refills():
    start = timezone.now()
    assert rate_acquire("k", "2/60", now=start) == 0
    assert rate_acquire("k", "2/60", now=start) == 0
    wait = rate_acquire("k", "2/60", now=start)
    assert wait == pytest.approx(30)
    assert rate_acquire("k", "2/60", now=start + dt.timedelta(seconds=31)) == 0


def test_backoff_doubles_and_is_capped(settings):
    settings.NOTIFY_BACKOFF_SECONDS = 30
    settings.NOTIFY_BACKOFF_MAX_SECONDS = 3600
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(20) == 3600


def test_a_lost_task_is_found_by_the_sweep(queue, smtp, enqueue, settings):
    battle(enqueue, "r1@example.com")
    queue.flush()  # the queue lost the task (e.g. Redis restarted without persistence)
    settings.NOTIFY_SWEEP_GRACE_SECONDS = 3600
    assert message_requeue_due() == 0  # still young: its task is presumably on its way
    assert message_requeue_due(grace_seconds=0) == 1
    run_burst(queue)
    assert len(smtp.mailbox.messages) == 1


def test_queue_down_at_enqueue_loses_nothing(smtp, enqueue, fast_outbox, tmp_path):
    from huey.contrib.djhuey import HUEY
    from huey.storage import PriorityRedisStorage, SqliteStorage

    original = HUEY.storage
    HUEY.storage = PriorityRedisStorage(name="tj-down", url="redis://127.0.0.1:1/0")
    try:
        message, created = battle(enqueue, "r1@example.com")
    finally:
        HUEY.storage = SqliteStorage(name="tj-up", filename=str(tmp_path / "q.sqlite3"))
    try:
        assert created
        assert Message.objects.get(pk=message.pk).status == Status.PENDING
        run_burst(HUEY)
        assert len(smtp.mailbox.messages) == 1
    finally:
        HUEY.storage = original


def test_a_subject_with_a_newline_is_sent_on_one_line(queue, smtp, enqueue):
    # given a win flash whose rep's name carries a line break
    message, _ = enqueue(
        channel="email",
        address="r1@example.com",
        key="win:HZ1:2025-03-05:W-1:r1",
        subject="Win flash: 张三\nBcc: evil@example.com won 5,000",
        text="t",
    )
    # when the worker runs
    run_burst(queue)
    # then it goes at the first attempt, with a one-line subject
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)
    (mail,) = smtp.mailbox.messages
    assert mail["Subject"].strip() == "Win flash: 张三 Bcc: evil@example.com won 5,000"
    assert mail["Bcc"] is None
    assert mail["X-Envelope-To"] == "r1@example.com"


def test_a_message_that_can_never_be_sent_fails_at_once(queue, smtp, settings):
    # given a row whose address cannot be a header (written before addresses were checked)
    message = Message.objects.create(
        channel="email",
        address="r1@example.com\nBcc: evil@example.com",
        key="battle:HZ1:2025-03-05:bad",
        subject="s",
        text="t",
        next_attempt_at=timezone.now(),
    )
    # when it is delivered
    assert message_deliver(message.pk) == "failed"
    run_burst(queue)
    # then it gave up at the first attempt instead of ten, and nothing was sent
    message.refresh_from_db()
    assert message.gave_up and message.attempts == 1
    assert smtp.mailbox.messages == []


def test_a_redelivered_mail_carries_the_same_message_id(queue, smtp, enqueue):
    # given a mail the server accepted, and a worker that died before recording it
    message, _ = battle(enqueue, "r1@example.com")
    run_burst(queue)
    Message.objects.filter(pk=message.pk).update(
        status=Status.SENDING, lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    # when the sweep sends it again
    run_burst(queue)
    # then the receiver got two copies it can fold into one: the same Message-ID
    first, second = smtp.mailbox.messages
    assert first["Message-ID"] == second["Message-ID"] == message_id_for(message.key)
    assert Message.objects.get(pk=message.pk).provider_id == first["Message-ID"]
