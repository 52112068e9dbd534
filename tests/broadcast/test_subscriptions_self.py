"""People manage their own messages: the card on their page, the preview for their supervisor,
the signed unsubscribe link of every e-mail (RFC 8058 one-click) and "TD" replies to SMS."""

import datetime as dt
import json
from urllib.parse import parse_qsl

import pytest
from django.utils import timezone

from tests.broadcast.conftest import DAY
from tests.factories import client_for
from tiejun.audit.models import AuditEntry
from tiejun.broadcast import tasks
from tiejun.broadcast.models import PersonalPreference, Subscription
from tiejun.broadcast.services import (
    personal_key,
    personal_send,
    report_send,
    subscription_create,
    unsubscribe_token,
)
from tiejun.notify.inbound import twilio_signature
from tiejun.notify.models import Message

EVENING = timezone.make_aware(dt.datetime(2026, 11, 27, 21, 10))


@pytest.fixture
def mobile(company):
    r1 = company.reps["R1"]
    r1.phone = "13800138001"
    r1.save(update_fields=["phone"])
    return company


# --- the card on a person's page -----------------------------------------------------------


def test_rep_unsubscribes_on_their_page(mobile):
    client = client_for(mobile.reps["R1"])
    page = client.get("/people/R1/")
    assert b'hx-get="/broadcast/messages/R1/"' in page.content
    card = client.get("/broadcast/messages/R1/")
    assert b"data-personal-subscribed" in card.content and b"checked" in card.content
    # when they switch it off
    response = client.post(
        "/broadcast/messages/R1/", {"action": "personal", "channel": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    # then nothing goes to them, and the trail says who did it
    assert PersonalPreference.objects.get(person=mobile.reps["R1"]).subscribed is False
    assert personal_send(unit=mobile.team_a, day=DAY, now=EVENING)["unsubscribed"] == 1
    assert not Message.objects.filter(key__startswith=personal_key("R1", DAY)).exists()
    entry = AuditEntry.objects.filter(object_type="personal_preference").latest("id")
    assert entry.actor_id == mobile.reps["R1"].pk


def test_rep_chooses_email_and_cannot_choose_what_they_lack(mobile):
    client = client_for(mobile.reps["R2"])  # R2 has no mobile number
    client.post(
        "/broadcast/messages/R2/", {"action": "personal", "subscribed": "on", "channel": "sms"}
    )
    assert not PersonalPreference.objects.filter(person=mobile.reps["R2"], channel="sms").exists()
    client.post(
        "/broadcast/messages/R1/", {"action": "personal", "subscribed": "on", "channel": "sms"}
    )
    client_for(mobile.reps["R1"]).post(
        "/broadcast/messages/R1/", {"action": "personal", "subscribed": "on", "channel": "email"}
    )
    personal_send(unit=mobile.team_a, day=DAY, now=EVENING)
    assert Message.objects.get(key=personal_key("R1", DAY)).channel == "email"


def test_nobody_changes_someone_elses_messages(mobile):
    # a supervisor sees the state and the preview link, but cannot switch it; a peer sees nothing
    supervisor = client_for(mobile.supervisor_a)
    card = supervisor.get("/broadcast/messages/R1/")
    assert b"/broadcast/personal/R1/" in card.content and b"data-personal" not in card.content
    assert supervisor.post("/broadcast/messages/R1/", {"action": "personal"}).status_code == 404
    peer = client_for(mobile.reps["R2"])
    assert peer.get("/broadcast/messages/R1/").content == b""
    assert peer.post("/broadcast/messages/R1/", {"action": "personal"}).status_code == 404
    assert not PersonalPreference.objects.exists()


def test_supervisor_subscribes_themself_to_the_battle_report(mobile):
    client = client_for(mobile.supervisor_a)
    client.post(
        "/broadcast/messages/S1/",
        {"action": "sheet", "report": "battle", "channel": "email", "subscribed": "on"},
    )
    row = Subscription.objects.get(unit=mobile.team_a, report="battle")
    assert (row.channel, row.address, row.active) == ("email", "s1@example.com", True)
    client.post(
        "/broadcast/messages/S1/", {"action": "sheet", "report": "battle", "channel": "email"}
    )
    row.refresh_from_db()
    assert row.active is False
    # a report that is not a sheet is refused
    client.post(
        "/broadcast/messages/S1/",
        {"action": "sheet", "report": "win_flash", "channel": "email", "subscribed": "on"},
    )
    assert Subscription.objects.count() == 1


# --- the preview page --------------------------------------------------------------------


def test_supervisor_previews_a_reps_message(mobile):
    response = client_for(mobile.supervisor_a).get(f"/broadcast/personal/R1/?date={DAY}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "员工R1" in body and "sms-bubble" in body and "data-email" in body
    assert "13800138001" in body  # where it goes


@pytest.mark.parametrize(("viewer", "status"), [("R2", 404), ("R1", 200), ("M1", 200), ("A1", 200)])
def test_preview_access(mobile, viewer, status):
    people = {**mobile.reps, "M1": mobile.manager, "A1": mobile.admin}
    response = client_for(people[viewer]).get(f"/broadcast/personal/R1/?date={DAY}")
    assert response.status_code == status


def test_preview_of_another_team_is_refused(mobile):
    assert client_for(mobile.supervisor_a).get("/broadcast/personal/R3/").status_code == 404


# --- the unsubscribe link ------------------------------------------------------------------


def test_battle_report_email_carries_unsubscribe_headers_and_link(company):
    subscription_create(
        unit=company.branch, report="battle", channel="email", address="a@example.com"
    )
    report_send(kind="battle", unit=company.branch, day=DAY)
    mail = Message.objects.get()
    url = mail.headers["List-Unsubscribe"].strip("<>")
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in mail.text and url in mail.html
    assert mail.html.rstrip().endswith("</html>")


def test_one_click_unsubscribes_without_sign_in(company, client):
    row, _ = subscription_create(
        unit=company.branch, report="battle", channel="email", address="a@example.com"
    )
    path = f"/broadcast/unsubscribe/{unsubscribe_token(subscription=row)}/"
    # a link checker's GET changes nothing
    page = client.get(path)
    assert page.status_code == 200 and "杭州分公司" in page.content.decode()
    row.refresh_from_db()
    assert row.active
    # the mail client's one-click POST (no CSRF token, no session) unsubscribes
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    row.refresh_from_db()
    assert not row.active
    assert report_send(kind="battle", unit=company.branch, day=DAY)["subscribers"] == 0


def test_personal_unsubscribe_link(company, client):
    person = company.reps["R1"]
    client.post(f"/broadcast/unsubscribe/{unsubscribe_token(person=person)}/")
    assert PersonalPreference.objects.get(person=person).subscribed is False


@pytest.mark.parametrize("token", ["nonsense", "eyJzIjoxfQ:1abc:forged"])
def test_forged_unsubscribe_link(company, client, token):
    assert client.post(f"/broadcast/unsubscribe/{token}/").status_code == 404


# --- SMS replies ---------------------------------------------------------------------------


@pytest.fixture
def inbound(settings):
    settings.SMS_INBOUND_TOKEN = "s3cret-token"
    return "/outbox/sms/inbound/{provider}/s3cret-token/"


@pytest.mark.parametrize(
    ("provider", "body", "content_type"),
    [
        (
            "aliyun",
            json.dumps([{"phone_number": "13800138001", "content": "TD", "sign_name": "铁军"}]),
            "application/json",
        ),
        (
            "tencent",
            json.dumps({"mobile": "13800138001", "nationcode": "86", "text": "退订", "time": 1}),
            "application/json",
        ),
        ("twilio", "From=%2B8613800138001&Body=td", "application/x-www-form-urlencoded"),
        (
            "generic",
            json.dumps({"from": "+86 138-0013-8001", "text": " ＴＤ "}),
            "application/json",
        ),
    ],
)
def test_sms_stop_reply_unsubscribes(
    mobile, client, inbound, settings, provider, body, content_type
):
    # given R1 gets the battle report by SMS and, by default, the personal message
    subscription_create(
        unit=mobile.branch, report="battle", channel="sms", address="+8613800138001"
    )
    # when they reply TD (Twilio signs its calls with the account's Auth Token)
    url = inbound.format(provider=provider)
    extra = {}
    if provider == "twilio":
        settings.SMS_INBOUND_TWILIO_TOKEN = TWILIO_TOKEN
        extra["HTTP_X_TWILIO_SIGNATURE"] = twilio_signature(
            settings.PUBLIC_URL + url, parse_qsl(body), TWILIO_TOKEN
        )
    response = client.post(url, body, content_type=content_type, **extra)
    # then both stop
    assert response.status_code == 200
    assert not Subscription.objects.get().active
    assert PersonalPreference.objects.get(person=mobile.reps["R1"]).subscribed is False
    assert personal_send(unit=mobile.team_a, day=DAY, now=EVENING)["unsubscribed"] == 1


def test_sms_other_reply_changes_nothing(mobile, client, inbound):
    subscription_create(unit=mobile.branch, report="battle", channel="sms", address="13800138001")
    body = json.dumps([{"phone_number": "13800138001", "content": "收到，谢谢"}])
    assert (
        client.post(
            inbound.format(provider="aliyun"), body, content_type="application/json"
        ).status_code
        == 200
    )
    assert Subscription.objects.get().active and not PersonalPreference.objects.exists()


def test_sms_inbound_refuses_a_wrong_token_or_body(mobile, client, inbound, settings):
    body = json.dumps([{"phone_number": "13800138001", "content": "TD"}])
    assert (
        client.post(
            "/outbox/sms/inbound/aliyun/wrong/", body, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            inbound.format(provider="nope"), body, content_type="application/json"
        ).status_code
        == 404
    )
    bad = client.post(
        inbound.format(provider="aliyun"), "{not json", content_type="application/json"
    )
    assert bad.status_code == 400
    settings.SMS_INBOUND_TOKEN = ""
    assert (
        client.post(
            "/outbox/sms/inbound/aliyun//", body, content_type="application/json"
        ).status_code
        == 404
    )
    assert not PersonalPreference.objects.exists()


TWILIO_TOKEN = "twilio-auth-token"
TWILIO_STOP = "From=%2B8613800138001&Body=STOP&To=%2B15005550006"


def _signed(settings, url, body, token=TWILIO_TOKEN):
    return twilio_signature(settings.PUBLIC_URL + url, parse_qsl(body), token)


def test_twilio_signature_matches_twilios_published_example():
    # the vector of Twilio's own request-validator tests: URL, params and token give this signature
    params = [
        ("To", "+18005551212"),
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
    ]
    assert (
        twilio_signature("https://mycompany.com/myapp.php?foo=1&bar=2", params, "12345")
        == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


def test_twilio_reply_needs_twilios_signature(mobile, client, inbound, settings):
    subscription_create(
        unit=mobile.branch, report="battle", channel="sms", address="+8613800138001"
    )
    url = inbound.format(provider="twilio")
    form = "application/x-www-form-urlencoded"
    # no token configured: nothing from Twilio is believed, even signed
    settings.SMS_INBOUND_TWILIO_TOKEN, settings.SMS_PROVIDER = "", ""
    signed = _signed(settings, url, TWILIO_STOP)
    assert client.post(url, TWILIO_STOP, form, HTTP_X_TWILIO_SIGNATURE=signed).status_code == 403
    settings.SMS_INBOUND_TWILIO_TOKEN = TWILIO_TOKEN
    # unsigned, signed with another token, or signed for other parameters: refused
    assert client.post(url, TWILIO_STOP, form).status_code == 403
    wrong = _signed(settings, url, TWILIO_STOP, token="not-the-token")
    assert client.post(url, TWILIO_STOP, form, HTTP_X_TWILIO_SIGNATURE=wrong).status_code == 403
    other = _signed(settings, url, TWILIO_STOP.replace("8001", "8002"))
    assert client.post(url, TWILIO_STOP, form, HTTP_X_TWILIO_SIGNATURE=other).status_code == 403
    assert Subscription.objects.get().active and not PersonalPreference.objects.exists()
    # the account's token as the SMS provider's secret also serves
    settings.SMS_INBOUND_TWILIO_TOKEN = ""
    settings.SMS_PROVIDER, settings.SMS_SECRET = "twilio", TWILIO_TOKEN
    response = client.post(url, TWILIO_STOP, form, HTTP_X_TWILIO_SIGNATURE=signed)
    assert response.status_code == 200
    assert not Subscription.objects.get().active


# --- the schedule --------------------------------------------------------------------------


def test_personal_schedule_runs_per_team_on_working_days(company, huey_now):
    shanghai = timezone.get_fixed_timezone(8 * 60)
    saturday = dt.datetime(2026, 11, 28, 21, 10, tzinfo=shanghai)
    assert tasks.personal_fire(saturday) == 0
    friday = dt.datetime(2026, 11, 27, 21, 10, tzinfo=shanghai)
    assert tasks.personal_fire(friday) == 3  # HZ1, HZ2, NB1: one task per team
    keys = set(Message.objects.values_list("key", flat=True))
    assert keys == {personal_key(no, DAY) for no in ("R1", "R2", "R3", "R4", "R5")}
    tasks.personal_fire(friday)  # a restarted scheduler queues nothing new
    assert Message.objects.count() == 5
