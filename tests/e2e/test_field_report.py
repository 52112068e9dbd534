"""The daily report journey in Chromium: a rep opens today's report, finds it pre-filled from the
day's visits, files it; the supervisor sees it filed on the team's status board and comments."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org
from tests.field.reports_setup import at, customer, visit
from tiejun.field.models import DailyReport, ReportComment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_files_the_daily_report_and_the_supervisor_comments(page, browser):
    # given: R1 visited a customer today
    org = build_org()
    today = timezone.localdate()
    visit(
        org.reps["R1"],
        customer("CA", "西湖餐饮"),
        at(today, "10:15"),
        met_whom="王总",
        interest="high",
        notes="担心售后响应",
    )
    # when: R1 opens today's report
    log_in(page, "R1")
    page.goto(page.base_url + "/field/reports/mine/")
    # then: it is pre-filled from the visit
    expect(page.locator("#id_visited")).to_have_value(
        re.compile(r"10:15 西湖餐饮 \(CA\) — 接洽 王总")
    )
    expect(page.locator("#id_feedback")).to_have_value("西湖餐饮: 担心售后响应")
    # when: R1 adds a problem and files it
    page.fill("#id_problems", "客户要求周末上门")
    page.click("button[name=action][value=file]")
    expect(page.locator(".report-state")).to_have_attribute("data-state", re.compile("filed|late"))
    report = DailyReport.objects.get(person=org.reps["R1"], date=today)
    assert report.submitted_at is not None and report.problems == "客户要求周末上门"

    # when: the supervisor opens the team's status board in a fresh session
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    supervisor = context.new_page()
    supervisor.set_default_timeout(15000)
    supervisor.base_url = page.base_url
    log_in(supervisor, "S1")
    supervisor.goto(supervisor.base_url + "/field/reports/team/")
    # then: R1 has filed, R2 has not
    expect(supervisor.locator('tr[data-employee="R1"]')).to_have_attribute(
        "data-state", re.compile("filed|late")
    )
    expect(supervisor.locator('tr[data-employee="R2"]')).to_have_attribute("data-state", "missing")
    # when: the supervisor reads R1's report and comments
    supervisor.locator('tr[data-employee="R1"] a').click()
    expect(supervisor.locator('[data-field="problems"]')).to_contain_text("客户要求周末上门")
    supervisor.fill("#id_text", "周末可以安排，先确认时间")
    supervisor.click("#comments button[type=submit]")
    # then: the comment shows on the report, and the rep sees it
    expect(supervisor.locator("#comments")).to_contain_text("周末可以安排，先确认时间")
    assert ReportComment.objects.get(report=report).author == org.supervisor_a
    context.close()
    page.goto(page.base_url + "/field/reports/mine/")
    expect(page.locator("body")).to_contain_text("周末可以安排，先确认时间")
