"""Incentives at real size (issue 16): a rep on the phone reads their statement and YTD
milestone progress; a manager on the laptop approves a statement and exports it as XLSX. A
13-rep team with three-character names under a long unit name."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org, deal, person
from tiejun.incentives.models import Statement
from tiejun.incentives.services import plan_load
from tiejun.org.services import unit_create
from tiejun.targets.services import target_set

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
NAMES = [
    "李晓东", "袁艳红", "潘亮亮", "丁思琪", "张超婷", "赵雅婷", "金雪梅",
    "孙静浩", "王鑫勇", "熊雪梅", "黎艳军", "邱锦程", "万晓明",
]  # fmt: skip
LONG_UNIT = "浙江省杭州市西湖区文三路数字经济产业园直销一部第一团队"
NOV = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 12, 16)
PLAN = {
    "code": "STD-2026",
    "name": "标准提成",
    "effective_from": "2026-01-01",
    "units": ["HQ"],
    "roles": ["rep"],
    "tiers": [
        {"from": 0, "to": 0.8, "rate": 0.03},
        {"from": 0.8, "to": 1.0, "rate": 0.05},
        {"from": 1.0, "to": None, "rate": 0.08},
    ],
    "milestones": [
        {
            "code": "M1",
            "threshold": "1000000",
            "reward": "期权 20,000 股",
            "roles": ["rep"],
            "forfeit_on_promotion": True,
        }
    ],
}


def _team():
    org = build_org()
    team = unit_create(code="HZ-LONG-01", name=LONG_UNIT, kind="team", parent=org.branch)
    reps = []
    for i, name in enumerate(NAMES, start=1):
        rep = person(f"ZJ-HZ-01{i:02d}", team, name=name)
        target_set(
            month=NOV,
            metric="revenue",
            person=rep,
            value=Decimal(100000 + 1000 * i),
            by=org.admin,
            reason="测试目标设定原因说明",
            today=dt.date(2026, 10, 28),
        )
        deal(rep, 60000 + 9000 * i, dt.date(2026, 11, 3 + i), today=TODAY)
        reps.append(rep)
    # the first rep: 988,600 this year, near the ¥1M milestone
    deal(reps[0], Decimal(988600) - Decimal(69000), dt.date(2026, 6, 1), today=TODAY)
    plan_load(data=PLAN)
    return org, reps


def _screen(page, viewport):
    context = page.context.browser.new_context(locale="zh-CN", viewport=viewport)
    screen = context.new_page()
    screen.set_default_timeout(15000)
    screen.base_url = page.base_url
    return context, screen


def test_a_rep_reads_their_statement_and_milestone_on_the_phone(page):
    _org, reps = _team()
    rep = reps[0]  # target 101,000, achieved 69,000: all in the first tier, 3 %
    context, screen = _screen(page, PHONE)
    try:
        log_in(screen, rep.employee_no)
        screen.goto(f"{screen.base_url}/incentives/statements/{rep.employee_no}/2026-11/")
        expect(screen.locator("h1")).to_contain_text(rep.name)
        expect(screen.locator("[data-figure=achieved]")).to_have_text("¥69,000.00")
        expect(screen.locator("[data-figure=total]")).to_have_text("¥2,070.00")
        expect(screen.locator("[data-approve]")).to_have_count(0)
        # the YTD card on their own page, loaded after the page
        screen.goto(f"{screen.base_url}/people/{rep.employee_no}/")
        card = screen.locator("#milestones")
        expect(card).to_contain_text("期权 20,000 股")
        expect(card.locator("[data-figure=ytd]")).to_have_text(re.compile("¥988,600.+¥1,000,000"))
        box = card.bounding_box()
        assert box is not None and box["width"] <= PHONE["width"]
        # a colleague's statement is not theirs to read
        other = screen.goto(
            f"{screen.base_url}/incentives/statements/{reps[1].employee_no}/2026-11/"
        )
        assert other is not None and other.status == 404
    finally:
        context.close()


def test_a_manager_approves_and_exports_on_the_laptop(page):
    org, reps = _team()
    rep = reps[4]  # target 105,000, achieved 105,000: 84,000 × 3 % + 21,000 × 5 % = 3,570
    context, screen = _screen(page, LAPTOP)
    try:
        log_in(screen, org.manager.employee_no)
        screen.goto(f"{screen.base_url}/incentives/statements/?month=2026-11")
        row = screen.locator(f"tr[data-person='{rep.employee_no}']")
        expect(row).to_contain_text(LONG_UNIT)
        row.get_by_role("link", name=rep.name).click()
        expect(screen.locator("[data-figure=total]")).to_have_text("¥3,570.00")
        screen.locator("[data-approve]").click()
        expect(screen.locator("#statement")).to_have_attribute("data-status", "approved")
        statement = Statement.objects.get(person=rep, month=NOV)
        assert statement.total == Decimal("3570.00") and statement.approved_by == org.manager
        with screen.expect_download() as info:
            screen.locator("[data-export=xlsx]").click()
        download = info.value
        assert download.suggested_filename == f"statement-{rep.employee_no}-2026-11.xlsx"
        sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
        cells = [c for line in sheet.iter_rows(values_only=True) for c in line if c is not None]
        assert f"{rep.name} ({rep.employee_no})" in cells
        assert 3570 in [c for c in cells if isinstance(c, int | float)]
    finally:
        context.close()
