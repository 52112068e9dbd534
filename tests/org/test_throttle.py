"""Sign-in throttling counts per account (employee number and e-mail are one) and per client
address as the configured proxies report it; a forged X-Forwarded-For resets nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    return settings


def attempt(login: str, password: str = "wrong", ip: str = "10.0.0.1", **headers: Any):
    return Client().post(
        LOGIN, {"username": login, "password": password}, REMOTE_ADDR=ip, **headers
    )


def test_employee_number_and_e_mail_are_one_account(org, limits):
    # given: wrong passwords through both logins of R1, from one address
    assert attempt("R1").status_code == 200
    assert attempt("r1@example.com").status_code == 200
    # when: the third, through either spelling
    assert attempt(" R1@EXAMPLE.COM ").status_code == 429
    # then: the account is locked whichever login is typed, even with the right password
    assert attempt("R1", PASSWORD).status_code == 429
    assert attempt("r1@example.com", PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"r1"}
    # and another person from the same address is not
    assert attempt("R2", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_does_not_reset_the_count(org, limits, settings):
    # given: no proxy in front of the app (the default) and a client that forges the header
    assert settings.PROXY_COUNT == 0
    for n in range(3):
        attempt("R1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    # then: the count is the peer's, whatever the header said
    assert attempt("R1", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}


def test_behind_one_proxy_the_proxys_entry_is_the_client(org, limits, settings):
    settings.PROXY_COUNT = 1
    # the client prepends forged entries; the proxy appends the real address last
    for n in range(3):
        attempt("R1", ip="10.9.9.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7")
    locked = attempt("R1", PASSWORD, ip="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert locked.status_code == 429
    # another client behind the same proxy is not locked
    other = attempt("R1", PASSWORD, ip="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 302
