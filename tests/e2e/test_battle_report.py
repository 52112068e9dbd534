"""The battle report page (issue 14, point 2) for a 13-rep team with three-character names under a
long unit name, on a phone (390×844) and a laptop (1366×768): every rep's gap is there, the five
closest to their target are highlighted, nothing is wider than the screen, and the text-message
form names every rep in whole fields."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org, deal, person
from tiejun.org.services import unit_create
from tiejun.targets.services import target_set

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
DAY = dt.date(2026, 11, 27)  # a Friday: one working day of November left after it
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


def _team():
    """The 13 reps, each with a ¥1,200,000 target; rep i has won i × ¥85,000 (the last, 万晓明,
    is closest). Returns the manager of the branch above and the reps' numbers, closest first."""
    org = build_org()
    team = unit_create(code="HZ-LONG-01", name=LONG_UNIT, kind="team", parent=org.branch)
    numbers = []
    for i, name in enumerate(NAMES, start=1):
        rep = person(f"ZJ-HZ-01{i:02d}", team, name=name)
        target_set(
            month=DAY.replace(day=1),
            metric="revenue",
            person=rep,
            value=Decimal(1200000),
            today=dt.date(2026, 10, 30),
        )
        deal(rep, 85000 * i, DAY, customer=f"K{i}")
        numbers.append(rep.employee_no)
    return org.manager, team, numbers[::-1]


def _open(browser, live_server, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    return context, page


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_battle_report_shows_every_rep_and_highlights_the_closest(browser, live_server, viewport):
    # given: a 13-rep team under a long unit name
    manager, team, closest_first = _team()
    context, page = _open(browser, live_server, viewport)
    try:
        # when: the branch manager opens the team's battle report of the day
        log_in(page, manager.employee_no)
        page.goto(f"{page.base_url}/broadcast/battle/{team.code}/?date={DAY.isoformat()}")
        expect(page.locator("h1")).to_contain_text(LONG_UNIT)
        report = page.frame_locator("iframe")
        rows = report.locator("[data-section=reps] tr[data-rep]")
        # then: every rep, the closest first, each reachable and readable
        expect(rows).to_have_count(13)
        assert rows.evaluate_all("rs => rs.map(r => r.dataset.rep)") == closest_first
        for number, name in zip(closest_first, NAMES[::-1], strict=True):
            row = report.locator(f'tr[data-rep="{number}"]')
            row.scroll_into_view_if_needed()
            expect(row).to_be_visible()
            expect(row).to_contain_text(name)
        # the five closest are highlighted, the rest compact
        highlighted = report.locator("tr[data-closest]")
        expect(highlighted).to_have_count(5)
        assert highlighted.evaluate_all("rs => rs.map(r => r.dataset.rep)") == closest_first[:5]
        colour = highlighted.first.evaluate("r => getComputedStyle(r).backgroundColor")
        plain = rows.nth(5).evaluate("r => getComputedStyle(r).backgroundColor")
        assert colour == "rgb(254, 243, 199)" and plain != colour
        weight = highlighted.first.locator("td").first.evaluate(
            "c => getComputedStyle(c).fontWeight"
        )
        assert int(weight) >= 600
        small = rows.nth(12).evaluate("r => parseFloat(getComputedStyle(r).fontSize)")
        assert small < highlighted.first.evaluate("r => parseFloat(getComputedStyle(r).fontSize)")
        # 万晓明 has ¥1,105,000 and ¥95,000 to go; 李晓东 ¥1,115,000 to go
        expect(report.locator(f'tr[data-rep="{closest_first[0]}"]')).to_contain_text("¥95,000")
        expect(report.locator(f'tr[data-rep="{closest_first[-1]}"]')).to_contain_text("¥1,115,000")
        # nothing wider than the screen: the page, the e-mail inside it, each row of the report
        width = viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        frame = next(f for f in page.frames if f != page.main_frame)
        assert frame.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        assert max(rows.evaluate_all("rs => rs.map(r => r.getBoundingClientRect().right)")) <= (
            width
        )
        # the text message names every rep and no figure is split between two messages
        messages = page.locator("p.sms")
        expect(messages.first).to_be_visible()
        text = "".join(
            re.sub(r"^\(\d+/\d+\)", "", t.rsplit(" (", 1)[0].strip())
            for t in messages.all_inner_texts()
        )
        for name in NAMES:
            assert name in text, name
        for t in messages.all_inner_texts():
            body = t.rsplit(" (", 1)[0].strip()
            assert not re.search(r"[¥\d][\d,]*,$", body), body
    finally:
        context.close()
