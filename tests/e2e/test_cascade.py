"""Journeys of the one-pass cascade, in a real Chromium: a region manager splits next month's
target down to 150 reps in one preview and one save (editing a cell by hand and re-splitting
the rest on the way), and a rep confirms their target on a phone."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PASSWORD, deal
from tiejun.org.models import Role, UnitKind
from tiejun.org.services import person_create, unit_create
from tiejun.targets.models import Target, TargetConfirmation
from tiejun.workdays import add_months, month_start

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红志建国文斌辉鹏"
START = dt.date(2024, 1, 1)
BRANCHES = [
    ("SH", "上海浦东新区第一分公司"),
    ("SZ", "苏州工业园区分公司"),
    ("NJ", "南京江北新区分公司"),
]


def _name(i: int) -> str:
    """A three-character Chinese name, distinct for each i below 1,000."""
    return (
        SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i * 3 + 1) % len(GIVEN)]
    )


@pytest.fixture
def region():
    """华东大区: three branches of four teams, 150 reps in teams of 13 (12–13 reps and their
    supervisor); last month's deals in the first branch make its share the largest."""
    today = timezone.localdate()
    company = unit_create(
        code="HQ", name="铁军科技集团有限公司", kind=UnitKind.COMPANY, parent=None
    )
    east = unit_create(
        code="EAST", name="华东大区（上海·江苏·浙江）", kind=UnitKind.REGION, parent=company
    )
    person_create(
        employee_no="M0",
        name="欧阳明",
        unit=east,
        role=Role.MANAGER,
        start_date=START,
        password=PASSWORD,
    )
    rep_no = 0
    for b, (code, name) in enumerate(BRANCHES):
        branch = unit_create(code=code, name=name, kind=UnitKind.BRANCH, parent=east)
        for t in range(4):
            team = unit_create(
                code=f"{code}{t + 1}",
                name=f"{name[:4]}第{'一二三四'[t]}销售团队",
                kind=UnitKind.TEAM,
                parent=branch,
            )
            person_create(
                employee_no=f"S{b}{t}",
                name=_name(900 + b * 4 + t),
                unit=team,
                role=Role.SUPERVISOR,
                start_date=START,
            )
            for _ in range(13 if (b * 4 + t) < 6 else 12):
                rep_no += 1
                person_create(
                    employee_no=f"R{rep_no:03d}",
                    name=_name(rep_no),
                    unit=team,
                    role=Role.REP,
                    start_date=START,
                    password=PASSWORD if rep_no == 1 else None,
                )
    assert rep_no == 150
    last_month = month_start(today) - dt.timedelta(days=3)
    from tiejun.org.models import Person

    for no, amount in [("R001", 60000), ("R002", 20000), ("R060", 10000), ("R120", 10000)]:
        deal(Person.objects.get(employee_no=no), amount, last_month, today=today)
    return east


def log_in(page, employee_no: str) -> None:
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", employee_no)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def _cell(page, code: str):
    return page.locator(f"#cascade-table tr[data-code='{code}'] td.cell input[type=text]")


def test_a_region_manager_cascades_a_month_to_150_reps_in_one_pass(page, region):
    month = add_months(timezone.localdate(), 1)
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "M0")
    # given: the region's targets page, and its link to the one-pass cascade
    page.goto(f"{page.base_url}/targets/EAST/?month={month:%Y-%m}&metric=revenue")
    page.click("#cascade-link")
    expect(page).to_have_url(re.compile(r"/targets/EAST/cascade/"))
    # when: 3,000,000 by last month's share to the branches, evenly below, in thousands
    page.fill("#id_total", "3,000,000")
    page.select_option("#id_method_0", "share")
    page.select_option("#id_method_1", "even")
    page.select_option("#id_method_2", "even")
    page.select_option("#id_round", "1000")
    page.click("#preview-btn")
    # then: one preview of every unit and all 150 reps, with each branch's base share
    rows = page.locator("#cascade-table tbody tr")
    expect(rows).to_have_count(1 + 3 + 12 + 150)
    expect(page.locator("#cascade-table tr[data-code='SH']")).to_contain_text("80.0%")
    expect(_cell(page, "SH")).to_have_value("2400000")
    assert not Target.objects.exists()
    # when: the manager types one rep's figure by hand and re-splits the rest
    _cell(page, "R001").fill("300000")
    page.click("#preview-btn")
    # then: the cell is kept, its team-mates share the rest, the team still adds up exactly
    expect(_cell(page, "R001")).to_have_value("300000")
    expect(page.locator("#cascade-table tr[data-code='R001']")).to_have_class(re.compile("pinned"))
    team = Decimal(_cell(page, "SH1").input_value())
    mates = [Decimal(_cell(page, f"R{i:03d}").input_value()) for i in range(1, 14)]
    assert sum(mates) == team == Decimal(600000)
    # when: saved
    page.click("#save-btn")
    # then: one save wrote the region, every branch and team, and every rep
    expect(page).to_have_url(re.compile(r"/targets/EAST/\?"))
    expect(page.locator("body")).to_contain_text("150")
    assert Target.objects.filter(month=month, person__isnull=False).count() == 150
    assert Target.objects.filter(month=month, unit__isnull=False).count() == 16
    assert Target.objects.get(month=month, person__employee_no="R001").value == Decimal(300000)
    assert Target.objects.get(month=month, unit__code="EAST").value == Decimal(3000000)


def test_a_rep_confirms_their_target_on_a_phone(browser, live_server, region):
    month = add_months(timezone.localdate(), 1)
    from tiejun.org.models import Unit
    from tiejun.targets.cascade import cascade_plan, cascade_save

    plan = cascade_plan(
        unit=Unit.objects.get(code="EAST"),
        month=month,
        metric="revenue",
        total=Decimal(3000000),
        rounding=Decimal(1000),
    )
    cascade_save(plan=plan, by=None)
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url
    try:
        log_in(page, "R001")
        page.goto(f"{page.base_url}/targets/mine/")
        # the rep sees next month's target, large, and one button
        expect(page.locator("#my-targets")).to_contain_text("¥")
        button = page.locator("#confirm-btn")
        expect(button).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44  # a thumb's tap
        button.tap()
        expect(page.locator("#confirmed-note")).to_be_visible()
        assert TargetConfirmation.objects.filter(person__employee_no="R001", month=month).exists()
    finally:
        context.close()
