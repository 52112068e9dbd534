"""Signing in and out, the home page, every page's layout and scope, the language switch and
the figures' template filters."""

from decimal import Decimal

import pytest
from django.conf import settings

from tests.factories import PASSWORD
from tests.migrated import migrate
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


# --- the menu shows only what the role can open --------------------------------------------

NAV_LINK = r'<nav class="nav-links"[^>]*>(.*?)</nav>'


def nav_links(client) -> list[str]:
    import re

    html = client.get("/me/").content.decode()
    nav = re.search(NAV_LINK, html, re.S)
    assert nav is not None
    return re.findall(r'href="([^"]+)"', nav.group(1))


@pytest.fixture
def coordinator(org):
    import datetime as dt

    from tiejun.org.services import person_create

    return person_create(
        employee_no="C1",
        name="协调员",
        unit=org.branch,
        role="coordinator",
        start_date=dt.date(2025, 1, 1),
        password=PASSWORD,
    )


@pytest.mark.parametrize(
    ("employee_no", "absent"),
    [
        ("R1", {"/lab/", "/import/", "/audit/"}),
        ("S1", {"/import/", "/audit/"}),
        ("M1", {"/audit/"}),
        ("C1", {"/import/", "/audit/"}),
        ("A1", set()),
    ],
)
def test_every_menu_link_opens_for_the_role(login, org, coordinator, employee_no, absent):
    client = login(employee_no)
    links = nav_links(client)
    assert not absent & set(links)
    assert {"/", "/me/", "/deals/", "/customers/", "/field/"} <= set(links)
    for url in links:
        response = client.get(url, follow=True)
        assert response.status_code == 200, (employee_no, url)


def test_the_menu_costs_no_query_once_signed_in(login, org, django_assert_num_queries):
    client = login("R1")
    client.get("/me/")
    from tiejun.web.context_processors import navigation

    request = client.get("/me/").wsgi_request
    with django_assert_num_queries(0):
        navigation(request)


# --- the command line without its database -------------------------------------------------


@pytest.mark.own_database
def test_a_command_without_its_database_says_so_and_creates_nothing(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    tiejun = Path(sys.executable).with_name("tiejun")
    env = {**os.environ, "TIEJUN_HOME": str(tmp_path)}
    env.pop("TIEJUN_DATABASE_URL", None)
    done = subprocess.run(
        [str(tiejun), "board", "HQ"], env=env, capture_output=True, text=True, timeout=120
    )
    database = tmp_path / "tiejun.sqlite3"
    assert done.returncode != 0
    assert f"no database at {database} — run `tiejun migrate` or set TIEJUN_HOME" in done.stderr
    assert "temporarily unavailable" not in done.stderr
    assert not database.exists()
    # the commands that make the database, or need none, still run on a fresh home
    checked = subprocess.run(
        [str(tiejun), "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.own_database
def test_serve_prints_the_address_it_really_serves(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    tiejun = Path(sys.executable).with_name("tiejun")
    env = {
        **os.environ,
        "TIEJUN_HOME": str(tmp_path),
        "TIEJUN_DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite3",
        "TIEJUN_EMBEDDED_WORKER": "0",
        "TIEJUN_LANGUAGE": "en",
    }
    migrate(env, timeout=300)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(tiejun), "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        import selectors
        import time

        assert server.stdout is not None
        watch = selectors.DefaultSelector()
        watch.register(server.stdout, selectors.EVENT_READ)
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("serving at" in x for x in lines):
            if watch.select(timeout=1):
                line = server.stdout.readline()
                if not line:
                    break
                lines.append(line)
        assert any(f"serving at http://127.0.0.1:{port}/" in x for x in lines), lines
    finally:
        server.terminate()
        server.communicate(timeout=30)
