"""Security headers, the Content-Security-Policy, CSRF, error pages and production settings."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.test.client import RequestFactory
from django.views.defaults import bad_request, server_error

from tiejun.settings import _tile_source

pytestmark = pytest.mark.django_db

TIEJUN = str(Path(sys.executable).with_name("tiejun"))


def csp(response) -> dict[str, list[str]]:
    policy = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


# --- headers ------------------------------------------------------------------------------


def test_every_page_carries_the_security_headers(org, login):
    client = login("R1")
    for path in ["/login/", "/me/", "/field/checkin/", "/no-such-page/"]:
        response = client.get(path)
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "same-origin", path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
        policy = response["Permissions-Policy"]
        assert "geolocation=(self)" in policy and "camera=(self)" in policy, path
        assert "microphone=()" in policy
        assert "Content-Security-Policy" in response, path


def test_the_content_security_policy(client):
    policy = csp(client.get("/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]  # bars are sized by style attributes
    assert {"'self'", "data:", "blob:"} <= set(policy["img-src"])


def test_an_inline_script_carries_the_nonce_of_its_response(org, login):
    client = login("A1")
    response = client.get("/customers/map/")
    nonce = next(v for v in csp(response)["script-src"] if v.startswith("'nonce-"))[7:-1]
    body = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", body)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    # and a fresh nonce on each response
    again = csp(client.get("/customers/map/"))["script-src"]
    assert f"'nonce-{nonce}'" not in again


def test_no_template_has_an_inline_handler_or_an_un_nonced_block():
    root = Path(__file__).resolve().parents[2] / "src" / "tiejun"
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        if "/reports/" in str(template) or template.parts[-3:-1] == ("templates", "ops"):
            continue  # e-mails (no CSP in a mail client); the ops 503 page
        text = template.read_text()
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"<(script|style)>", text):
            offenders.append(str(template.relative_to(root)))
    assert offenders == []


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}", "https://*.is.autonavi.com"),
        ("https://tiles.example.com/{z}/{x}/{y}.png", "https://tiles.example.com"),
        ("", None),
    ],
)
def test_the_map_tile_host_joins_img_src(template, source):
    assert _tile_source(template) == ([source] if source else [])


# --- CSRF ---------------------------------------------------------------------------------


@pytest.fixture
def browser_client(org):
    """A signed-in browser that sends CSRF tokens only when told (the test client skips the
    check unless asked)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.admin)
    client.get("/me/")  # sets the CSRF cookie
    return client


def csrf_token(client: Client) -> str:
    client.get("/me/")
    return client.cookies["csrftoken"].value


MOVE = {"employee_no": "R1", "unit_code": "HZ2", "effective_date": "2030-01-01"}


def test_a_session_post_to_the_api_needs_the_csrf_token(browser_client):
    body = json.dumps(MOVE)
    refused = browser_client.post("/api/v1/moves", body, content_type="application/json")
    assert refused.status_code == 403
    accepted = browser_client.post(
        "/api/v1/moves",
        body,
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(browser_client)},
    )
    assert accepted.status_code == 201


