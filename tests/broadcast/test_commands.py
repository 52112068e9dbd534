import json

import pytest
from django.core.management import CommandError, call_command

from tests.broadcast.conftest import DAY
from tiejun.broadcast.renderers import sms_join
from tiejun.broadcast.services import subscription_create


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_report_json(company):
    data = json.loads(run("battle", "HZ", "--date", DAY.isoformat(), "--format", "json"))
    assert data["unit"]["code"] == "HZ" and data["achieved"] == "17500.00"


@pytest.mark.parametrize("fmt", ["html", "text", "markdown", "sms"])
def test_report_formats(company, fmt):
    out = run("battle", "HZ1", "--date", DAY.isoformat(), "--format", fmt)
    assert "杭州一组" in out
    if fmt == "sms":
        lines = out.splitlines()
        assert all(len(line) <= 70 for line in lines)
        assert "杭州一组" in sms_join(lines)


@pytest.mark.parametrize("kind", ["kickoff", "review"])
def test_rhythm_reports(company, kind):
    pytest.importorskip("tiejun.rhythm.selectors")
    data = json.loads(run(kind, "HZ1", "--date", DAY.isoformat(), "--format", "json"))
    assert data["unit"]["code"] == "HZ1"


def test_report_send_is_idempotent(company):
    pytest.importorskip("tiejun.notify.services")
    from tiejun.notify.models import Message

    for address in ("a@example.com", "b@example.com"):
        subscription_create(unit=company.branch, report="battle", channel="email", address=address)
    first = json.loads(run("send", "battle", "HZ", "--date", DAY.isoformat()))
    assert (first["subscribers"], first["queued"], first["already_queued"]) == (2, 2, 0)
    again = json.loads(run("send", "battle", "HZ", "--date", DAY.isoformat()))
    assert (again["queued"], again["already_queued"]) == (0, 2)
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["battle", "NOPE", "--date", "2026-11-27"], "unknown unit NOPE"),
        (["weekly", "HZ", "--date", "2026-11-27"], "unknown report weekly"),
        (["send", "weekly", "HZ", "--date", "2026-11-27"], "unknown report weekly"),
        (["send", "battle", "NOPE", "--date", "2026-11-27"], "unknown unit NOPE"),
        (["battle", "HZ", "--date", "2026-11-27", "--format", "pdf"], "unknown format pdf"),
        (["battle", "HZ", "--date", "27/11/2026"], "--date must be a date"),
        (["battle"], "usage"),
    ],
)
def test_bad_input_exits_2_and_queues_nothing(org, args, message):
    subscription_create(unit=org.branch, report="battle", channel="email", address="a@example.com")
    with pytest.raises(CommandError, match=message) as caught:
        run(*args)
    assert caught.value.returncode == 2
    from tiejun.notify.models import Message

    assert Message.objects.count() == 0
