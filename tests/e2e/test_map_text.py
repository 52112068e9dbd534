"""Customer names on the Leaflet maps are text: a name that is HTML shows as typed, runs nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org
from tiejun.crm.services.customers import customer_create
from tiejun.field.services.plans import plan_add_customers, plan_get_or_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOSTILE = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture
def rep_with_a_hostile_customer():
    org = build_org()
    rep = org.reps["R1"]
    customer_create(
        code="C1", name=HOSTILE, owner=rep, by=rep, lat=Decimal("30.259"), lon=Decimal("120.149")
    )
    return rep


def test_plan_map_tooltip_shows_a_customer_name_as_text(page, rep_with_a_hostile_customer):
    # given: tomorrow's plan visits the customer whose name is an HTML tag
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    plan = plan_get_or_create(person=rep_with_a_hostile_customer, date=tomorrow)
    plan_add_customers(plan=plan, codes=["C1"])
    log_in(page, "R1")
    # when: the plan page draws the map and every stop's tooltip is opened
    page.goto(f"{page.base_url}/field/plans/R1/{tomorrow.isoformat()}/")
    page.wait_for_function("window.planMap !== undefined")
    page.evaluate("window.planMap.eachLayer(function (l) { if (l.getTooltip()) l.openTooltip(); })")
    # then: the tooltip holds the name as typed, and no image was made of it
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_have_text("1. " + HOSTILE)
    assert tooltip.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_customer_map_popup_shows_a_customer_name_as_text(page, rep_with_a_hostile_customer):
    log_in(page, "R1")
    page.goto(f"{page.base_url}/customers/map/")
    page.wait_for_function("window.customerMap !== undefined")
    page.evaluate("window.customerMap.eachLayer(function (l) { if (l.getPopup()) l.openPopup(); })")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(HOSTILE + " (C1)")
    assert popup.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
