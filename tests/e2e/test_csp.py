"""The Content-Security-Policy in a real Chromium: the key pages load and run their scripts with
no violation (an inline script or style without the nonce, an inline handler, a foreign host)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org, deal
from tiejun.crm.models import Customer
from tiejun.field.models import VisitPlan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAT, LON = 30.25, 120.15

# Runs before any page script, outside the page's CSP: records violations and stubs printing.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
window.__printed = 0;
window.print = () => { window.__printed += 1; };
"""


@pytest.fixture
def company():
    org = build_org()
    today = timezone.localdate()
    deal(org.reps["R1"], 12000, today.replace(day=1), today=today)
    rep = org.reps["R1"]
    for code, name in [("C1", "西湖茶业"), ("C2", "钱塘机械")]:
        Customer.objects.create(code=code, name=name, lat=Decimal(LAT), lon=Decimal(LON), owner=rep)
    tomorrow = today + dt.timedelta(days=1)
    VisitPlan.objects.create(
        person=rep, date=tomorrow, start_label="家", start_lat=LAT, start_lon=LON
    )
    return org


@pytest.fixture
def watched(browser, live_server):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
        permissions=["geolocation"],
        geolocation={"latitude": LAT, "longitude": LON, "accuracy": 15},
    )
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    yield page, console
    context.close()


def visit(page, console: list[str], path: str) -> None:
    page.goto(page.base_url + path)
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__csp")
    assert (violations, console) == ([], []), path


def test_key_pages_raise_no_csp_violation(watched, company):
    page, console = watched
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    # a manager's pages
    log_in(page, "A1")
    visit(page, console, "/board/HQ/")
    visit(page, console, "/tv/?units=HQ")
    expect(page.locator(".tv-panel, .tv-empty").first).to_be_visible()
    visit(page, console, "/customers/C1/")
    visit(page, console, "/customers/map/")
    assert page.evaluate("typeof window.customerMap") == "object"  # the nonced script ran
    visit(page, console, "/rhythm/kickoff/HQ/")
    page.click("[data-print]")
    assert page.evaluate("window.__printed") == 1
    visit(page, console, "/targets/HZ/")
    visit(page, console, "/lab/")
    visit(page, console, "/import/")
    visit(page, console, "/no-such-page/")
    page.context.clear_cookies()
    # a rep's field pages
    log_in(page, "R1")
    visit(page, console, "/field/checkin/")
    visit(page, console, f"/field/plans/R1/{tomorrow}/")
    expect(page.locator("#plan-map.leaflet-container")).to_be_visible()
    visit(page, console, f"/field/plans/R1/{tomorrow}/sheet/")
    page.click("[data-print]")
    assert page.evaluate("window.__printed") == 1
