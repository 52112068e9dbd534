"""The daily report reminder: a Huey schedule on working days queuing one e-mail per unfiled rep."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.field.reports_setup import DAY, at
from tiejun.field import tasks
from tiejun.field.services.reports import daily_report_save
from tiejun.notify.models import Message
from tiejun.org.selectors import work_calendar

pytestmark = pytest.mark.django_db

SUNDAY = dt.date(2026, 11, 29)


def test_reminder_queues_one_email_per_unfiled_rep_once(org, django_assert_num_queries):
    # given: R1 filed, R2 only saved a draft, R5 has no e-mail address
    daily_report_save(
        person=org.reps["R1"], day=DAY, texts={"visited": "x"}, submit=True, now=at(DAY, "18:00")
    )
    daily_report_save(person=org.reps["R2"], day=DAY, texts={"visited": "x"}, now=at(DAY, "18:00"))
    org.reps["R5"].email = ""
    org.reps["R5"].save()
    # when: the schedule fires at 19:00 on a working day
    with django_assert_num_queries(14):
        queued = tasks.reminder_fire(at(DAY, "19:00"))
    # then: R2, R3, R4 get one e-mail each; not R1 (filed), R5 (no address), leaders
    messages = list(Message.objects.order_by("address"))
    assert queued == 3
    assert [m.address for m in messages] == ["r2@example.com", "r3@example.com", "r4@example.com"]
    assert {m.channel for m in messages} == {"email"}
    assert messages[0].key == "daily_report_reminder:R2:2026-11-25"
    assert "2026-11-25" in messages[0].subject and "20:00" in messages[0].text
    # a second run queues nothing new
    assert tasks.reminder_fire(at(DAY, "19:00")) == 0
    assert Message.objects.count() == 3


def test_no_reminder_on_a_day_off(org):
    assert not work_calendar().is_workday(SUNDAY)
    assert tasks.reminder_fire(at(SUNDAY, "19:00")) == 0
    assert Message.objects.count() == 0


def test_the_schedule_runs_at_the_due_time_minus_the_lead_time(settings):
    settings.DAILY_REPORT_DUE = "20:30"
    settings.DAILY_REPORT_REMIND_BEFORE = 45
    assert tasks.reminder_is_due(at(DAY, "19:45"))
    assert not tasks.reminder_is_due(at(DAY, "19:46"))
    assert not tasks.reminder_is_due(at(DAY, "20:30"))
    # Huey's naive UTC clock: 11:45 UTC is 19:45 in Shanghai
    naive_utc = dt.datetime(2026, 11, 25, 11, 45)
    assert tasks.reminder_is_due(naive_utc) == tasks.HUEY.utc


def test_reminder_follows_the_person_language(org):
    org.reps["R2"].language = "zh-hans"
    org.reps["R2"].save()
    tasks.reminder_fire(at(DAY, "19:00"))
    english = Message.objects.get(key="daily_report_reminder:R3:2026-11-25")
    chinese = Message.objects.get(key="daily_report_reminder:R2:2026-11-25")
    assert english.subject.startswith("Reminder")
    assert chinese.text  # translated when the lead adds the catalogue; never empty
