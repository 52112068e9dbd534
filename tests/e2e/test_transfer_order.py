"""A branch manager receives a transfer order (调令) at 15:00 and reports next morning (issue 15
item 5): the region manager issues it on a laptop (the page lists what the move would break and
asks to confirm), the branch manager acknowledges it on the phone the same afternoon and reports
in at the new office from the phone's position the next morning; the region's page on the TV
shows the order reported on time."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import person
from tiejun.notify.models import Message
from tiejun.org.models import Role, UnitKind
from tiejun.org.selectors import membership_on
from tiejun.org.services import unit_create
from tiejun.transfers.models import ReportedHow, TransferOrder
from tiejun.transfers.services import office_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 16)
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
TV = {"width": 1920, "height": 1080}
OFFICE = (29.868336, 121.543990)  # 宁波 office; the phone reports from ~60 m away

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def names():
    for a, b, c in itertools.product(SURNAMES, GIVEN, GIVEN):
        if b != c:
            yield a + b + c


@pytest.fixture
def company():
    """A region with two branches of two 13-person teams each, long unit names, Chinese names."""
    gen = names()
    numbers = itertools.count(1)
    hq = unit_create(code="HQ", name="铁军科技集团股份有限公司", kind=UnitKind.COMPANY, parent=None)
    region = unit_create(
        code="HD", name="华东大区（浙江、江苏、上海）", kind=UnitKind.REGION, parent=hq
    )
    admin = person("A001", hq, Role.ADMIN, name=next(gen))
    region_manager = person("E9001", region, Role.MANAGER, name="赵建国")
    branches = {}
    for code, name in [
        ("HZ", "杭州滨江高新技术产业开发区分公司"),
        ("NB", "宁波鄞州东部新城分公司"),
    ]:
        branch = unit_create(code=code, name=name, kind=UnitKind.BRANCH, parent=region)
        branches[code] = branch
        for t in (1, 2):
            team = unit_create(
                code=f"{code}{t}",
                name=f"{name[:4]}第{'一二'[t - 1]}销售主管组",
                kind=UnitKind.TEAM,
                parent=branch,
            )
            person(f"E{next(numbers):04d}", team, Role.SUPERVISOR, name=next(gen))
            for _ in range(12):
                person(f"E{next(numbers):04d}", team, Role.REP, name=next(gen))
    hz_manager = person("E9101", branches["HZ"], Role.MANAGER, name="钱明远")
    office = office_create(
        unit=branches["NB"],
        name="宁波鄞州东部新城分公司办公室",
        address="宁波市鄞州区天童南路588号宁波商会国贸中心A座18楼",
        lat=str(OFFICE[0]),
        lon=str(OFFICE[1]),
        radius_m=200,
        by=admin,
    )
    return {
        "region_manager": region_manager,
        "manager": hz_manager,
        "office": office,
        "nb": branches["NB"],
    }


def no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


def test_a_branch_manager_receives_an_order_at_15_and_reports_next_morning(
    browser, live_server, company, time_machine
):
    # given: 15:00, the region manager on a laptop
    time_machine.move_to(dt.datetime(2026, 12, 16, 15, 0, tzinfo=SH), tick=True)
    laptop = browser.new_context(locale="zh-CN", viewport=LAPTOP)
    issuer = laptop.new_page()
    issuer.set_default_timeout(15000)
    issuer.base_url = live_server.url
    log_in(issuer, "E9001")
    issuer.goto(live_server.url + "/orders/new/E9101/")
    expect(issuer.locator("h1")).to_contain_text("钱明远")
    # when: the order moves him to 宁波 from tomorrow, reporting by 09:00
    issuer.select_option("#id_unit", str(company["nb"].pk))
    issuer.select_option("#id_role", Role.MANAGER)
    issuer.fill("#id_effective_date", "2026-12-17")
    issuer.fill("#id_report_by", "2026-12-17T09:00")
    issuer.select_option("#id_office", str(company["office"].pk))
    issuer.fill("#id_note", "接手宁波鄞州东部新城分公司，明早九点前到岗，带上交接清单。")
    issuer.click("[data-issue]")
    # then: the page lists what the move breaks and asks before saving
    warnings = issuer.locator("[data-move-warnings]")
    expect(warnings).to_contain_text("杭州滨江高新技术产业开发区分公司")
    expect(warnings.locator("li.warning")).to_have_count(1)
    assert not TransferOrder.objects.exists()
    issuer.check("#id_confirm")
    issuer.click("[data-issue]")
    expect(issuer.locator(".order-card")).to_be_visible()
    order = TransferOrder.objects.get()
    assert timezone_hm(order.issued_at) == "15:00"
    # the membership change is saved now and takes effect tomorrow
    assert membership_on(company["manager"], DAY).unit.code == "HZ"
    assert membership_on(company["manager"], DAY + dt.timedelta(days=1)).unit.code == "NB"
    message = Message.objects.get(key=f"transfer_order:{order.pk}:issued")
    assert message.address == "e9101@example.com" and "2026-12-17 09:00" in message.text
    laptop.close()

    # when: five minutes later he opens it on his phone and acknowledges it
    time_machine.move_to(dt.datetime(2026, 12, 16, 15, 5, tzinfo=SH), tick=True)
    mobile = browser.new_context(
        locale="zh-CN",
        viewport=PHONE,
        permissions=["geolocation"],
        geolocation={"latitude": OFFICE[0] + 0.0005, "longitude": OFFICE[1], "accuracy": 12},
    )
    phone = mobile.new_page()
    phone.set_default_timeout(15000)
    phone.base_url = live_server.url
    log_in(phone, "E9101")
    phone.goto(live_server.url + "/orders/")
    phone.locator("tr.order a").first.click()
    expect(phone.locator(".order-card")).to_contain_text("宁波商会国贸中心A座18楼")
    no_horizontal_scroll(phone)
    phone.click("[data-acknowledge]")
    expect(phone.locator("[data-status]")).to_have_attribute("data-status", "acknowledged")
    order.refresh_from_db()
    assert timezone_hm(order.acknowledged_at) == "15:05"

    # when: next morning at 08:40 he is at the new office and reports in from the phone
    time_machine.move_to(dt.datetime(2026, 12, 17, 8, 40, tzinfo=SH), tick=True)
    phone.reload()
    phone.click("[data-report]")
    # then: reported on time, inside the geofence
    expect(phone.locator("[data-status]")).to_have_attribute("data-status", "reported")
    expect(phone.locator("[data-reported]")).to_contain_text("08:40")
    no_horizontal_scroll(phone)
    order.refresh_from_db()
    assert order.reported_how == ReportedHow.CHECKIN and order.on_time
    assert 40 <= order.reported_distance_m <= 80
    mobile.close()

    # and: the region's page on the office TV shows the on-time rate
    tv = browser.new_context(locale="zh-CN", viewport=TV)
    wall = tv.new_page()
    wall.set_default_timeout(15000)
    wall.base_url = live_server.url
    log_in(wall, "E9001")
    wall.goto(live_server.url + "/orders/region/")
    expect(wall.locator("h1")).to_contain_text("华东大区（浙江、江苏、上海）")
    expect(wall.locator("[data-on-time]")).to_have_text("100.0%")
    expect(wall.locator("[data-open]")).to_have_text("0")
    wall.goto(live_server.url + "/orders/region/HD/?all=1")
    row = wall.locator("tr.order")
    expect(row).to_contain_text("钱明远")
    expect(row).to_contain_text("2026-12-17 08:40")
    no_horizontal_scroll(wall)
    tv.close()


def timezone_hm(value: dt.datetime) -> str:
    return value.astimezone(SH).strftime("%H:%M")
