"""The top menu at every width people use (issue 14, point 9): signed in with a three-character
name, in Chinese and in English, no menu item's label wraps and nothing runs off the screen; the
menu lists only what the role may open."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org, person
from tiejun.org.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOPS = [1024, 1280, 1366, 1440, 1920]
PHONE = {"width": 390, "height": 844}
LOCALES = ["zh-CN", "en-US"]

# For every visible label of the bar: how many lines its text takes, and whether its box leaves
# the screen; and whether the page scrolls sideways.
MEASURE = """() => {
  // the lines the element's text runs over: text boxes that do not overlap vertically
  const lines = (el) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const rects = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      rects.push(...[...range.getClientRects()].filter(r => r.width > 0));
    }
    rects.sort((a, b) => a.top - b.top);
    let count = 0, bottom = -Infinity;
    for (const r of rects) {
      if (r.top >= bottom - 1) { count += 1; bottom = r.bottom; } else bottom = Math.max(bottom, r.bottom);
    }
    return count;
  };
  const items = [...document.querySelectorAll('.topnav .nav-item, .topnav .nav-group-btn, .topnav .nav-menu a, .topnav .brand, .topnav .who, .topnav .logout button, .topnav .langswitch button')]
    .filter(el => el.offsetParent !== null && getComputedStyle(el).visibility !== 'hidden');
  return {
    items: items.map(el => ({
      text: el.textContent.trim(),
      lines: lines(el),
      right: el.getBoundingClientRect().right,
      left: el.getBoundingClientRect().left,
    })),
    width: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    barHeight: document.querySelector('.topnav').getBoundingClientRect().height,
    compact: document.querySelector('.topnav').classList.contains('nav-compact'),
  };
}"""


@pytest.fixture
def people():
    org = build_org()
    admin = person("A9", org.company, Role.ADMIN, name="欧阳娜")
    rep = person("R9", org.team_a, name="李晓东")
    return admin, rep


def check_bar(page, where: str) -> dict:
    bar = page.evaluate(MEASURE)
    assert bar["items"], where
    for item in bar["items"]:
        assert item["lines"] == 1, (where, item)
        assert item["left"] >= -1 and item["right"] <= bar["width"] + 1, (where, item)
    assert bar["scrollWidth"] <= bar["width"], where
    return bar


def test_no_menu_item_wraps_at_any_desktop_width_in_either_language(page, people):
    admin, _rep = people
    for locale in LOCALES:
        context = page.context.browser.new_context(
            locale=locale, viewport={"width": DESKTOPS[0], "height": 800}
        )
        desk = context.new_page()
        desk.set_default_timeout(15000)
        desk.base_url = page.base_url
        try:
            log_in(desk, admin.employee_no)
            expect(desk.locator(".topnav .who")).to_have_text("欧阳娜")
            for width in DESKTOPS:
                desk.set_viewport_size({"width": width, "height": 800})
                desk.goto(f"{desk.base_url}/me/")
                where = f"{locale} {width}px"
                bar = check_bar(desk, where)
                # one row of sections, not folded behind the burger
                assert not bar["compact"], where
                assert bar["barHeight"] < 70, where
                # each group's menu opens under its button, every entry on one line, on screen
                for group in desk.locator(".nav-group").all():
                    group.locator(".nav-group-btn").click()
                    expect(group.locator(".nav-menu")).to_be_visible()
                    check_bar(desk, f"{where} {group.get_attribute('data-nav-group')}")
                    desk.keyboard.press("Escape")
                    desk.mouse.move(0, 400)
                    expect(group).not_to_have_class("nav-group open")
        finally:
            context.close()


def test_the_phone_menu_folds_behind_the_burger_and_wraps_nothing(page, people):
    admin, _rep = people
    for locale in LOCALES:
        context = page.context.browser.new_context(locale=locale, viewport=PHONE)
        phone = context.new_page()
        phone.set_default_timeout(15000)
        phone.base_url = page.base_url
        try:
            log_in(phone, admin.employee_no)
            phone.goto(f"{phone.base_url}/me/")
            expect(phone.locator(".nav-links")).to_be_hidden()
            check_bar(phone, f"{locale} phone closed")
            phone.click(".nav-burger")
            expect(phone.locator(".nav-links")).to_be_visible()
            # every section listed, grouped under its heading, one line each
            expect(phone.locator('.nav-links [data-nav="audit"]')).to_be_visible()
            expect(phone.locator('.nav-links [data-nav="screens"]')).to_be_visible()
            check_bar(phone, f"{locale} phone open")
        finally:
            context.close()


def test_the_menu_lists_only_what_the_role_opens(page, people):
    _admin, rep = people
    log_in(page, rep.employee_no)
    page.goto(f"{page.base_url}/me/")
    links = page.locator(".nav-links a").evaluate_all("els => els.map(e => e.dataset.nav)")
    assert {"board", "me", "deals", "customers", "field"} <= set(links)
    assert not {"lab", "import", "audit", "screens"} & set(links)
    check_bar(page, "rep 1280px")
    # and each listed page opens for the rep
    for href in page.locator(".nav-links a").evaluate_all("els => els.map(e => e.href)"):
        response = page.request.get(href)
        assert response.status == 200, href
