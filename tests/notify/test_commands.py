"""``tiejun outbox`` and ``tiejun worker --burst`` in process."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tiejun.notify.models import Message, Status

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_outbox_lists_and_retries_failed(queue, smtp, enqueue, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    smtp.mailbox.refuse = True
    enqueue(channel="email", address="r1@example.com", key="battle:HZ1:r1", subject="s", text="t")
    enqueue(
        channel="dingtalk",
        address="http://127.0.0.1:9/robot/send?access_token=T#secret=SECRET",
        key="battle:HZ1:robot",
        text="t",
    )
    Message.objects.filter(key="battle:HZ1:robot").update(status=Status.SENT)
    run("worker", "--burst", "--workers", "1")
    listing = run("outbox")
    assert "battle:HZ1:r1" in listing
    assert "battle:HZ1:robot" in listing
    assert "SECRET" not in listing  # a robot's secret is never printed
    failed = run("outbox", "--failed")
    assert "battle:HZ1:r1" in failed
    assert "451" in failed
    assert "battle:HZ1:robot" not in failed
    # when the server is back, --retry sends it
    smtp.mailbox.refuse = False
    assert "1 failed messages re-queued" in run("outbox", "--retry")
    assert "nothing is due" in run("worker", "--burst", "--workers", "1")
    assert Message.objects.get(key="battle:HZ1:r1").status == Status.SENT
    assert len(smtp.mailbox.messages) == 1
    assert run("outbox", "--limit", "1").count("\n") == 2  # header + one row
