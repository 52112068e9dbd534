"""Red lines (高压线) in Chromium: a supervisor reviews a flag with its evidence on a 1366×768
laptop and opens a case; the branch manager decides a dismissal; the rep is deactivated and their
customers handed over to the supervisor."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import person
from tiejun.crm.models import Customer
from tiejun.discipline.models import Case, CaseStatus, Decision, Flag, FlagStatus
from tiejun.discipline.scan import flags_scan
from tiejun.field.services.checkins import visit_checkin
from tiejun.org.models import Person, Role, UnitKind
from tiejun.org.services import unit_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
REPS = [
    "王建国",
    "李秀英",
    "张志强",
    "刘海燕",
    "陈国平",
    "杨丽华",
    "赵明辉",
    "黄晓军",
    "周雅琴",
    "吴俊杰",
    "徐春梅",
    "孙德胜",
    "马文静",
]


@pytest.fixture
def categories():
    """The default red lines of the data migration: a transactional test before this one on
    the same worker empties the tables, those rows included."""
    from django.apps import apps

    defaults = importlib.import_module("tiejun.discipline.migrations.0002_default_categories")
    defaults.load(apps, None)


@pytest.fixture
def squad(categories):
    company = unit_create(
        code="HQ", name="铁军科技集团股份有限公司", kind=UnitKind.COMPANY, parent=None
    )
    region = unit_create(
        code="EAST", name="华东大区（浙江、江苏、上海）", kind=UnitKind.REGION, parent=company
    )
    branch = unit_create(
        code="HZXH", name="杭州市西湖区城西第一营销分公司", kind=UnitKind.BRANCH, parent=region
    )
    team = unit_create(
        code="HZXH3", name="城西直销三组（重点客户攻坚组）", kind=UnitKind.TEAM, parent=branch
    )
    start = dt.date(2025, 3, 1)
    supervisor = person("S301", team, Role.SUPERVISOR, start, name="郑海涛")
    manager = person("M30", branch, Role.MANAGER, start, name="钱振华")
    reps = [person(f"R3{i:02d}", team, Role.REP, start, name=name) for i, name in enumerate(REPS)]
    cheat = reps[0]
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    zone = timezone.get_current_timezone()
    customers = []
    for i in range(4):
        customers.append(
            Customer.objects.create(
                code=f"XH{i:03d}",
                name=f"西湖龙井茶业有限公司第{i + 1}门店",
                lat=Decimal("30.250000") + Decimal(i) / 100,
                lon=Decimal("120.150000"),
                owner=cheat,
                unit=team,
            )
        )
    # three check-ins, each a kilometre and a half from the customer
    for i, customer in enumerate(customers[:3]):
        when = dt.datetime.combine(yesterday, dt.time(9 + 2 * i, 15), tzinfo=zone)
        visit_checkin(
            id=uuid.uuid4(),
            person=cheat,
            customer=customer,
            at=when,
            lat=customer.lat + Decimal("0.0135"),
            lon=customer.lon,
            accuracy_m=12,
            position_at=when,
            now=when + dt.timedelta(minutes=1),
            check_visibility=False,
        )
    result = flags_scan(day=yesterday)  # what the nightly job does
    assert [f.person for f in result.flags] == [cheat]
    return {"supervisor": supervisor, "manager": manager, "cheat": cheat, "reps": reps}


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]


def test_a_flag_becomes_a_case_and_a_dismissal_hands_the_customers_over(page, squad):
    page.set_viewport_size(LAPTOP)
    cheat = squad["cheat"]
    # given: the supervisor opens the red-line register
    log_in(page, "S301")
    page.goto(page.base_url + "/redlines/")
    expect(page).to_have_url(re.compile(r"/redlines/flags/"))
    row = page.locator("#flag-list tbody tr", has_text="王建国")
    expect(row).to_be_visible()
    expect(page.locator("#flag-list tbody tr")).to_have_count(1)
    no_sideways_scroll(page)
    # when: they review the flag, the evidence is there: each check-in, customer and distance
    row.get_by_role("link").click()
    evidence = page.locator("#flag-evidence")
    expect(evidence).to_contain_text("西湖龙井茶业有限公司第1门店")
    expect(evidence).to_contain_text("西湖龙井茶业有限公司第3门店")
    expect(evidence.locator("table tbody tr")).to_have_count(3)
    expect(evidence).to_contain_text("1500")
    expect(evidence).to_contain_text("城西直销三组（重点客户攻坚组）")
    no_sideways_scroll(page)
    # and they open a case with the facts
    form = page.locator("#open-case")
    expect(form).to_be_visible()
    form.locator("textarea[name=facts]").fill(
        "三次签到均距客户约1.5公里，电话回访三家门店均称当天无人来访。"
    )
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/redlines/cases/\d+/"))
    case = Case.objects.get()
    assert Flag.objects.get().status == FlagStatus.CASE
    # then: they attach the call log as evidence
    page.set_input_files(
        "#add-evidence input[type=file]",
        files=[{"name": "回访记录截图.png", "mimeType": "image/png", "buffer": PNG}],
    )
    page.locator("#add-evidence button[type=submit]").click()
    expect(page.locator("#case-evidence")).to_contain_text("回访记录截图.png")
    # a supervisor is not offered a dismissal
    expect(
        page.locator("#decide-form select[name=decision] option[value=dismissal]")
    ).to_have_count(0)
    no_sideways_scroll(page)

    # when: the branch manager signs in, finds the case and decides a dismissal from today
    page.context.clear_cookies()
    log_in(page, "M30")
    page.goto(page.base_url + "/redlines/cases/")
    page.locator("#case-list").get_by_role("link", name=case.number).click()
    expect(page.locator("#case-summary")).to_contain_text("王建国")
    expect(page.locator("#case-evidence")).to_contain_text("回访记录截图.png")
    page.select_option("#decide-form select[name=decision]", "dismissal")
    page.fill("#decide-form input[name=effective_date]", timezone.localdate().isoformat())
    page.fill("#decide-form textarea[name=reason]", "虚假签到属实，触碰高压线，予以开除。")
    page.locator("#decide-form button[type=submit]").click()
    expect(page.locator("#case-decision")).to_be_visible()
    expect(page.locator(".flash")).to_contain_text("4")  # customers handed over
    no_sideways_scroll(page)

    # then: the rep is deactivated and every customer is the supervisor's now
    case.refresh_from_db()
    assert (case.status, case.decision, case.customers_handed_over) == (
        CaseStatus.DECIDED,
        Decision.DISMISSAL,
        4,
    )
    assert not Person.objects.get(pk=cheat.pk).is_active
    assert not Customer.objects.filter(owner=cheat).exists()
    assert Customer.objects.filter(owner=squad["supervisor"]).count() == 4
    # and the rep can no longer sign in
    page.context.clear_cookies()
    log_in(page, cheat.employee_no)
    expect(page).to_have_url(re.compile(r"/login/"))