def test_a_cross_site_api_post_is_refused_even_with_a_token(browser_client):
    response = browser_client.post(
        "/api/v1/moves",
        json.dumps(MOVE),
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(browser_client), "Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_a_bearer_post_needs_no_csrf_token(org):
    from tiejun.org.services import token_create

    key = token_create(person=org.admin)
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/moves",
        json.dumps(MOVE),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201


def test_a_page_post_needs_the_csrf_token(browser_client):
    data = {"language": "en", "next": "/me/"}
    refused = browser_client.post("/i18n/setlang/", data)
    assert refused.status_code == 403
    assert (
        "表单已失效" in refused.content.decode()
    )  # our page (in the default language), not Django's
    data["csrfmiddlewaretoken"] = csrf_token(browser_client)
    assert browser_client.post("/i18n/setlang/", data).status_code == 302
    cross = browser_client.post("/i18n/setlang/", data, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403


def test_the_login_form_needs_the_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    data = {"username": "R1", "password": "tiejun-test-pass"}
    assert client.post("/login/", data).status_code == 403
    client.get("/login/")
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    assert client.post("/login/", data).status_code == 302


# --- error pages --------------------------------------------------------------------------


def test_the_500_and_400_pages_need_no_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        page = server_error(request)
        bad = bad_request(request, Exception("bad"))
    assert page.status_code == 500 and "出错了" in page.content.decode()
    assert bad.status_code == 400 and "请求无效" in bad.content.decode()
    assert 'class="topnav"' in page.content.decode()  # the layout's look


def test_the_404_page_is_the_layouts(org, login):
    response = login("R1").get("/no-such-page/")
    assert response.status_code == 404
    assert 'class="topnav"' in response.content.decode() and "Traceback" not in str(response)


def test_error_templates_render_in_both_languages():
    from django.utils import translation

    for language in ["zh-hans", "en"]:
        with translation.override(language):
            for name in ["400.html", "500.html", "403_csrf.html"]:
                assert f'lang="{language}"' in render_to_string(name)


# --- production settings, in a fresh process ----------------------------------------------


def tiejun(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TIEJUN_")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.update(TIEJUN_HOME=str(tmp_path), **env)
    return subprocess.run(
        [TIEJUN, *args], env=clean, capture_output=True, text=True, timeout=120, check=False
    )


PRODUCTION = {
    "TIEJUN_ENV": "production",
    "TIEJUN_SECRET_KEY": secrets.token_urlsafe(60),
    "TIEJUN_ALLOWED_HOSTS": "tiejun.example.com",
}


@pytest.mark.own_database
def test_check_deploy_reports_no_warning_in_production(tmp_path):
    result = tiejun(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert result.stderr == ""


@pytest.mark.own_database
def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**PRODUCTION, "TIEJUN_SECRET_KEY": ""}
    for command in (["check"], ["serve"], ["migrate"]):
        result = tiejun(tmp_path, *command, **env)
        assert result.returncode == 2
        assert "TIEJUN_SECRET_KEY must be set" in result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.own_database
def test_production_refuses_the_debug_page(tmp_path):
    result = tiejun(tmp_path, "check", **PRODUCTION, TIEJUN_DEBUG="1")
    assert result.returncode == 2
    assert "TIEJUN_DEBUG cannot be on" in result.stderr and "Traceback" not in result.stderr


PROBE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
login = client.get("/login/", secure=True, HTTP_HOST="tiejun.example.com")
missing = client.get("/nope/", secure=True, HTTP_HOST="tiejun.example.com")
plain = client.get("/login/", HTTP_HOST="tiejun.example.com")
print(json.dumps({
    "debug": settings.DEBUG,
    "limits": [settings.AXES_FAILURE_LIMIT, settings.LOGIN_LOCKOUT_MINUTES],
    "login": [login.status_code, dict(login.headers)],
    "cookie_secure": bool(login.cookies["csrftoken"]["secure"]),
    "missing": [missing.status_code, missing.content.decode()],
    "plain": [plain.status_code, plain.get("Location")],
}))
"""


@pytest.mark.own_database
def test_production_headers_and_no_debug_page(tmp_path):
    env = {**PRODUCTION, "TIEJUN_LOGIN_MAX_FAILURES": "7", "TIEJUN_LOGIN_LOCKOUT_MINUTES": "20"}
    collected = tiejun(tmp_path, "collectstatic", "--noinput", "-v0", **env)
    assert collected.returncode == 0, collected.stderr
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TIEJUN_")}
    clean.update(TIEJUN_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="tiejun.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=clean, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["debug"] is False
    assert probe["limits"] == [7, 20]
    status, headers = probe["login"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Content-Security-Policy" in headers and headers["X-Frame-Options"] == "DENY"
    assert probe["cookie_secure"]  # the CSRF cookie only over HTTPS
    status, body = probe["missing"]
    assert status == 404 and "Traceback" not in body and "DEBUG = True" not in body
    assert probe["plain"] == [301, "https://tiejun.example.com/login/"]
