"""Signing in and out, the home page, every page's layout and scope, the language switch and
the figures' template filters."""

from decimal import Decimal

import pytest
from django.conf import settings

from tests.factories import PASSWORD
from tiejun.org.models import Person
from tiejun.web.templatetags.tiejun_web import money, percent

PERIOD = "?month=2026-06&as_of=2026-06-10"


# --- signing in ---------------------------------------------------------------------------


@pytest.mark.parametrize("login_name", ["R1", "r1@example.com", "R1@EXAMPLE.COM"])
def test_login_by_employee_number_or_email(client, org, login_name):
    response = client.post("/login/", {"username": login_name, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").url == "/board/HZ1/"


def test_login_with_a_wrong_password_shows_an_error(client, org):
    response = client.post("/login/", {"username": "R1", "password": "nope"})
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_copies_the_persons_language_into_the_session(client, org):
    Person.objects.filter(employee_no="R1").update(language="en")
    response = client.post("/login/", {"username": "R1", "password": PASSWORD})
    assert client.session["tiejun_language"] == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_logout_is_a_post(login, org):
    client = login("R1")
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/me/").status_code == 302


PAGES = [
    "/",
    "/board/HZ/",
    "/board/HZ1/",
    "/me/",
    "/people/R2/",
    "/tv/",
    "/tv/panel/HZ1/",
    "/org/",
    "/org/HZ1/",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, org, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")


def test_home_opens_the_default_board(login, org):
    assert login("A1").get("/").url == "/board/HQ/"


def test_home_opens_the_managers_branch(login, org):
    assert login("M1").get("/").url == "/board/HZ/"


# --- every page for an allowed user, 404 outside the scope ---------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/board/HZ/",
        "/board/HZ2/" + PERIOD,
        "/board/HZ1/?metric=new_customers",
        "/me/",
        "/people/R1/",
        "/people/R3/",
        "/tv/",
        "/tv/?units=HZ1,HZ2&metric=new_customers&interval=10",
        "/org/",
        "/org/HZ/",
        "/org/HZ1/?on=2026-06-01",
    ],
)
def test_pages_render_for_a_rep(login, org, url):
    response = login("R1").get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "员工R1" in html  # the signed-in person's name in the navigation


@pytest.mark.parametrize(
    "url",
    [
        "/board/NB/",
        "/board/NB1/",
        "/board/ZJ/",
        "/board/HQ/",
        "/board/NOPE/",
        "/board/NB/export.xlsx",
        "/people/R5/",
        "/people/NOPE/",
        "/tv/panel/NB1/",
        "/org/NB1/",
        "/org/HQ/",
    ],
)
def test_pages_outside_the_scope_are_not_found(login, org, url):
    assert login("R1").get(url).status_code == 404


def test_admin_sees_the_whole_company(login, org):
    client = login("A1")
    for url in ["/board/HQ/", "/board/NB1/", "/people/R5/", "/org/NB/"]:
        assert client.get(url).status_code == 200, url


def test_bad_board_arguments_are_a_clear_error(login, org):
    client = login("R1")
    response = client.get("/board/HZ1/?month=June")
    assert response.status_code == 400
    assert "月份格式必须是 YYYY-MM" in response.content.decode()  # the default language
    english = client.get("/board/HZ1/?month=June", HTTP_ACCEPT_LANGUAGE="en")
    assert "month must be YYYY-MM" in english.content.decode()
    assert client.get("/board/HZ1/?metric=profit").status_code == 400


# --- language -----------------------------------------------------------------------------


def test_language_switch_makes_the_page_english_and_is_remembered(login, org, client):
    login("R1")
    assert '<html lang="zh-hans">' in client.get("/org/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/org/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get("/org/").content.decode()
    assert Person.objects.get(employee_no="R1").language == "en"
    assert client.session["tiejun_language"] == "en"
    # a new browser: the saved language comes back on login
    client.cookies.clear()
    client.post("/login/", {"username": "R1", "password": PASSWORD})
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    assert '<html lang="en">' in client.get("/org/").content.decode()


def test_language_switch_when_anonymous_only_sets_the_cookie(client, org):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get("/login/").content.decode()
    assert not Person.objects.exclude(language="").exists()


def test_money_format():
    assert money(Decimal("1234567.5")) == "¥1,234,567.50"
    assert money(Decimal("-12")) == "-¥12.00"
    assert money(None) == "—"
    assert percent(0.65432) == "65.4%"
