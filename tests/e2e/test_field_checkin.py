"""The phone's check-in page in Chromium: an emulated position inside and outside the geofence;
offline check-ins queued in the browser and synced exactly once when the network returns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org
from tiejun.crm.models import Customer
from tiejun.field.models import Visit

pytestmark = [pytest.mark.e2e, pytest.mark.real_clock, pytest.mark.django_db(transaction=True)]

LAT, LON = 30.25, 120.15


@pytest.fixture
def company():
    org = build_org()
    rep = org.reps["R1"]
    Customer.objects.create(
        code="C1", name="西湖茶业", lat=Decimal(LAT), lon=Decimal(LON), owner=rep
    )
    Customer.objects.create(
        code="C2", name="钱塘机械", lat=Decimal(LAT), lon=Decimal(LON), owner=rep
    )
    return org


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        locale="en-US",
        viewport={"width": 412, "height": 915},
        permissions=["geolocation"],
        geolocation={"latitude": LAT + 0.0005, "longitude": LON, "accuracy": 15},
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield context, page
    context.close()


def check_in(page, code: str) -> None:
    page.select_option("#customer", code)
    page.click("#submit")


def test_check_in_inside_and_outside_the_geofence(phone, company):
    context, page = phone
    log_in(page, "R1")
    page.goto(page.base_url + "/field/checkin/")
    # inside: ~55 m from the customer
    check_in(page, "C1")
    visits = page.locator("#visit-list li.visit")
    expect(visits).to_have_count(1)
    expect(visits.first.locator(".flag")).to_have_count(0)
    expect(page.locator("#warnings li")).to_have_count(0)
    # outside: ~1.1 km away
    context.set_geolocation({"latitude": LAT + 0.01, "longitude": LON, "accuracy": 15})
    check_in(page, "C2")
    expect(visits).to_have_count(2)
    expect(visits.nth(1).locator(".flag")).to_have_count(1)
    expect(visits.nth(1)).to_contain_text("outside the geofence")
    # the rep is told at once, not only by the flag in the list
    warnings = page.locator("#warnings")
    expect(warnings).to_contain_text("钱塘机械 (C2): You are ")
    expect(warnings).to_contain_text("check-ins farther than 300 m are flagged")
    expect(warnings).to_contain_text("Your open visit at 西湖茶业 was checked out")
    expect(page.locator("#queue-count")).to_have_text("0")
    flags = dict(Visit.objects.values_list("customer__code", "outside_geofence"))
    assert flags == {"C1": False, "C2": True}


def test_offline_check_ins_are_queued_and_synced_exactly_once(phone, company):
    context, page = phone
    log_in(page, "R1")
    page.goto(page.base_url + "/field/checkin/")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.ready")
    # when: the network goes and two check-ins are made
    context.set_offline(True)
    check_in(page, "C1")
    expect(page.locator("#queue-count")).to_have_text("1")
    check_in(page, "C2")
    # then: both wait on the phone, none reached the server
    expect(page.locator("#queue-count")).to_have_text("2")
    expect(page.locator("#queue-list li.queued")).to_have_count(2)
    expect(page.locator("#net-state")).to_have_text("offline")
    assert Visit.objects.count() == 0
    # the page still opens offline, from the service worker's cache, with the queue
    page.reload()
    expect(page.locator("#queue-count")).to_have_text("2")
    # when: the network comes back
    context.set_offline(False)
    # then: both are sent, exactly once
    expect(page.locator("#queue-count")).to_have_text("0", timeout=20000)
    expect(page.locator("#visit-list li.visit")).to_have_count(2)
    assert sorted(Visit.objects.values_list("customer__code", flat=True)) == ["C1", "C2"]
    # a later retry (another sync round, a reload) sends nothing twice
    page.reload()
    expect(page.locator("#visit-list li.visit")).to_have_count(2)
    page.wait_for_timeout(500)
    assert Visit.objects.count() == 2
