"""The wall TV at 1920×1080 (issue 14, points 5–8): a 13-rep team with three-character names under
a long unit name turns its pages and never cuts a row; "ahead" is green and "behind" red; a deal
that lands flashes over the screen; a screen saved in the app opens by its code; the clock keeps
the company's time zone."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org, person
from tiejun.crm.services.deals import DealInput, deal_record
from tiejun.org.services import unit_create
from tiejun.scoreboard.models import SavedScreen
from tiejun.targets.services import target_set
from tiejun.workdays import month_start

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TV = {"width": 1920, "height": 1080}
NAMES = [
    "李晓东",
    "袁艳红",
    "潘亮亮",
    "丁思琪",
    "张超婷",
    "赵雅婷",
    "金雪梅",
    "孙静浩",
    "王鑫勇",
    "熊雪梅",
    "黎艳军",
    "邱锦程",
    "万晓明",
]
LONG_UNIT = "浙江省杭州市西湖区文三路数字经济产业园直销一部第一团队"
TARGET = Decimal(200000)
GREEN, RED = "rgb(74, 222, 128)", "rgb(255, 123, 123)"


def win(rep, amount, *, no, customer="杭州西湖数字科技有限公司"):
    today = timezone.localdate()
    item = DealInput(
        deal_no=no,
        person=rep,
        customer_code=f"C-{no}",
        customer_name=customer,
        amount=Decimal(amount),
        won_date=today,
    )
    return deal_record(item=item, today=today)[0]


def build_team():
    """A branch manager's 13-rep team: the first rep has nothing yet (behind), the last is over
    target (ahead), the others in between; the team as a whole is behind."""
    org = build_org()
    team = unit_create(code="HZ-LONG-01", name=LONG_UNIT, kind="team", parent=org.branch)
    month = month_start(timezone.localdate())
    reps = []
    for i, name in enumerate(NAMES):
        rep = person(f"ZJ-HZ-01{i + 1:02d}", team, name=name)
        target_set(month=month, metric="revenue", person=rep, value=TARGET)
        reps.append(rep)
    target_set(month=month, metric="revenue", unit=team, value=Decimal(100_000_000))
    for i, rep in enumerate(reps[1:], start=1):
        win(rep, 2000 * i * i, no=f"D-{i:03d}")
    win(reps[-1], 210000, no="D-BIG")
    return org, team, reps


def tv_page(page, **options):
    context = page.context.browser.new_context(locale="zh-CN", viewport=TV, **options)
    tv = context.new_page()
    tv.set_default_timeout(20000)
    tv.base_url = page.base_url
    return context, tv


def fits_the_screen(tv) -> dict:
    return tv.evaluate(
        """() => {
          const panel = document.getElementById('tv-panel');
          const rows = [...panel.querySelectorAll('tbody tr')];
          const foot = panel.querySelector('.tv-foot').getBoundingClientRect();
          return {
            rows: rows.length,
            lastRowBottom: Math.max(...rows.map(r => r.getBoundingClientRect().bottom)),
            footTop: foot.top,
            footBottom: foot.bottom,
            height: window.innerHeight,
            scroll: document.documentElement.scrollHeight,
            names: rows.map(r => r.querySelector('td.name').textContent.trim()),
          };
        }"""
    )


def test_every_rep_of_a_13_rep_team_on_pages_that_fit_the_tv(page):
    org, team, reps = build_team()
    context, tv = tv_page(page)
    try:
        log_in(tv, org.manager.employee_no)
        tv.goto(f"{tv.base_url}/tv/?units={team.code}&interval=5")
        panel = tv.locator("#tv-panel")
        expect(panel).to_have_attribute("data-page", "1")
        expect(panel.locator(".tv-unit")).to_have_text(LONG_UNIT)
        # page 1: seven rows, each with target, done and left, the footer on screen
        first = fits_the_screen(tv)
        assert first["rows"] == 7
        assert first["lastRowBottom"] <= first["footTop"] <= first["footBottom"] <= TV["height"]
        assert first["scroll"] <= TV["height"]
        top = panel.locator(f'tr[data-code="{reps[-1].employee_no}"]')
        expect(top.locator('[data-figure="target"]')).to_have_text("¥200,000")
        expect(top.locator('[data-figure="achieved"]')).to_have_text("¥498,000")
        expect(top.locator('[data-figure="left"]')).to_have_text("¥0")
        expect(panel.locator(".tv-pos-page")).to_have_text(re.compile(r"1.*2"))
        # ahead is green and behind red, inside a panel that is behind as a whole
        assert "pace-behind" in (panel.get_attribute("class") or "")
        ahead = top.locator(".pace")
        expect(ahead).to_have_class(re.compile("pace-ahead"))
        assert ahead.evaluate("e => getComputedStyle(e).color") == GREEN
        behind = panel.locator("tr.pace-behind .pace").first
        assert behind.evaluate("e => getComputedStyle(e).color") == RED
        # the page turns: the other six, and the team has been shown whole
        expect(panel).to_have_attribute("data-page", "2", timeout=15000)
        second = fits_the_screen(tv)
        assert second["rows"] == 6
        assert second["lastRowBottom"] <= second["footTop"] <= TV["height"]
        assert sorted(first["names"] + second["names"]) == sorted(NAMES)
    finally:
        context.close()


def test_a_deal_that_lands_flashes_over_the_screen_then_the_rotation_resumes(page):
    org, team, reps = build_team()
    context, tv = tv_page(page)
    try:
        log_in(tv, org.manager.employee_no)
        tv.goto(f"{tv.base_url}/tv/?units={team.code}&interval=6&poll=2")
        tv.wait_for_function("() => window.tvScreen && window.tvScreen.state().cursor !== null")
        expect(tv.locator("#tv-flash")).to_be_hidden()
        # when: a deal lands in the team
        win(reps[3], 36000, no="D-LIVE", customer="杭州滨江智慧城市科技有限公司")
        flash = tv.locator("#tv-flash")
        expect(flash).to_be_visible(timeout=10000)
        expect(flash).to_have_attribute("data-kind", "win")
        expect(flash.locator('[data-field="name"]')).to_have_text(NAMES[3])
        expect(flash.locator('[data-field="amount"]')).to_have_text("¥36,000")
        expect(flash.locator('[data-field="customer"]')).to_have_text(
            "杭州滨江智慧城市科技有限公司"
        )
        expect(flash.locator('[data-field="unit"]')).to_have_text(LONG_UNIT)
        total = sum(2000 * i * i for i in range(1, 13)) + 210000 + 36000
        expect(flash.locator('[data-field="total"]')).to_contain_text(f"¥{total:,}")
        expect(flash.locator('[data-field="total"]')).to_contain_text("¥100,000,000")
        # then: it goes, and the rotation that waited for it goes on
        expect(flash).to_be_hidden(timeout=15000)
        expect(tv.locator("#tv-panel")).to_have_attribute("data-page", "2", timeout=15000)
        # a deal that takes a rep to 100 % of target is a milestone: the bigger flash
        win(reps[0], 200000, no="D-GOAL", customer="浙江钱塘新区制造有限公司")
        expect(flash).to_be_visible(timeout=10000)
        expect(flash).to_have_attribute("data-kind", "milestone")
        expect(flash).to_have_class(re.compile("tv-flash-milestone"))
        expect(flash.locator('[data-field="milestone"]')).to_contain_text(NAMES[0])
    finally:
        context.close()


def test_a_manager_saves_a_screen_and_the_tv_opens_it_by_its_code(page):
    org, team, _reps = build_team()
    # the TV sits in another time zone than the company: the clock keeps the company's
    context, tv = tv_page(page, timezone_id="America/New_York")
    try:
        log_in(tv, org.manager.employee_no)
        tv.goto(f"{tv.base_url}/tv/screens/new/")
        tv.fill("input[name=name]", "杭州大厅")
        tv.check(f'input[name=units][value="{team.code}"]')
        tv.check(f'input[name=units][value="{org.team_a.code}"]')
        tv.fill("input[name=seconds]", "20")
        tv.check('input[name=panels][value="kickoff"]')
        tv.click("#screen-form button[type=submit]")
        expect(tv.locator(".flash-success")).to_be_visible()
        screen = SavedScreen.objects.get(name="杭州大厅")
        # in the tree's order (units of a branch by their sort key and code)
        assert [s.unit.code for s in screen.slots.all()] == [team.code, org.team_a.code]
        assert screen.panels == ["board", "kickoff"] and screen.seconds == 20
        row = tv.locator(f'#screens tr[data-code="{screen.code}"]')
        expect(row).to_contain_text(LONG_UNIT)
        # the code typed on the TV, in lower case, opens it
        tv.goto(f"{tv.base_url}/tv/s/")
        tv.fill("#tv-code", screen.code.lower())
        tv.press("#tv-code", "Enter")
        expect(tv).to_have_url(re.compile(rf"/tv/s/{screen.code}/$"))
        expect(tv.locator(".tv-brand")).to_contain_text("杭州大厅")
        expect(tv.locator("#tv-panel")).to_have_attribute("data-unit", team.code)
        expect(tv.locator("#tv-panel")).to_have_attribute("data-panel", "board")
        company_now = (
            "new Intl.DateTimeFormat('en-GB', {timeZone: 'Asia/Shanghai', hour: '2-digit',"
            " minute: '2-digit', hourCycle: 'h23'}).format(new Date())"
        )
        before = tv.evaluate(company_now)
        clock = tv.locator("#tv-time").inner_text()
        assert clock in {before, tv.evaluate(company_now)}
        # an unknown code says so
        tv.goto(f"{tv.base_url}/tv/s/?code=ZZZZ")
        expect(tv.locator(".tv-error")).to_contain_text("ZZZZ")
    finally:
        context.close()
