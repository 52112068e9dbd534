"""The nightly personal message as a WeCom/DingTalk/Feishu app message: the accounts app tells
broadcast who is linked to which configured platform (the hook registered from its
``AppConfig.ready``), and notify's app channels send through the platforms' clients. Against the
loopback fakes."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.broadcast.conftest import DAY, company  # noqa: F401 - the broadcast company fixture
from tests.factories import client_for
from tiejun.accounts import appmessages
from tiejun.accounts.models import ExternalIdentity
from tiejun.accounts.services import link_external_id
from tiejun.broadcast.models import PersonalPreference
from tiejun.broadcast.personal import personal_message
from tiejun.broadcast.personal_apps import app_addresses, person_app_addresses
from tiejun.broadcast.renderers import render
from tiejun.broadcast.services import (
    personal_key,
    personal_preference,
    personal_preference_set,
    personal_route,
    personal_send,
)
from tiejun.errors import TiejunError
from tiejun.notify.models import Message, Status
from tiejun.notify.services import message_deliver

EVENING = timezone.make_aware(dt.datetime(2026, 11, 27, 21, 10))


@pytest.fixture
def reps(company, fake):  # noqa: F811 - the fixture imported above
    """R1 is 张三 on WeCom and chose the WeCom app; R2 has a mobile and no link."""
    appmessages.app_clients_forget()
    r1, r2 = company.reps["R1"], company.reps["R2"]
    r2.phone = "13800138002"
    r2.save(update_fields=["phone"])
    link_external_id(r1, "wecom", "zhang", by=None)
    personal_preference_set(person=r1, channel="wecom_app", by=r1)
    yield company
    appmessages.app_clients_forget()


def deliver_all() -> list[str]:
    return [
        message_deliver(pk) for pk in Message.objects.order_by("id").values_list("pk", flat=True)
    ]


def test_linked_rep_gets_one_app_message_a_night(reps, fake):
    # when the night's messages are queued and delivered, and the whole run happens again
    first = personal_send(unit=reps.team_a, day=DAY, now=EVENING)
    deliver_all()
    again = personal_send(unit=reps.team_a, day=DAY, now=EVENING)
    deliver_all()
    # then R1 got exactly one WeCom app message, the full text of their night
    assert first["queued"] >= 2 and again["queued"] == 0
    row = Message.objects.get(key=personal_key("R1", DAY))
    assert (row.channel, row.address, row.status) == ("wecom_app", "zhang", Status.SENT)
    assert [(m["platform"], m["user"]) for m in fake.state.sent] == [("wecom", "zhang")]
    assert fake.state.sent[0]["text"] == row.text and "员工R1" in row.text
    message = personal_message(reps.reps["R1"], DAY)
    assert row.text == render("personal", message.to_json(), "text", language=message.language)
    assert not Message.objects.filter(key__startswith=personal_key("R1", DAY) + "#").exists()
    # and R2, not linked, got their SMS as before
    sms = Message.objects.get(key=personal_key("R2", DAY))
    assert (sms.channel, sms.address) == ("sms", "13800138002")


def test_platform_error_is_retried_without_a_second_message(reps, fake):
    fake.state.fail_next("/cgi-bin/message/send", 50001)
    personal_send(unit=reps.team_a, day=DAY, now=EVENING)
    row = Message.objects.get(key=personal_key("R1", DAY))
    assert message_deliver(row.pk) == "retry"
    row.refresh_from_db()
    assert "WeCom message/send answered error 50001" in row.last_error
    Message.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert message_deliver(row.pk) == "sent"
    personal_send(unit=reps.team_a, day=DAY, now=EVENING)
    deliver_all()
    assert len([m for m in fake.state.sent if m["user"] == "zhang"]) == 1


def test_link_gone_at_send_time_falls_back_to_email(reps, fake):
    # given R1's WeCom link is removed after they chose the app
    ExternalIdentity.objects.filter(person=reps.reps["R1"]).delete()
    # when
    personal_send(unit=reps.team_a, day=DAY, now=EVENING)
    # then their message goes by e-mail (they have no mobile), no app message
    row = Message.objects.get(key=personal_key("R1", DAY))
    assert (row.channel, row.address) == ("email", "r1@example.com")
    deliver_all()
    assert fake.state.sent == []


def test_unconfigured_platform_is_neither_offered_nor_used(reps, settings):
    r1 = reps.reps["R1"]
    assert person_app_addresses(r1) == {"wecom_app": "zhang"}
    settings.WECOM_AGENT_ID = ""  # WeCom sign-in may work, app messages cannot
    assert person_app_addresses(r1) == {}
    assert personal_route(r1, personal_preference(r1)) == ("email", "r1@example.com")
    settings.WECOM_AGENT_ID, settings.WECOM_SECRET = "1000002", ""
    assert person_app_addresses(r1) == {}


def test_choosing_an_app_needs_a_link(reps):
    # given R2 is not linked to Feishu
    r2 = reps.reps["R2"]
    before = personal_preference(r2).channel
    # when / then
    with pytest.raises(TiejunError, match="not linked"):
        personal_preference_set(person=r2, channel="feishu_app", by=r2)
    assert personal_preference(r2).channel == before
    assert not PersonalPreference.objects.filter(person=r2).exists()  # nothing written
    link_external_id(r2, "feishu", "li", by=None)
    assert personal_preference_set(person=r2, channel="feishu_app", by=r2).channel == "feishu_app"
    assert personal_route(r2, personal_preference(r2)) == ("feishu_app", "li")


def test_a_lost_link_does_not_block_switching_off(reps):
    # given R1 chose the WeCom app, then lost the link
    r1 = reps.reps["R1"]
    ExternalIdentity.objects.filter(person=r1).delete()
    # when they switch the message off, the (kept) choice sent along as the form does
    pref = personal_preference_set(person=r1, subscribed=False, channel="wecom_app", by=r1)
    # then it is saved; choosing another app they are not linked to is still refused
    assert (pref.subscribed, pref.channel) == (False, "wecom_app")
    with pytest.raises(TiejunError):
        personal_preference_set(person=r1, channel="dingtalk_app", by=r1)


def test_my_messages_offers_only_the_linked_apps(reps):
    r1, r2 = reps.reps["R1"], reps.reps["R2"]
    page = client_for(r1).get(f"/broadcast/messages/{r1.employee_no}/").content.decode()
    assert 'value="wecom_app"' in page and 'value="feishu_app"' not in page
    page = client_for(r2).get(f"/broadcast/messages/{r2.employee_no}/").content.decode()
    assert "app" not in page.split('id="personal-channel"')[1].split("</select>")[0]


def test_form_saves_the_app_channel(reps):
    r2 = reps.reps["R2"]
    link_external_id(r2, "dingtalk", "li", by=None)
    response = client_for(r2).post(
        f"/broadcast/messages/{r2.employee_no}/",
        {"action": "personal", "subscribed": "on", "channel": "dingtalk_app"},
    )
    assert response.status_code == 302
    assert personal_preference(r2).channel == "dingtalk_app"


def test_resolver_reads_every_link_in_one_query(reps):
    people = list(reps.reps.values())
    for person, user in zip(people[1:3], ("li", "wang"), strict=True):
        link_external_id(person, "feishu", user, by=None)
    with CaptureQueriesContext(connection) as queries:
        found = app_addresses(people)
    assert len(queries) == 1
    assert {pk: set(v) for pk, v in found.items()} == {
        people[0].pk: {"wecom_app"},
        people[1].pk: {"feishu_app"},
        people[2].pk: {"feishu_app"},
    }


def test_text_too_long_for_an_app_message_goes_short(reps, monkeypatch):
    from tiejun.broadcast import services

    monkeypatch.setattr(services, "APP_TEXT_MAX_BYTES", 50)
    personal_send(unit=reps.team_a, day=DAY, now=EVENING)
    row = Message.objects.get(key=personal_key("R1", DAY))
    message = personal_message(reps.reps["R1"], DAY)
    assert row.channel == "wecom_app"
    assert row.text == render("personal", message.to_json(), "sms", language=message.language)
