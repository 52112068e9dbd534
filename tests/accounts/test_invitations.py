"""Invitations: ``tiejun invite``, the activation page, re-inviting from the person page."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD, client_for
from tiejun.accounts.models import Invitation
from tiejun.accounts.services import invite_people
from tiejun.audit.models import AuditEntry
from tiejun.errors import TiejunError
from tiejun.notify.models import Message
from tiejun.org.models import Person
from tiejun.org.services import person_create

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "iron-army-2026"


def invite(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("invite", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def newcomer(org):
    return person_create(
        employee_no="N1",
        name="新人",
        unit=org.team_a,
        role="rep",
        start_date=dt.date(2026, 1, 5),
        email="n1@example.com",
        phone="13800138001",
    )


def test_print_writes_one_json_object_per_line(org, newcomer, settings):
    settings.PUBLIC_URL = "https://tiejun.example.cn"
    code, out, _err = invite("N1", "R1", "--print")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["employee_no"] for line in lines] == ["N1", "R1"]
    assert set(lines[0]) == {"employee_no", "name", "url", "expires_at"}
    assert lines[0]["name"] == "新人"
    assert lines[0]["url"].startswith("https://tiejun.example.cn/account/activate/")
    expires = dt.datetime.fromisoformat(lines[0]["expires_at"])
    assert dt.timedelta(days=6, hours=23) < expires - timezone.now() <= dt.timedelta(days=7)
    assert not Message.objects.exists()
    assert AuditEntry.objects.filter(action="invite", object_id="N1").exists()


def test_the_link_sets_the_password_signs_in_and_lands_home(client, org, newcomer):
    url = invite_people([newcomer], channel="print", by=None)[0].url
    page = client.get(path_of(url))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="new_password1"' in body and 'name="new_password2"' in body
    response = client.post(
        path_of(url), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").url == "/board/HZ1/"
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD) and newcomer.last_login is not None
    # used once: the link says so and where to get a new one
    again = Client().get(path_of(url))
    assert again.status_code == 410
    assert "used already" in again.content.decode() and "new invitation" in again.content.decode()
    assert Client().login(username="N1", password=NEW_PASSWORD)


def test_django_password_validators_apply(client, org, newcomer):
    url = invite_people([newcomer], channel="print", by=None)[0].url
    response = client.post(path_of(url), {"new_password1": "abc", "new_password2": "abc"})
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    response = client.post(
        path_of(url), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )
    assert "didn’t match" in response.content.decode()
    assert Invitation.objects.get().used_at is None


def test_the_page_speaks_chinese_too(client, org, newcomer, settings):
    url = invite_people([newcomer], channel="print", by=None)[0].url
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(path_of(url), {"new_password1": "abc", "new_password2": "abc"})
    assert "这个密码太常见了" in response.content.decode()  # Django's own Chinese


def test_a_new_invitation_voids_the_previous_one(client, org, newcomer):
    first = invite_people([newcomer], channel="print", by=None)[0].url
    second = invite_people([newcomer], channel="print", by=None)[0].url
    assert client.get(path_of(first)).status_code == 410
    assert client.get(path_of(second)).status_code == 200


def test_an_expired_link_says_so(client, org, newcomer):
    url = invite_people([newcomer], channel="print", by=None)[0].url
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        response = client.get(path_of(url))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_an_unknown_link_is_not_found_and_counted(client, org, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert client.get("/account/activate/nonsense/").status_code == 404
    assert client.get("/account/activate/nonsense/").status_code == 404
    assert client.get("/account/activate/nonsense/").status_code == 429


def test_email_and_sms_go_through_the_outbox(org, newcomer):
    code, out, _err = invite("N1")
    assert code == 0 and "invitation queued by email" in out
    message = Message.objects.get()
    assert (message.channel, message.address) == ("email", "n1@example.com")
    assert "/account/activate/" in message.text and "N1" in message.text
    code, _out, _err = invite("N1", "--channel", "sms")
    assert code == 0
    sms = Message.objects.get(channel="sms")
    assert sms.address == "13800138001"
    assert Invitation.objects.filter(voided_at__isnull=False).count() == 1


def test_nothing_is_sent_when_someone_lacks_the_address(org, newcomer):
    Person.objects.filter(employee_no="R2").update(email="")
    code, _out, err = invite("N1", "R2")
    assert code == 1
    assert "has no e-mail address" in err
    assert not Invitation.objects.exists() and not Message.objects.exists()


def test_new_invites_everyone_who_never_signed_in(org, newcomer):
    Person.objects.exclude(employee_no__in=["N1", "R1"]).update(last_login=timezone.now())
    code, out, _err = invite("--new", "--print")
    assert code == 0
    assert [json.loads(x)["employee_no"] for x in out.splitlines()] == ["N1", "R1"]


def test_unknown_employee_numbers_and_no_arguments_are_usage_errors(org):
    assert invite("NOPE")[0] == 2
    assert invite()[0] == 2
    assert not Invitation.objects.exists()


def test_invite_people_for_the_import(org, newcomer):
    invited = invite_people([newcomer, org.reps["R1"]], channel="email", by=org.admin)
    assert [i.person.employee_no for i in invited] == ["N1", "R1"]
    assert all(i.message_id for i in invited)
    with pytest.raises(TiejunError):
        invite_people([newcomer], channel="fax", by=None)


def test_a_manager_reinvites_from_the_person_page(org, newcomer):
    manager = client_for(org.manager)
    page = manager.get("/people/N1/").content.decode()
    assert "data-reinvite" in page and "data-reset" in page
    response = manager.post("/account/people/N1/invite/")
    assert response.status_code == 302 and response.url == "/people/N1/"
    invitation = Invitation.objects.get(person=newcomer)
    assert invitation.created_by == org.manager
    assert Message.objects.get().address == "n1@example.com"
    entry = AuditEntry.objects.get(action="invite", object_id="N1")
    assert entry.actor == org.manager


def test_a_rep_or_a_stranger_may_not_reinvite(org, newcomer):
    rep = client_for(org.reps["R2"])
    assert "data-reinvite" not in rep.get("/people/N1/").content.decode()
    assert rep.post("/account/people/N1/invite/").status_code == 403
    other_branch = person_create(
        employee_no="M2",
        name="宁波经理",
        unit=org.other_branch,
        role="manager",
        start_date=dt.date(2026, 1, 5),
    )
    assert client_for(other_branch).post("/account/people/N1/invite/").status_code == 404
    assert not Invitation.objects.exists()


def test_someone_without_address_gets_a_link_to_hand_over(org, newcomer):
    Person.objects.filter(pk=newcomer.pk).update(email="", phone="")
    admin = client_for(org.admin)
    response = admin.post("/account/people/N1/invite/", follow=True)
    assert "/account/activate/" in response.content.decode()
    assert not Message.objects.exists()


def test_password_still_works_for_existing_people(client, org):
    assert client.post("/login/", {"username": "R1", "password": PASSWORD}).status_code == 302


def test_a_200_person_company_invites_everyone(org):
    people = [
        Person(employee_no=f"B{i:03d}", name=f"批量{i}", email=f"b{i}@example.com")
        for i in range(200)
    ]
    Person.objects.bulk_create(people)
    code, _out, err = invite("--new")
    assert code == 0, err
    assert Message.objects.filter(channel="email").count() == Person.objects.count()
    assert "invited" in err
