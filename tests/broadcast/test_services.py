import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from tests.broadcast.conftest import DAY, set_target
from tests.factories import deal
from tiejun.broadcast.models import Milestone, Subscription
from tiejun.broadcast.services import report_send, subscription_create
from tiejun.errors import TiejunError

notify_models = pytest.importorskip("tiejun.notify.models")
Message = notify_models.Message


def subscribe(unit, report, address, channel="email", **kw):
    return subscription_create(unit=unit, report=report, channel=channel, address=address, **kw)[0]


@pytest.fixture
def flash_subscribers(org):
    subscribe(org.team_a, "win_flash", "hz1@example.com")
    subscribe(org.branch, "win_flash", "hz@example.com")
    subscribe(org.company, "win_flash", "hq@example.com")
    subscribe(org.other_branch, "win_flash", "nb@example.com")
    subscribe(org.team_b, "win_flash", "hz2@example.com")
    subscribe(org.team_a, "battle", "battle@example.com")  # not a flash
    return org


def flashed() -> list[str]:
    return sorted(m.address for m in Message.objects.filter(key__startswith="win_flash:"))


def test_win_flash_goes_to_the_reps_unit_and_every_unit_above(
    flash_subscribers, huey_now, django_capture_on_commit_callbacks
):
    # when: a deal is recorded through the service
    with django_capture_on_commit_callbacks(execute=True):
        deal(flash_subscribers.reps["R1"], 8000, DAY, deal_no="F-1")
    # then
    assert flashed() == ["hq@example.com", "hz1@example.com", "hz@example.com"]
    message = Message.objects.get(address="hz1@example.com")
    assert (
        "F-1" in message.key
        and "2026-11-27" in message.key
        and message.key.startswith("win_flash:HZ1:")
    )
    assert "员工R1" in message.subject and "<table" in message.html and "¥8,000.00" in message.text
    # delivered through the outbox to the (test) mail server
    assert sorted(a for m in mail.outbox for a in m.to) == flashed()


def test_win_flash_respects_the_minimum_amounts(
    flash_subscribers, huey_now, settings, django_capture_on_commit_callbacks
):
    settings.WIN_FLASH_MIN_AMOUNT = "1000"
    Subscription.objects.filter(address="hq@example.com").update(min_amount=Decimal(5000))
    with django_capture_on_commit_callbacks(execute=True):
        deal(flash_subscribers.reps["R1"], 999, DAY, deal_no="F-small")
        deal(flash_subscribers.reps["R1"], 3000, DAY, deal_no="F-mid")
    assert flashed() == ["hz1@example.com", "hz@example.com"]
    assert all("F-mid" in m.key for m in Message.objects.all())


