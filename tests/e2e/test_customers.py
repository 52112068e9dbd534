"""A rep in Chromium: creates a customer with coordinates, finds it on the Leaflet map through
the filters, opens it and adds a contact and an opportunity."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org
from tiejun.crm.models import Customer
from tiejun.crm.services.customers import customer_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MARKERS = "#customer-map path.leaflet-interactive"
# Runs before any page script: records Content-Security-Policy violations (an inline handler...).
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def filter_map(page, **choices: str) -> None:
    for name, value in choices.items():
        page.select_option(f"#f-{name}", value)
    page.click("#customer-filters button[type=submit]")


def test_rep_creates_a_customer_finds_it_on_the_map_and_fills_in_the_brief(page):
    org = build_org()
    rep = org.reps["R1"]
    # given: a customer of R1 and one in the open pool, both placed, B priority
    customer_create(
        code="C-OLD",
        name="钱塘机械",
        owner=rep,
        by=rep,
        lat="30.26",
        lon="120.17",
        status="customer",
    )
    customer_create(code="P-1", name="公海五金", lat="30.28", lon="120.12")
    page.add_init_script(WATCH_CSP)
    log_in(page, "R1")
    # when: the rep creates a customer with coordinates from the list
    page.goto(page.base_url + "/customers/")
    page.click("#new-customer")
    page.fill("#id_code", "C-NEW")
    page.fill("#id_name", "西湖茶业")
    page.fill("#id_address", "杭州市西湖区龙井路1号")
    page.fill("#id_lat", "30.2431")
    page.fill("#id_lon", "120.1283")
    page.select_option("#id_priority", "A")
    page.fill("#id_opens_at", "08:30")
    page.fill("#id_closes_at", "17:30")
    page.click("#save-customer")
    # then: its page opens, and the rep owns it
    expect(page).to_have_url(re.compile(r"/customers/C-NEW/$"))
    expect(page.locator("h1")).to_contain_text("西湖茶业")
    assert page.evaluate("window.__csp") == []
    assert Customer.objects.get(code="C-NEW").owner == rep
    # when: the map opens, every visible placed customer has a marker
    page.goto(page.base_url + "/customers/map/")
    expect(page.locator(MARKERS)).to_have_count(3)
    assert page.evaluate("window.__csp") == []
    # then: the filters hide and show markers
    filter_map(page, priority="A")
    expect(page.locator(MARKERS)).to_have_count(1)
    filter_map(page, priority="", status="customer")
    expect(page.locator(MARKERS)).to_have_count(1)
    filter_map(page, status="", owner="R1")
    expect(page.locator(MARKERS)).to_have_count(2)  # the pool customer is hidden
    filter_map(page, owner="")
    expect(page.locator(MARKERS)).to_have_count(3)
    # when: the rep opens the new customer from its marker's popup
    filter_map(page, priority="A")
    page.locator(MARKERS).first.click()
    page.locator(".leaflet-popup-content a").click()
    expect(page).to_have_url(re.compile(r"/customers/C-NEW/$"))
    # and: adds a contact, with a mistake first
    page.click("#add-contact")
    page.fill("#contact-form input[name=contact-title]", "采购经理")
    page.click("#contact-form button[type=submit]")
    expect(page.locator("#contact-form .field-error")).to_be_visible()
    page.fill("#contact-form input[name=contact-name]", "王经理")
    page.fill("#contact-form input[name=contact-phone]", "13800000000")
    page.click("#contact-form button[type=submit]")
    expect(page.locator("#contacts tbody")).to_contain_text("王经理")
    expect(page.locator("#contacts tbody")).to_contain_text("13800000000")
    assert page.evaluate("window.__csp") == []
    # and: an opportunity
    page.click("#add-opportunity")
    form = page.locator("#opportunity-form")
    form.locator("input[name=opportunity-title]").fill("年度茶叶采购")
    form.locator("select[name=opportunity-stage]").select_option("proposal")
    form.locator("input[name=opportunity-amount]").fill("58000")
    form.locator("input[name=opportunity-expected_close]").fill("2026-12-20")
    form.locator("input[name=opportunity-probability]").fill("60")
    form.locator("button[type=submit]").click()
    expect(page.locator("#opportunities tbody")).to_contain_text("年度茶叶采购")
    # then: both are stored on the customer
    customer = Customer.objects.get(code="C-NEW")
    assert list(customer.contacts.values_list("name", "title")) == [("王经理", "采购经理")]
    opp = customer.opportunities.get()
    assert (opp.stage, opp.amount, opp.probability) == (
        "proposal",
        Decimal("58000"),
        Decimal("0.6"),
    )
