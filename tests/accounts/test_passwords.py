"""Changing a password, resetting a forgotten one, and the change forced after someone else set it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import PASSWORD, client_for
from tiejun.accounts.models import PasswordMark
from tiejun.accounts.services import password_set
from tiejun.audit.models import AuditEntry
from tiejun.notify.models import Message
from tiejun.org.models import Person

pytestmark = pytest.mark.django_db
NEW = "iron-army-2026"


def sign_in(client: Client, login: str, password: str):
    return client.post("/login/", {"username": login, "password": password})


def test_a_signed_in_person_changes_their_password(org):
    client = client_for(org.reps["R1"])
    assert client.get("/account/password/").status_code == 200
    wrong = client.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": NEW, "new_password2": NEW},
    )
    assert wrong.status_code == 200 and "incorrectly" in wrong.content.decode()
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200  # still signed in
    assert Client().login(username="R1", password=NEW)
    assert AuditEntry.objects.filter(action="password_change", object_id="R1").exists()


def test_the_change_page_needs_a_sign_in(client):
    assert client.get("/account/password/").status_code == 302


def test_forgot_password_sends_a_link_that_sets_a_new_one(client, org):
    response = client.post("/account/reset/", {"login": "R1"})
    assert response.status_code == 302 and response.url == "/account/reset/sent/"
    message = Message.objects.get()
    assert (message.channel, message.address) == ("email", "r1@example.com")
    link = re.search(r"http://testserver(/account/reset/\S+/)", message.text).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert 'name="new_password1"' in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}
    )
    assert done.status_code == 302 and done.url == "/"
    assert client.get("/me/").status_code == 200
    assert Client().login(username="R1", password=NEW)
    # the link worked once
    again = Client().get(link, follow=True)
    assert "no longer works" in again.content.decode()


def test_forgot_password_by_mobile_goes_by_sms_without_an_email(client, org):
    Person.objects.filter(employee_no="R2").update(email="", phone="13800138002")
    client.post("/account/reset/", {"login": "138 0013 8002"})
    assert Message.objects.get().channel == "sms"


def test_forgot_password_tells_nobody_who_exists(client, org):
    response = client.post("/account/reset/", {"login": "nobody@nowhere.cn"})
    assert response.status_code == 302 and response.url == "/account/reset/sent/"
    assert not Message.objects.exists()


def test_forgot_password_requests_are_throttled(client, org, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        assert client.post("/account/reset/", {"login": "R1"}).status_code == 302
    assert client.post("/account/reset/", {"login": "R1"}).status_code == 429
    assert Message.objects.count() in (1, 2)  # one key per link: the same second, the same link


def test_a_manager_sends_a_reset_link_from_the_person_page(org):
    manager = client_for(org.manager)
    response = manager.post("/account/people/R3/reset/")
    assert response.status_code == 302
    assert "/account/reset/" in Message.objects.get().text
    entry = AuditEntry.objects.get(action="password_reset", object_id="R3")
    assert entry.actor == org.manager
    assert client_for(org.reps["R1"]).post("/account/people/R3/reset/").status_code == 403


def test_a_password_someone_else_set_must_be_changed_first(client, org):
    password_set(person=org.reps["R1"], password="set-by-admin-1", by=None)
    response = sign_in(client, "R1", "set-by-admin-1")
    assert response.status_code == 302
    # every page sends them to the change first
    for page in ["/", "/me/", "/deals/"]:
        assert client.get(page).url == "/account/password/"
    change = client.get("/account/password/")
    assert "data-must-change" in change.content.decode()
    client.post(
        "/account/password/",
        {"old_password": "set-by-admin-1", "new_password1": NEW, "new_password2": NEW},
    )
    assert client.get("/me/").status_code == 200
    assert PasswordMark.objects.get(person=org.reps["R1"]).must_change is False
    # their own password is not to be changed at the next sign-in
    other = Client()
    sign_in(other, "R1", NEW)
    assert other.get("/me/").status_code == 200


def test_a_manager_setting_a_password_forces_a_change_too(org):
    password_set(person=org.reps["R1"], password="set-by-manager", by=org.manager)
    assert PasswordMark.objects.get(person=org.reps["R1"]).must_change
    assert AuditEntry.objects.get(action="password_set").actor == org.manager
