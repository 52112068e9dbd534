"""The nightly personal message: what it says, and how it is sent (once a day, quiet hours,
opt-out, the rep's own channel and language)."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.broadcast.conftest import DAY, set_target
from tests.factories import deal
from tiejun.broadcast.models import Mood, PersonalLine, PersonalPreference
from tiejun.broadcast.personal import choose_mood, personal_message, personal_messages
from tiejun.broadcast.renderers import render, sms_join, sms_segments
from tiejun.broadcast.services import (
    personal_key,
    personal_preference_set,
    personal_send,
    quiet_until,
)
from tiejun.crm.models import Customer
from tiejun.notify.models import Message

EVENING = timezone.make_aware(dt.datetime(2026, 11, 27, 21, 10))


def run(*args) -> str:
    out = StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def team(company):
    """HZ1 gets a third rep, R6, who reaches the target today; R2 has a mobile number."""
    from tests.factories import person

    company.reps["R6"] = person("R6", company.team_a, name="赵小兰")
    set_target(company, "R6", 4000)
    deal(company.reps["R6"], 1500, dt.date(2026, 11, 5), deal_no="W-7")
    deal(company.reps["R6"], 3000, DAY, customer="K-6", deal_no="W-8")
    r2 = company.reps["R2"]
    r2.phone = "13800138002"
    r2.save(update_fields=["phone"])
    return company


def test_message_figures(team):
    # given R1: target 10,000, done 11,000 (5,000 today); R2: 3,000 of 20,000
    message = personal_message(team.reps["R2"], DAY)
    data = message.to_json()
    # then
    assert data["person"] == {"employee_no": "R2", "name": "员工R2"}
    assert data["unit"]["code"] == "HZ1"
    assert (data["target"], data["achieved"], data["today"]) == ("20000.00", "3000.00", "3000.00")
    assert data["remaining"] == "17000.00"
    # one working day left after the 27th: all of it is needed tomorrow
    assert data["working_days"] == {"total": 21, "elapsed": 20, "remaining": 1}
    assert data["required_daily"] == "17000.00"
    assert data["pace"] == "behind" and data["mood"] == "behind"
    assert data["forecast"]["next_workday"] == "2026-11-30"
    # R1 (6,000 + 5,000 today of 10,000) and R6 reached the target today, the larger first;
    # nobody else of HZ1 is below the target
    assert data["reached_today"] == [
        {"employee_no": "R1", "name": "员工R1"},
        {"employee_no": "R6", "name": "赵小兰"},
    ]
    assert data["closest"] == []
    assert data["line"]


def test_same_message_alone_or_with_the_branch(team):
    alone = personal_message(team.reps["R2"], DAY).to_json()
    batch = {m.person.employee_no: m.to_json() for m in personal_messages(team.branch, DAY)}
    assert set(batch) == {"R1", "R2", "R3", "R4", "R6"}
    assert batch["R2"] == alone


def test_closest_peer_and_reached_mood(team):
    data = personal_message(team.reps["R6"], DAY).to_json()
    assert data["mood"] == "reached"
    assert [p["employee_no"] for p in data["closest"]] == ["R2"]
    assert data["closest"][0]["remaining"] == "17000.00"


@pytest.mark.parametrize(
    ("target", "achieved", "today", "pace", "probability", "mood"),
    [
        (Decimal(100), Decimal(100), Decimal(0), "ahead", 1.0, Mood.REACHED),
        (Decimal(100), Decimal(60), Decimal(0), "ahead", 0.2, Mood.AHEAD),
        (Decimal(100), Decimal(10), Decimal(0), "behind", 0.7, Mood.ON_TRACK),
        (Decimal(100), Decimal(10), Decimal(0), "behind", 0.1, Mood.BEHIND),
        (None, Decimal(10), Decimal(5), None, None, Mood.AHEAD),
        (None, Decimal(0), Decimal(0), None, None, Mood.BEHIND),
    ],
)
def test_mood(target, achieved, today, pace, probability, mood):
    assert (
        choose_mood(
            target=target, achieved=achieved, today=today, pace=pace, probability=probability
        )
        == mood
    )


def test_behind_gets_the_customers_due_for_a_revisit(team):
    # given two of R2's customers, one never visited (due), one touched yesterday (not due)
    Customer.objects.create(
        code="V-1", name="杭州西湖茶业有限公司", owner=team.reps["R2"], priority="A"
    )
    Customer.objects.create(
        code="V-2", name="杭州滨江科技", owner=team.reps["R2"], last_activity_on=DAY
    )
    data = personal_message(team.reps["R2"], DAY).to_json()
    names = [c["name"] for c in data["revisit"]]
    assert "杭州西湖茶业有限公司" in names and "杭州滨江科技" not in names
    text = render("personal", data, "text", language="zh-hans")
    assert "杭州西湖茶业有限公司" in text


def test_admin_line_in_the_reps_language(team):
    PersonalLine.objects.create(
        mood=Mood.BEHIND, language="zh-hans", text="{name}，加油！明天见分晓。"
    )
    PersonalLine.objects.create(mood=Mood.BEHIND, language="en", text="Go, {name}!")
    r2 = team.reps["R2"]
    r2.language = "zh-hans"
    r2.save(update_fields=["language"])
    assert personal_message(r2, DAY).line == "员工R2，加油！明天见分晓。"
    r2.language = "en"
    r2.save(update_fields=["language"])
    message = personal_message(r2, DAY)
    assert message.line == "Go, 员工R2!"
    assert "Remaining" in render("personal", message.to_json(), "text", language="en")


def test_sms_fits_and_reads_whole(team):
    data = personal_message(team.reps["R2"], DAY).to_json()
    short = render("personal", data, "sms", language="zh-hans")
    segments = sms_segments(short)
    assert all(len(s) <= 70 for s in segments)
    assert sms_join(segments) == short
    assert "¥17,000" in short and "员工R1" in short


# --- sending -------------------------------------------------------------------------------


def test_send_once_a_day_on_the_reps_channel(team):
    # given R2 has a mobile (SMS by default), the others only e-mail; R3 opted out
    personal_preference_set(person=team.reps["R3"], subscribed=False, by=team.reps["R3"])
    # when
    first = personal_send(unit=team.branch, day=DAY, now=EVENING)
    again = personal_send(unit=team.branch, day=DAY, now=EVENING)
    # then
    assert (first["reps"], first["unsubscribed"]) == (5, 1)
    assert first["queued"] >= 4 and again["queued"] == 0
    assert again["already_queued"] == 4
    keys = set(Message.objects.values_list("key", flat=True))
    assert personal_key("R3", DAY) not in keys
    sms = Message.objects.get(key=personal_key("R2", DAY))
    assert sms.channel == "sms" and sms.address == "13800138002"
    mail = Message.objects.get(key=personal_key("R1", DAY))
    assert mail.channel == "email" and mail.address == "r1@example.com"
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.headers["List-Unsubscribe"].startswith("<http")
    assert "/broadcast/unsubscribe/" in mail.text and "/broadcast/unsubscribe/" in mail.html


def test_changing_channel_does_not_send_twice(team):
    personal_send(unit=team.team_a, day=DAY, now=EVENING)
    personal_preference_set(person=team.reps["R2"], channel="email", by=team.reps["R2"])
    result = personal_send(unit=team.team_a, day=DAY, now=EVENING)
    assert result["queued"] == 0
    assert Message.objects.filter(key__startswith=personal_key("R2", DAY)).count() >= 1
    assert not Message.objects.filter(channel="email", address="r2@example.com").exists()


def test_quiet_hours_hold_the_message(team, settings):
    # given a send that runs late at night (the clock of the outbox is the real one, so the
    # night is tomorrow's)
    settings.QUIET_HOURS = "22:00-08:00"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    late = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(23, 30)))
    # when
    personal_send(unit=team.team_a, day=DAY, now=late)
    # then it waits in the outbox until the quiet hours end, and is not handed to a worker
    row = Message.objects.get(key=personal_key("R1", DAY))
    morning = timezone.make_aware(
        dt.datetime.combine(tomorrow + dt.timedelta(days=1), dt.time(8, 0))
    )
    assert row.next_attempt_at == morning and row.status == "pending"
    # and outside them it is due at once
    personal_send(unit=team.team_b, day=DAY, now=EVENING)
    assert Message.objects.get(key=personal_key("R3", DAY)).next_attempt_at <= timezone.now()


@pytest.mark.parametrize(
    ("spec", "hour", "until"),
    [
        ("22:00-08:00", 23, (2026, 11, 28, 8)),
        ("22:00-08:00", 3, (2026, 11, 27, 8)),
        ("22:00-08:00", 21, None),
        ("12:00-14:00", 13, (2026, 11, 27, 14)),
        ("", 23, None),
        ("nonsense", 23, None),
    ],
)
def test_quiet_until(settings, spec, hour, until):
    settings.QUIET_HOURS = spec
    now = timezone.make_aware(dt.datetime(2026, 11, 27, hour, 30))
    expected = None if until is None else timezone.make_aware(dt.datetime(*until))
    assert quiet_until(now) == expected


# --- the command ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "sms", "json"])
def test_command_renders_one_rep(team, fmt):
    out = run("personal", "R2", "--date", DAY.isoformat(), "--format", fmt)
    if fmt == "json":
        assert json.loads(out)["remaining"] == "17000.00"
    elif fmt == "sms":
        assert all(len(line) <= 70 for line in out.splitlines())
        assert "¥17,000" in sms_join(out.splitlines())
    else:
        assert "¥17,000" in out and "员工R1" in out and "赵小兰" in out


def test_command_send(team):
    first = json.loads(run("send", "personal", "HZ1", "--date", DAY.isoformat()))
    assert first["reps"] == 3 and first["queued"] >= 3
    again = json.loads(run("send", "personal", "HZ1", "--date", DAY.isoformat()))
    assert again["queued"] == 0 and again["already_queued"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["personal", "NOPE", "--date", "2026-11-27"], "unknown employee NOPE"),
        (["personal", "R2", "--date", "2026-13-01"], "--date must be a date"),
        (["personal", "R2", "--date", "2026-11-27", "--format", "html"], "unknown format html"),
        (["personal", "M1", "--date", "2026-11-27"], "in no team"),
        (["send", "personal", "NOPE", "--date", "2026-11-27"], "unknown unit NOPE"),
    ],
)
def test_command_bad_input(team, args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert message in str(caught.value) and caught.value.returncode == 2
    assert not Message.objects.exists()


def test_preference_default_is_subscribed(team):
    assert not PersonalPreference.objects.exists()
    pref = personal_preference_set(person=team.reps["R1"], channel="email", by=team.reps["R1"])
    assert pref.subscribed and pref.channel == "email"


def test_queries_do_not_grow_with_the_reps(team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import person

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            found = personal_messages(team.branch, DAY)
        assert found
        return len(queries)

    before = count()
    # given three more reps with targets, deals and customers
    for no in ("R7", "R8", "R9"):
        team.reps[no] = person(no, team.team_b)
        set_target(team, no, 9000)
        deal(team.reps[no], 1200, DAY, deal_no=f"Q-{no}")
        Customer.objects.create(code=f"Q-{no}", name=f"客户{no}", owner=team.reps[no])
    # then the same number of queries composes every message
    assert count() == before


def test_admin_template_is_used(team):
    from tiejun.broadcast.models import ReportTemplate

    ReportTemplate.objects.create(
        kind="personal",
        format="sms",
        language="",
        body="{% load tiejun_web %}{{ r.person.name }}：还差 {{ r.remaining|money:0 }}，{{ r.line }}",
    )
    data = personal_message(team.reps["R2"], DAY).to_json()
    assert render("personal", data, "sms", language="zh-hans").startswith("员工R2：还差 ¥17,000，")
    # the other formats keep the shipped templates
    assert "¥17,000" in render("personal", data, "text", language="zh-hans")


def test_preview_page_queries_do_not_grow_with_the_team(team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import client_for, person

    client = client_for(team.supervisor_a)
    url = f"/broadcast/personal/R2/?date={DAY}"
    client.get(url)  # warm: the session and the calendar

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    for no in ("R7", "R8", "R9", "R10"):
        team.reps[no] = person(no, team.team_a)
        set_target(team, no, 9000)
        deal(team.reps[no], 800, DAY, deal_no=f"P-{no}")
    assert count() == before
