"""Accounts: sign-in throttling, deactivation, and the API token command, through real requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.test.client import RequestFactory

from tests.factories import PASSWORD
from tiejun.org.models import ApiToken, Person, PersonSession
from tiejun.org.services import person_deactivate, person_reactivate, token_create
from tiejun.org.throttle import client_ip

LOGIN = "/login/"
API_PERSON = "/api/v1/people/R1"

pytestmark = pytest.mark.django_db


def sign_in(client: Client, login: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": login, "password": password}, REMOTE_ADDR=ip)


def signed_in(client: Client) -> bool:
    return client.get("/me/").status_code == 200


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


# --- throttling ---------------------------------------------------------------------------


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    return settings


def test_wrong_passwords_lock_that_login_from_that_address(org, limits, client):
    # given: two wrong passwords are only wrong passwords
    for _ in range(2):
        response = sign_in(client, "R1", "wrong")
        assert response.status_code == 200
        assert "password is wrong" in response.content.decode()
    # when: the third one reaches the limit
    response = sign_in(client, "R1", "wrong")
    # then: the login page says it is locked, and for how long
    assert response.status_code == 429
    body = response.content.decode()
    assert "data-lockout" in body and "locked for 15 minutes" in body
    assert 'name="username"' in body  # the form is there to try again later
    # and even the right password is refused while the lock lasts
    response = sign_in(client, "R1")
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_is_per_login_and_address(org, limits):
    for _ in range(3):
        sign_in(Client(), "R1", "wrong", ip="10.0.0.1")
    # the same login from another address, and another login from the same address, sign in
    elsewhere, colleague = Client(), Client()
    assert sign_in(elsewhere, "R1", ip="10.0.0.2").status_code == 302
    assert sign_in(colleague, "R2", ip="10.0.0.1").status_code == 302
    # the login is counted trimmed and case-folded: " r1 " is R1 and is locked too
    assert sign_in(Client(), " r1 ", ip="10.0.0.1").status_code == 429


def test_the_lock_ends_after_the_lockout_minutes(org, limits, client):
    for _ in range(3):
        sign_in(client, "R1", "wrong")
    assert sign_in(client, "R1").status_code == 429
    # when: the failures are older than the lockout (moved back rather than waited for)
    AccessAttempt.objects.update(attempt_time=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    # then: the right password works again
    assert sign_in(client, "R1").status_code == 302
    assert signed_in(client)


def test_a_successful_sign_in_clears_the_count(org, limits, client):
    sign_in(Client(), "R1", "wrong")
    sign_in(Client(), "R1", "wrong")
    assert sign_in(client, "R1").status_code == 302
    assert not AccessAttempt.objects.exists()
    # two more failures do not lock: the count started again
    assert sign_in(Client(), "R1", "wrong").status_code == 200
    assert sign_in(Client(), "R1", "wrong").status_code == 200


def test_the_lockout_message_comes_in_the_chosen_language(org, limits):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    for _ in range(3):
        response = sign_in(client, "R1", "wrong")
    assert response.status_code == 429
    assert "data-lockout" in response.content.decode()


def test_wrong_api_tokens_are_not_password_attempts(org, limits, client):
    for _ in range(5):
        assert client.get(API_PERSON, **bearer("tj_wrong")).status_code == 401
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, "R1").status_code == 302


def test_the_client_address_behind_trusted_proxies(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    settings.PROXY_COUNT = 0
    assert client_ip(request) == "10.9.9.9"
    # one proxy: the entry it appended; what the client sent further left is ignored
    settings.PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"
    settings.PROXY_COUNT = 3  # fewer entries than proxies: the peer
    assert client_ip(request) == "10.9.9.9"


# --- deactivation -------------------------------------------------------------------------


def test_deactivating_ends_every_session_and_revokes_every_token(org):
    rep = org.reps["R1"]
    # given: signed in on a phone and a laptop, and a script with two tokens
    phone, laptop = Client(), Client()
    assert sign_in(phone, "R1").status_code == 302
    assert sign_in(laptop, "r1@example.com").status_code == 302
    keys = [token_create(person=rep), token_create(person=rep)]
    assert signed_in(phone) and signed_in(laptop)
    assert Client().get(API_PERSON, **bearer(keys[0])).status_code == 200
    assert PersonSession.objects.filter(person=rep).count() == 2
    # when
    person_deactivate(person=rep)
    # then: the very next request of each is signed out, and the tokens are refused
    assert phone.get("/me/").status_code == 302
    assert laptop.get("/me/").url.startswith("/login/")
    for key in keys:
        assert Client().get(API_PERSON, **bearer(key)).status_code == 401
    assert not PersonSession.objects.filter(person=rep).exists()
    assert not ApiToken.objects.filter(person=rep, revoked_at__isnull=True).exists()
    # and signing in again is refused
    assert sign_in(Client(), "R1").status_code == 200
    # others are untouched
    other = Client()
    assert sign_in(other, "R2").status_code == 302 and signed_in(other)


def test_a_session_cookie_alone_is_refused_for_an_inactive_person(org):
    # Even a session that escaped deletion (another engine, a race) signs nobody in.
    client = Client()
    sign_in(client, "R1")
    Person.objects.filter(employee_no="R1").update(is_active=False)
    assert client.get("/me/").status_code == 302


def test_saving_a_person_inactive_by_another_path_shuts_them_out(org):
    rep = org.reps["R1"]
    client = Client()
    sign_in(client, "R1")
    key = token_create(person=rep)
    rep.is_active = False
    rep.save()  # the admin's form, a shell
    assert not PersonSession.objects.filter(person=rep).exists()
    assert Client().get(API_PERSON, **bearer(key)).status_code == 401


def test_reactivating_allows_signing_in_but_tokens_stay_revoked(org):
    rep = org.reps["R1"]
    key = token_create(person=rep)
    person_deactivate(person=rep)
    person_reactivate(person=rep)
    client = Client()
    assert sign_in(client, "R1").status_code == 302 and signed_in(client)
    assert Client().get(API_PERSON, **bearer(key)).status_code == 401


def test_the_admin_actions_go_through_the_service(org):
    rep, admin = org.reps["R1"], org.admin
    Person.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    victim = Client()
    sign_in(victim, "R1")
    staff = Client()
    staff.force_login(Person.objects.get(pk=admin.pk))
    response = staff.post(
        "/admin/org/person/", {"action": "deactivate", "_selected_action": [rep.pk]}
    )
    assert response.status_code == 302
    assert not Person.objects.get(pk=rep.pk).is_active
    assert not signed_in(victim)


def test_person_command_deactivates_and_reactivates(org):
    client = Client()
    sign_in(client, "R1")
    out = io.StringIO()
    call_command("person", "deactivate", "R1", stdout=out)
    assert "R1" in out.getvalue()
    assert not signed_in(client)
    call_command("person", "reactivate", "R1", stdout=io.StringIO())
    assert Person.objects.get(employee_no="R1").is_active


def test_person_command_refuses_an_unknown_employee(org):
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("person", "deactivate", "NOBODY", stderr=err)
    assert exit_.value.code == 2
    assert "unknown employee NOBODY" in err.getvalue()


# --- the token command's contract ---------------------------------------------------------


def token_cli(*args: str) -> str:
    out = io.StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def test_token_create_prints_a_key_that_works_as_bearer(org):
    key = token_cli("create", "R1").strip()
    assert key.startswith("tj_") and "\n" not in key
    response = Client().get(API_PERSON, **bearer(key))
    assert response.status_code == 200
    assert response.json()["employee_no"] == "R1"


def test_tokens_are_stored_only_as_sha256(org):
    key = token_cli("create", "R1").strip()
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values_list().get()]
    assert key not in stored
    assert token.prefix == key[:8]


def test_token_list_shows_prefix_person_dates_and_never_the_key(org):
    key = token_cli("create", "R1").strip()
    Client().get(API_PERSON, **bearer(key))  # used once
    token_cli("create", "R2")
    listing = token_cli("list")
    lines = listing.strip().splitlines()
    assert lines[0].split("\t") == ["prefix", "person", "created", "last used", "revoked"]
    row = next(line.split("\t") for line in lines[1:] if line.startswith(key[:8]))
    assert row[1] == "R1"
    assert row[2] != "-" and row[3] != "-" and row[4] == "-"
    assert key not in listing
    # one person's tokens only
    assert [line.split("\t")[1] for line in token_cli("list", "R2").splitlines()[1:]] == ["R2"]


def test_token_revoke_revokes_every_token_of_that_person(org):
    keys = [token_cli("create", "R1").strip() for _ in range(2)]
    kept = token_cli("create", "R2").strip()
    out = token_cli("revoke", "R1")
    assert "revoked 2 token(s)" in out
    for key in keys:
        assert Client().get(API_PERSON, **bearer(key)).status_code == 401
    assert Client().get("/api/v1/people/R2", **bearer(kept)).status_code == 200
    revoked = [line.split("\t")[4] for line in token_cli("list", "R1").splitlines()[1:]]
    assert len(revoked) == 2 and "-" not in revoked


@pytest.mark.parametrize("action", ["create", "revoke", "list"])
def test_token_command_refuses_an_unknown_employee(org, action):
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("token", action, "NOBODY", stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 2
    assert "unknown employee NOBODY" in err.getvalue()


# --- tiejun person set-password -----------------------------------------------------------


def set_password(monkeypatch, employee_no: str, typed: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    try:
        call_command("person", "set-password", employee_no, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_set_password_reads_stdin_and_forces_a_change_at_sign_in(org, monkeypatch, client):
    code, out, _err = set_password(monkeypatch, "R1", "handed-out-2026\n")
    assert code == 0 and "must change it" in out
    assert Person.objects.get(employee_no="R1").check_password("handed-out-2026")
    response = sign_in(client, "R1", "handed-out-2026")
    assert response.status_code == 302
    assert client.get("/me/").url == "/account/password/"


def test_set_password_refuses_a_weak_password_or_an_unknown_person(org, monkeypatch):
    code, _out, err = set_password(monkeypatch, "R1", "abc\n")
    assert code == 2 and "too short" in err
    assert Person.objects.get(employee_no="R1").check_password(PASSWORD)
    assert set_password(monkeypatch, "NOPE", "handed-out-2026\n")[0] == 2
