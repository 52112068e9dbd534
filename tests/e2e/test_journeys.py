"""The journeys a person takes, in a real Chromium: log in, read the board, drill down, open the
TV mode, split a target down a level, switch the language."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PASSWORD, build_org, deal
from tiejun.targets.models import Target
from tiejun.workdays import add_months

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company():
    org = build_org()
    today = timezone.localdate()
    start = today.replace(day=1)
    for i, (no, amount) in enumerate([("R1", 12000), ("R2", 3000), ("R3", 8000), ("R5", 5000)]):
        won = max(start, today - dt.timedelta(days=i))
        deal(org.reps[no], amount, won, today=today)
    return org


def log_in(page, employee_no: str, password: str = PASSWORD) -> None:
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", employee_no)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


def test_manager_reads_the_board_drills_down_and_opens_tv_mode(page, company):
    # given: the admin logs in and lands on the company board
    log_in(page, "A1")
    expect(page).to_have_url(re.compile(r"/board/HQ/"))
    expect(page.locator("h1")).to_contain_text("铁军科技")
    expect(page.locator("body")).to_contain_text("¥28,000.00")  # achieved, month to date
    # when: drilling down region → branch → team
    page.get_by_role("link", name="浙江大区").first.click()
    expect(page).to_have_url(re.compile(r"/board/ZJ/"))
    page.get_by_role("link", name="杭州分公司").first.click()
    expect(page).to_have_url(re.compile(r"/board/HZ/"))
    page.get_by_role("link", name="杭州一组").first.click()
    # then: the team board ranks its reps, the best first
    expect(page).to_have_url(re.compile(r"/board/HZ1/"))
    rows = page.locator("table tbody tr")
    expect(rows.first).to_contain_text("员工R1")
    expect(page.locator("body")).to_contain_text("¥15,000.00")
    # when: the TV mode of that board opens
    page.get_by_role("link", name="大屏模式").click()
    expect(page).to_have_url(re.compile(r"/tv/"))
    # then: the panel shows the team's figures in large type, fetched from the server
    expect(page.locator("body")).to_contain_text("杭州一组", timeout=15000)
    expect(page.locator("body")).to_contain_text("¥15,000", timeout=15000)


def test_manager_splits_a_target_down_a_level(page, company):
    next_month = add_months(timezone.localdate(), 1)
    log_in(page, "M1")
    page.goto(f"{page.base_url}/targets/HZ/?month={next_month:%Y-%m}&metric=revenue")
    page.fill("input[name=total]", "90000")
    page.select_option("select[name=method]", "even")
    page.click("button[name=save]")
    expect(page.locator("body")).to_contain_text("45,000")
    shares = dict(
        Target.objects.filter(
            month=next_month, metric="revenue", unit__parent__code="HZ"
        ).values_list("unit__code", "value")
    )
    assert shares == {"HZ1": Decimal("45000.00"), "HZ2": Decimal("45000.00")}
    # and a level down: the team's target goes to its reps
    page.get_by_role("link", name="杭州一组").first.click()
    expect(page).to_have_url(re.compile(r"/targets/HZ1/"))
    page.fill("input[name=total]", "45000")
    page.click("button[name=save]")
    expect(page.locator("body")).to_contain_text("22,500")
    reps = dict(
        Target.objects.filter(month=next_month, metric="revenue", person__isnull=False).values_list(
            "person__employee_no", "value"
        )
    )
    assert reps == {"R1": Decimal("22500.00"), "R2": Decimal("22500.00")}


def test_a_rep_switches_to_english_and_sees_their_own_page(page, company):
    log_in(page, "R1")
    page.goto(page.base_url + "/me/")
    expect(page.locator("body")).to_contain_text("员工R1")
    page.locator("form.langswitch button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("body")).to_contain_text("My target")
    # the other branch's board is not theirs to see
    response = page.goto(page.base_url + "/board/NB/")
    assert response is not None
    assert response.status == 404
