import datetime as dt

import pytest
from django.utils import timezone

from tests.broadcast.conftest import DAY
from tiejun.broadcast import tasks
from tiejun.broadcast.services import subscription_create

SHANGHAI = timezone.get_fixed_timezone(8 * 60)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def subscribed(company):
    pytest.importorskip("tiejun.notify.services")
    for address in ("a@example.com", "b@example.com"):
        subscription_create(unit=company.branch, report="battle", channel="email", address=address)
    subscription_create(
        unit=company.team_a, report="kickoff", channel="email", address="k@example.com"
    )
    return company


def test_schedules_fire_only_on_working_days(subscribed, huey_now):
    from tiejun.notify.models import Message

    saturday = dt.date(2026, 11, 28)
    assert tasks.schedule_fire("battle", at(saturday, "21:00")) == 0
    assert Message.objects.count() == 0
    # on Friday each battle subscription gets its own task, which queues its message
    assert tasks.schedule_fire("battle", at(DAY, "21:00")) == 2
    keys = sorted(Message.objects.values_list("key", flat=True))
    assert len(keys) == 2 and all(k.startswith("battle:HZ:2026-11-27:email:") for k in keys)
    # firing again (a restarted scheduler) queues nothing new
    tasks.schedule_fire("battle", at(DAY, "21:00"))
    assert Message.objects.count() == 2


def test_a_company_day_off_is_skipped(subscribed, huey_now):
    from tiejun.org.models import WorkdayOverride

    WorkdayOverride.objects.create(date=DAY, is_workday=False)
    assert tasks.schedule_fire("kickoff", at(DAY, "08:30")) == 0


def test_schedule_times_come_from_settings(settings):
    settings.BATTLE_REPORT_AT = "20:15"
    assert tasks.schedule_time("battle") == (20, 15)
    assert tasks.is_due("battle", at(DAY, "20:15"))
    assert not tasks.is_due("battle", at(DAY, "21:00"))
    assert tasks.is_due("kickoff", at(DAY, settings.KICKOFF_AT))
    # Huey asks with a naive UTC time: 13:00 UTC is 21:00 in Shanghai
    settings.BATTLE_REPORT_AT = "21:00"
    if tasks.HUEY.utc:
        assert tasks.is_due("battle", dt.datetime(2026, 11, 27, 13, 0))
