"""The milestone flash of a yearly incentive milestone (issue 16, point 3)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from tests.factories import deal
from tests.incentives.conftest import STD_2026
from tiejun.broadcast.milestone_flash import year_milestone_flash_send
from tiejun.broadcast.services import subscription_create
from tiejun.incentives.models import MilestoneReached
from tiejun.incentives.services import plan_load
from tiejun.notify.models import Message

TODAY = dt.date(2026, 12, 16)


@pytest.fixture
def plan(org):
    return plan_load(data=copy.deepcopy(STD_2026))


def subscribe(unit, address, channel="email", **kw):
    return subscription_create(
        unit=unit, report="milestone", channel=channel, address=address, **kw
    )[0]


@pytest.fixture
def rep(org):
    rep = org.reps["R1"]
    rep.name = "王子涵"
    rep.save(update_fields=["name"])
    return rep


def year_flashes():
    return Message.objects.filter(key__startswith="milestone:").filter(key__contains=":year:")


def test_crossing_a_yearly_milestone_flashes_once_to_the_units_subscribers(
    org, plan, rep, huey_now, django_capture_on_commit_callbacks
):
    # given: subscribers of the rep's branch (English and Chinese, e-mail and SMS), and one of
    # another branch
    subscribe(org.branch, "hz@example.com", language="en")
    subscribe(org.team_a, "13800138000", channel="sms", language="zh-hans")
    subscribe(org.other_branch, "nb@example.com", language="en")
    # when: a deal gets the rep close, then one takes them over ¥1,000,000, then one more
    with django_capture_on_commit_callbacks(execute=True):
        deal(rep, 988600, dt.date(2026, 12, 1), today=TODAY, deal_no="Y-1")
    assert not year_flashes().exists()
    with django_capture_on_commit_callbacks(execute=True):
        deal(rep, 20000, dt.date(2026, 12, 15), today=TODAY, deal_no="Y-2")
    with django_capture_on_commit_callbacks(execute=True):
        deal(rep, 5000, dt.date(2026, 12, 16), today=TODAY, deal_no="Y-3")
    # then: once per subscriber of the rep's unit and those above, none elsewhere
    flashes = list(year_flashes().order_by("address"))
    assert sorted({m.address for m in flashes}) == ["13800138000", "hz@example.com"]
    (email,) = [m for m in flashes if m.channel == "email"]
    assert "王子涵 reached ¥1,000,000 this year — 期权 20,000 股 (plan STD-2026)" in email.text
    assert "王子涵" in email.subject and "¥1,000,000" in email.subject
    assert "期权 20,000 股" in email.html
    sms = "".join(m.text for m in flashes if m.channel == "sms")
    assert "王子涵" in sms and "¥1,000,000" in sms and "期权 20,000 股" in sms
    # and sending it again queues nothing new
    again = year_milestone_flash_send(
        person_id=rep.pk, milestone_id=MilestoneReached.objects.get().milestone_id
    )
    assert again["queued"] == 0 and again["already_queued"] == len(flashes)
    assert year_flashes().count() == len(flashes)


def test_the_flash_data_names_the_crossing_deal(
    org, plan, rep, huey_now, django_capture_on_commit_callbacks
):
    subscribe(org.branch, "https://example.com/hook", channel="webhook")
    with django_capture_on_commit_callbacks(execute=True):
        deal(rep, 600000, dt.date(2026, 5, 6), today=TODAY, deal_no="Y-A")
    with django_capture_on_commit_callbacks(execute=True):
        deal(rep, 400000, dt.date(2026, 8, 7), today=TODAY, deal_no="Y-B")
    (message,) = year_flashes()
    data = message.payload["data"]
    assert data["scope"] == "year"
    assert (data["deal_no"], data["date"], data["threshold"], data["plan"]) == (
        "Y-B",
        "2026-08-07",
        "1000000.00",
        "STD-2026",
    )
    assert data["unit"]["code"] == "HZ1"


def test_nothing_is_queued_without_milestone_subscribers(
    org, plan, rep, huey_now, django_capture_on_commit_callbacks
):
    subscription_create(
        unit=org.branch, report="win_flash", channel="email", address="w@example.com"
    )
    with django_capture_on_commit_callbacks(execute=True):
        deal(rep, 1000000, dt.date(2026, 8, 7), today=TODAY)
    assert MilestoneReached.objects.count() == 1
    assert not year_flashes().exists()


def test_the_wall_tv_shows_the_crossing_deal_as_a_milestone_flash(
    org, plan, rep, django_capture_on_commit_callbacks
):
    from tests.factories import client_for

    # given: the rep ¥11,400 short, and a screen of their team polling
    deal(rep, 988600, dt.date(2026, 11, 3), today=TODAY)
    client = client_for(org.supervisor_a)
    cursor = client.get("/tv/wins/?units=HZ1").json()["cursor"]
    # when: one deal takes them over, and another lands after it
    with django_capture_on_commit_callbacks(execute=True):
        crossing = deal(rep, 20000, TODAY, today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        later = deal(rep, 3000, TODAY, today=TODAY)
    wins = {
        w["deal_no"]: w for w in client.get(f"/tv/wins/?units=HZ1&after={cursor}").json()["wins"]
    }
    # then: the crossing deal is a milestone flash naming the threshold and the reward
    assert wins[crossing.deal_no]["kind"] == "milestone"
    assert wins[crossing.deal_no]["milestone"] == {
        "scope": "year",
        "name": "王子涵",
        "threshold": "¥1,000,000",
        "reward": "期权 20,000 股",
        "plan": "STD-2026",
    }
    assert wins[later.deal_no]["kind"] == "win" and wins[later.deal_no]["milestone"] is None
