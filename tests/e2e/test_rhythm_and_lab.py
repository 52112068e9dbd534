"""Journeys through the daily rhythm, the battle report and the sales-model lab, in Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org, deal
from tiejun.broadcast.models import Subscription

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company():
    org = build_org()
    today = timezone.localdate()
    start = today.replace(day=1)
    for i, (no, amount) in enumerate([("R1", 12000), ("R2", 3000), ("R3", 8000)]):
        deal(org.reps[no], amount, max(start, today - dt.timedelta(days=i)), today=today)
    deal(org.reps["R1"], 6800, today, customer="C-TODAY", today=today)
    return org


def test_manager_reviews_the_day_reads_the_battle_report_and_subscribes(page, company):
    log_in(page, "M1")
    page.goto(page.base_url + "/board/HZ/")
    # the evening review from the board
    page.get_by_role("link", name="晚复盘").first.click()
    expect(page).to_have_url(re.compile(r"/rhythm/review/HZ/"))
    expect(page.locator("h2", has_text="风险点")).to_be_visible()
    # the morning kickoff of a team, printable
    page.goto(page.base_url + "/rhythm/kickoff/HZ1/")
    expect(page.locator("body")).to_contain_text("员工R1")
    # today's battle report shows today's win, as e-mailed
    page.goto(page.base_url + "/board/HZ/")
    page.get_by_role("link", name="战报").last.click()
    expect(page).to_have_url(re.compile(r"/broadcast/battle/HZ/"))
    report = page.frame_locator("iframe")
    expect(report.locator("body")).to_contain_text("客户C-TODAY")
    # subscribe the branch's office mailbox to the battle report
    page.get_by_role("link", name="订阅").click()
    page.select_option("select[name=report]", "battle")
    page.select_option("select[name=channel]", "email")
    page.fill("input[name=address]", "hz-office@example.com")
    page.get_by_role("button", name="订阅").click()
    expect(page.locator("body")).to_contain_text("hz-office@example.com")
    assert Subscription.objects.filter(
        unit__code="HZ", report="battle", channel="email", address="hz-office@example.com"
    ).exists()


def test_a_malformed_subscription_address_is_refused(page, company):
    log_in(page, "M1")
    page.goto(page.base_url + "/broadcast/subscriptions/HZ/")
    page.select_option("select[name=channel]", "email")
    page.fill("input[name=address]", "not-an-address")
    page.get_by_role("button", name="订阅").click()
    expect(page.locator("body")).to_contain_text("not-an-address")
    assert not Subscription.objects.exists()


def test_admin_opens_the_lab_and_plays_with_the_mix(page, db):
    from tiejun.demo.generator import demo_build

    today = timezone.localdate()
    demo_build(reps=40, months=3, seed=7, today=today, history_years=1)
    log_in(page, "admin", "tiejun-demo")
    page.goto(page.base_url + "/lab/")
    expect(page.locator("body")).to_contain_text("人时产出")
    page.goto(page.base_url + "/lab/planner/")
    expect(page.locator("#whatif")).to_be_visible()
    revenue = page.locator("[data-whatif=revenue]")
    before = revenue.inner_text()
    slider = page.locator("#whatif input[type=range]").first
    slider.fill("0")
    expect(revenue).not_to_have_text(before)
