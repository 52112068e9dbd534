"""Every screen at real size (issue 14): a 13-rep team with three-character names under a long
unit name, at the phone (390×844) and laptop (1366×768) sizes people use."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org, person
from tiejun.crm.services.customers import customer_create
from tiejun.field.services.plans import plan_add_customers, plan_get_or_create
from tiejun.org.services import unit_create
from tiejun.targets.services import target_set
from tiejun.workdays import month_start

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
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


def _team(org):
    team = unit_create(code="HZ-LONG-01", name=LONG_UNIT, kind="team", parent=org.branch)
    month = month_start(timezone.localdate())
    reps = []
    for i, name in enumerate(NAMES, start=1):
        rep = person(f"ZJ-HZ-01{i:02d}", team, name=name)
        target_set(month=month, metric="revenue", person=rep, value=Decimal(180000 + 1000 * i))
        reps.append(rep)
    target_set(month=month, metric="revenue", unit=team, value=Decimal(2500000))
    return team, reps


def _context(page, viewport):
    context = page.context.browser.new_context(locale="zh-CN", viewport=viewport)
    other = context.new_page()
    other.set_default_timeout(15000)
    other.base_url = page.base_url
    return context, other


def test_phone_plan_page_map_links_and_the_top_bar(page):
    org = build_org()
    _unit, reps = _team(org)
    rep = reps[0]
    for i in range(6):
        customer_create(
            code=f"C{i}",
            name=f"杭州西湖数字科技有限公司第{i}分店",
            owner=rep,
            by=rep,
            lat=Decimal("30.2590") + Decimal("0.01") * i,
            lon=Decimal("120.1490") - Decimal("0.008") * i,
            phone=f"0571-8888 12{i:02d}",
            address=f"杭州市西湖区文三路{100 + i}号",
        )
    day = timezone.localdate()
    plan = plan_get_or_create(person=rep, date=day)
    plan_add_customers(plan=plan, codes=[f"C{i}" for i in range(6)])
    context, phone = _context(page, PHONE)
    try:
        log_in(phone, rep.employee_no)
        phone.goto(f"{phone.base_url}/field/plans/{rep.employee_no}/{day.isoformat()}/")
        expect(phone.locator("#plan-map .leaflet-marker-icon")).to_have_count(6)
        # every stop: call and navigate, buttons a thumb can hit, nothing wider than the phone
        first = phone.locator('tr[data-code="C0"]')
        expect(first.locator('a[data-link="call"]')).to_have_attribute("href", "tel:057188881200")
        for app in ("amap", "baidu", "apple"):
            expect(first.locator(f'a[data-link="{app}"]')).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        expect(phone.locator("#start-here")).to_be_visible()
        # scroll the map under the sticky bar: the bar stays on top of every marker
        phone.evaluate(
            "() => window.scrollTo(0, document.getElementById('plan-map').getBoundingClientRect().top"
            " + window.scrollY - 20)"
        )
        on_top = phone.evaluate(
            """() => {
              const bar = document.querySelector('.topnav').getBoundingClientRect();
              const hit = document.elementFromPoint(bar.width / 2, bar.bottom - 4);
              return !!hit.closest('.topnav');
            }"""
        )
        assert on_top
    finally:
        context.close()


def test_laptop_kickoff_prints_its_table_on_the_first_page(page):
    org = build_org()
    team, reps = _team(org)
    context, laptop = _context(page, LAPTOP)
    try:
        log_in(laptop, org.manager.employee_no)
        laptop.goto(f"{laptop.base_url}/rhythm/kickoff/{team.code}/")
        expect(laptop.locator(f'tr[data-code="{reps[-1].employee_no}"]')).to_be_visible()
        # the reps' total is the sum of the rows; the team's own target says why it differs
        expect(laptop.locator('[data-row="reps_total"] [data-figure="target"]')).to_have_text(
            f"¥{sum(180000 + 1000 * i for i in range(1, 14)):,}.00"
        )
        expect(laptop.locator('[data-note="why"]')).to_contain_text("¥2,500,000.00")
        # printed on A4 (less its margins, at 96 dpi): the whole table on the first page
        laptop.set_viewport_size({"width": 726, "height": 1047})
        laptop.emulate_media(media="print")
        bottom = laptop.evaluate(
            "document.querySelector('.kickoff-table').getBoundingClientRect().bottom"
        )
        assert bottom <= 1047
        code = laptop.locator(f'tr[data-code="{reps[0].employee_no}"] .code')
        assert code.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
        assert float(code.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 11
    finally:
        context.close()


def test_risks_filter_by_kind_and_unit_on_a_laptop(page):
    org = build_org()
    team, reps = _team(org)
    context, laptop = _context(page, LAPTOP)
    try:
        log_in(laptop, org.manager.employee_no)
        laptop.goto(f"{laptop.base_url}/rhythm/risks/{org.branch.code}/")
        laptop.select_option("select[name=within]", team.code)
        laptop.click("#risk-filters button[type=submit]")
        # read the list only once the filtered page has replaced the unfiltered one
        expect(laptop).to_have_url(re.compile(rf"within={team.code}"))
        expect(laptop.locator(".risk-list li").first).to_be_attached()
        codes = laptop.locator(".risk-list li").evaluate_all(
            "items => items.map(i => i.dataset.code)"
        )
        assert codes and set(codes) <= {team.code, *(r.employee_no for r in reps)}
        laptop.select_option("select[name=kind]", "allocation_gap")
        laptop.click("#risk-filters button[type=submit]")
        expect(laptop).to_have_url(re.compile(r"kind=allocation_gap"))
        kinds = laptop.locator(".risk-list li").evaluate_all("i => i.map(x => x.dataset.kind)")
        assert set(kinds) <= {"allocation_gap"}
        for kind in ("missing_report", "visit_shortfall"):
            expect(laptop.locator(".risk-legend")).not_to_contain_text(kind)
        assert laptop.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    finally:
        context.close()


def test_move_form_shows_todays_date_in_chinese(page):
    org = build_org()
    context, laptop = _context(page, LAPTOP)
    try:
        log_in(laptop, org.manager.employee_no)
        laptop.goto(f"{laptop.base_url}/people/R1/")
        expect(laptop.locator("input[name=effective_date]")).to_have_value(
            timezone.localdate().isoformat()
        )
    finally:
        context.close()