def test_win_flash_from_the_api(
    flash_subscribers, huey_now, client, django_capture_on_commit_callbacks
):
    client.force_login(flash_subscribers.reps["R3"])
    body = {
        "deal_no": "API-1",
        "employee_no": "R3",
        "customer_code": "C-API",
        "customer_name": "接口客户",
        "amount": "4200",
        "won_date": DAY.isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/deals", body, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    assert flashed() == ["hq@example.com", "hz2@example.com", "hz@example.com"]


def test_win_flash_from_an_import(flash_subscribers, huey_now, django_capture_on_commit_callbacks):
    """An import never flashes per row: one summary per win-flash subscription (issue 12)."""
    from tiejun.imports.services import run_import

    data = (
        "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel\n"
        f"IMP-1,R5,C-I1,导入客户,6000,{DAY},visit\n"
        f"IMP-2,R2,C-I2,导入客户二,7000,{DAY},salon\n"
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import("deals", data, "deals.csv", today=DAY)
    assert result.ok, result.errors
    assert flashed() == []
    summaries = sorted(
        (m.address, m.text) for m in Message.objects.filter(key__startswith="import_summary:")
    )
    assert [a for a, _t in summaries] == [
        "hq@example.com",
        "hz1@example.com",
        "hz@example.com",
        "nb@example.com",
    ]
    assert "¥13,000.00" in dict(summaries)["hq@example.com"]


def test_no_subscriber_no_task(org, django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr("tiejun.broadcast.tasks.win_flash_task", calls.append)
    with django_capture_on_commit_callbacks(execute=True):
        deal(org.reps["R1"], 8000, DAY)
    assert calls == []


def test_milestones_are_announced_once(org, huey_now, django_capture_on_commit_callbacks):
    # given: R1's target 10,000 and R2's 5,000: team HZ1's target is their 15,000
    set_target(org, "R1", 10000)
    set_target(org, "R2", 5000)
    subscribe(org.branch, "milestone", "ms@example.com")
    subscribe(org.other_branch, "milestone", "nb-ms@example.com")
    # when: R1 reaches the target, goes beyond, then R2 gets the team over the line
    with django_capture_on_commit_callbacks(execute=True):
        deal(org.reps["R1"], 9000, dt.date(2026, 11, 20), deal_no="M-1")
    assert Milestone.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        deal(org.reps["R1"], 1000, dt.date(2026, 11, 24), deal_no="M-2")
        deal(org.reps["R1"], 1000, dt.date(2026, 11, 25), deal_no="M-3")
    assert [(m.person_id, m.deal_no) for m in Milestone.objects.all()] == [
        (org.reps["R1"].pk, "M-2")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        deal(org.reps["R2"], 5000, dt.date(2026, 11, 26), deal_no="M-4")
    # then: R1 once, R2 once, team HZ1 once; the units above have no target of their own, so
    # theirs is HZ1's 15,000 and they reach it too. The subscriber of HZ hears of the four below
    # and at HZ, not of ZJ and HQ above it.
    rows = sorted(
        (m.person_id or 0, m.unit.code if m.unit else "", m.deal_no)
        for m in Milestone.objects.select_related("unit")
    )
    assert rows == [
        (0, "HQ", "M-4"),
        (0, "HZ", "M-4"),
        (0, "HZ1", "M-4"),
        (0, "ZJ", "M-4"),
        (org.reps["R1"].pk, "", "M-2"),
        (org.reps["R2"].pk, "", "M-4"),
    ]
    messages = Message.objects.filter(key__startswith="milestone:")
    assert sorted(m.address for m in messages) == ["ms@example.com"] * 4
    assert any("员工R1" in m.subject for m in messages)


def test_report_send_queues_once_per_subscriber(company):
    subscribe(company.branch, "battle", "a@example.com")
    subscribe(company.branch, "battle", "13800138000", channel="sms")
    subscribe(company.branch, "battle", "https://example.com/hook", channel="webhook")
    subscribe(company.branch, "kickoff", "k@example.com")
    Subscription.objects.create(
        unit=company.branch,
        report="battle",
        channel="email",
        address="off@example.com",
        active=False,
    )
    first = report_send(kind="battle", unit=company.branch, day=DAY)
    assert first["subscribers"] == 3 and first["already_queued"] == 0
    sms = Message.objects.filter(channel="sms")
    assert first["queued"] == 2 + sms.count()
    assert all(len(m.text) <= 70 for m in sms)
    webhook = Message.objects.get(channel="webhook")
    assert webhook.payload["data"]["unit"]["code"] == "HZ"
    again = report_send(kind="battle", unit=company.branch, day=DAY)
    assert again["queued"] == 0 and again["already_queued"] == first["queued"]
    assert Message.objects.count() == first["queued"]


def test_subscription_rules(org):
    with pytest.raises(TiejunError, match="unknown report"):
        subscribe(org.branch, "weekly", "a@example.com")
    with pytest.raises(TiejunError):
        subscribe(org.branch, "battle", "a@example.com", channel="fax")
    with pytest.raises(TiejunError):
        subscribe(org.branch, "battle", "not-an-address")
    row = subscribe(org.branch, "battle", "a@example.com")
    row.active = False
    row.save()
    again, created = subscription_create(
        unit=org.branch, report="battle", channel="email", address="a@example.com"
    )
    assert again.pk == row.pk and not created and again.active
