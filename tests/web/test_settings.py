"""Settings a bad day finds: an unknown TIEJUN_ENV, the debug page in development, credentials on
the debug page, and bodies over the limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.test.client import RequestFactory
from django.views.debug import ExceptionReporter

from tiejun.ops.reporting import mask_url_password

TIEJUN = str(Path(sys.executable).with_name("tiejun"))


def _clean_env(tmp_path: Path, **env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TIEJUN_")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.update(TIEJUN_HOME=str(tmp_path), **env)
    return clean


@pytest.mark.own_database
@pytest.mark.parametrize("value", ["prod", "Production", "staging", "dev"])
def test_an_unknown_environment_refuses_to_start(tmp_path, value):
    done = subprocess.run(
        [TIEJUN, "check"],
        env=_clean_env(tmp_path, TIEJUN_ENV=value),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "TIEJUN_ENV must be one of development, test, production" in done.stderr
    assert "Traceback" not in done.stderr


PROBE = """
import django, json, sys
django.setup()
from django.conf import settings
from django.test import Client
if sys.argv[1:] == ["settings"]:
    print(json.dumps({"debug": settings.DEBUG, "proxy_count": settings.PROXY_COUNT}))
    sys.exit(0)
client = Client()
missing = client.get("/nope/")
css = client.get("/static/web/tiejun.css")
print(json.dumps({
    "debug": settings.DEBUG,
    "proxy_count": settings.PROXY_COUNT,
    "missing": [missing.status_code, missing.content.decode()],
    "css": [css.status_code, b"".join(css.streaming_content).decode()[:200]
            if css.streaming else css.content.decode()[:200]],
}))
"""


def _probe(tmp_path: Path, *args: str, **env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=_clean_env(tmp_path, DJANGO_SETTINGS_MODULE="tiejun.settings", **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.own_database
def test_development_shows_the_products_pages_and_still_serves_static_files(tmp_path):
    probe = _probe(
        tmp_path, TIEJUN_ENV="development", TIEJUN_ALLOWED_HOSTS="testserver", TIEJUN_LANGUAGE="en"
    )
    assert probe["debug"] is False
    status, body = probe["missing"]
    assert status == 404
    assert "There is nothing here, or you may not see it." in body
    assert "Using the URLconf" not in body and "DEBUG = True" not in body
    status, css = probe["css"]
    assert status == 200 and css.strip()  # WhiteNoise serves CSS without DEBUG
    # the debug page only on request
    assert _probe(tmp_path, "settings", TIEJUN_DEBUG="true")["debug"] is True


@pytest.mark.own_database
def test_no_proxy_is_trusted_unless_declared_even_in_production(tmp_path):
    probe = _probe(tmp_path, "settings", TIEJUN_ENV="production", TIEJUN_SECRET_KEY="x" * 60)
    assert probe["proxy_count"] == 0
    assert _probe(tmp_path, "settings", TIEJUN_PROXY_COUNT="2")["proxy_count"] == 2


# Built here, not written out: the debug page quotes the test's own source lines.
SECRETS = {name: name + "-" + "s3cret" for name in ("mail", "queue", "huey", "meta", "dsn")}


def _fail() -> None:
    raise RuntimeError("boom")


def test_the_debug_page_masks_mail_and_queue_credentials(settings):
    settings.EMAIL_URL = f"smtp://mailer:{SECRETS['mail']}@smtp.example.com:587?tls=True"
    settings.QUEUE_URL = f"redis://:{SECRETS['queue']}@redis.example.com:6379/0"
    settings.HUEY = {**settings.HUEY, "url": f"redis://:{SECRETS['huey']}@redis.example.com/0"}
    settings.SENTRY_DSN = f"https://{SECRETS['dsn']}@o1.ingest.example.com/1"
    request = RequestFactory().get(
        "/", HTTP_X_NOTE=f"see postgresql://app:{SECRETS['meta']}@db.example.com/tiejun"
    )
    try:
        _fail()
    except RuntimeError:
        html = ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
    for name, secret in SECRETS.items():
        assert secret not in html, name
    # a URL whose name says nothing keeps its host readable, only the password is hidden
    assert "redis://:********@redis.example.com/0" in html


def test_masking_keeps_urls_without_a_password():
    assert mask_url_password("https://tiles.example.com/{z}/{x}/{y}.png") == (
        "https://tiles.example.com/{z}/{x}/{y}.png"
    )
    assert mask_url_password("smtp://u:p@h:25") == "smtp://u:********@h:25"


@pytest.mark.django_db
def test_a_body_over_the_limit_is_a_413_in_the_api_shape(org, settings):
    from tiejun.crm.models import Deal
    from tiejun.org.services import token_create

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    token = token_create(person=org.admin)
    body = {"employee_no": "R1", "customer_code": "C1", "amount": "1", "won_date": "2026-01-05"}
    body["customer_name"] = "x" * 5_000
    response = Client().post(
        "/api/v1/deals",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 413
    # in the caller's language (the token's person reads Chinese by default)
    assert response.json()["detail"] in {
        "The request is too large: at most 2000 bytes.",
        "请求过大：最多 2000 字节。",
    }
    assert not Deal.objects.exists()
