"""The promotion advisor in the browser (issue 16 point 4): a manager on the laptop promotes a
rep at ¥988,600 of a ¥1,000,000 milestone from today, sees what the promotion would forfeit and
when the milestone is projected, moves the date with one button and saves: the new membership
starts on the suggested date."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org, deal
from tests.incentives.conftest import STD_2026
from tiejun.audit.models import AuditEntry
from tiejun.incentives.services import plan_load
from tiejun.org.models import Membership, Role
from tiejun.org.selectors import work_calendar

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
TODAY = dt.date(2026, 12, 16)
PROJECTED = dt.date(2026, 12, 21)  # 988,600 + 4,000 a working day: 17th, 18th, 21st
SUGGESTED = dt.date(2026, 12, 22)


def test_a_manager_promoting_a_rep_near_a_million_moves_the_date(page):
    # given: R3 of 杭州二组 at ¥988,600 this year, 4,000 on each of the last 60 working days
    org = build_org()
    rep = org.reps["R3"]
    days = work_calendar().previous_workdays(TODAY, 60)
    deal(rep, 988600 - 4000 * len(days), dt.date(2026, 3, 2))
    for day in days:
        deal(rep, 4000, day, today=TODAY)
    plan_load(data=STD_2026)
    context = page.context.browser.new_context(locale="zh-CN", viewport=LAPTOP)
    screen = context.new_page()
    screen.set_default_timeout(15000)
    screen.base_url = page.base_url
    try:
        log_in(screen, org.manager.employee_no)
        screen.goto(f"{screen.base_url}/people/{rep.employee_no}/")
        move = screen.locator("#move")
        # when: promoting the rep to supervisor of their team from today
        expect(move.locator("input[name=effective_date]")).to_have_value(TODAY.isoformat())
        move.locator("select[name=role]").select_option(Role.SUPERVISOR.value)
        move.locator("button.btn-primary[type=submit]").click()
        # then: the advisor says what is at stake and when it is projected
        advice = screen.locator('li[data-code="milestone.forfeit"]')
        expect(advice).to_have_attribute("data-ytd", "988600.00")
        expect(advice).to_have_attribute("data-threshold", "1000000.00")
        expect(advice).to_have_attribute("data-milestone", "M1")
        expect(advice).to_have_attribute("data-plan", "STD-2026")
        expect(advice).to_have_attribute("data-effective", TODAY.isoformat())
        expect(advice).to_have_attribute("data-projected-on", PROJECTED.isoformat())
        expect(advice).to_have_attribute("data-probability", "1.0")
        expect(advice).to_have_attribute("data-suggested-effective-date", SUGGESTED.isoformat())
        expect(advice).to_have_attribute("data-options", "postpone proceed")
        expect(advice).to_contain_text("期权 20,000 股")
        expect(advice).to_contain_text("¥988,600")
        assert Membership.objects.get(person=rep, valid_to__isnull=True).role == Role.REP
        # when: saving the move from the suggested date instead
        postpone = screen.locator("[data-advisor-postpone]")
        expect(postpone).to_have_attribute("data-postpone-date", SUGGESTED.isoformat())
        postpone.click()
        # then: saved without a warning, from the suggested date
        expect(screen).to_have_url(re.compile(rf"/people/{rep.employee_no}/(#move)?$"))
        expect(screen.locator('li[data-code="milestone.forfeit"]')).to_have_count(0)
        current = Membership.objects.get(person=rep, valid_to__isnull=True)
        assert current.role == Role.SUPERVISOR and current.valid_from == SUGGESTED
        assert AuditEntry.objects.filter(action="promote", object_id=rep.employee_no).exists()
        # and the choice is on record as a postponement
        assert AuditEntry.objects.filter(
            object_type="milestone", action="postpone", object_id=rep.employee_no
        ).exists()
        box = screen.locator("#move").bounding_box()
        assert box is not None and box["width"] <= LAPTOP["width"]
    finally:
        context.close()


def test_a_manager_goes_ahead_with_a_reason(page):
    # given: the same rep, the same promotion
    org = build_org()
    rep = org.reps["R3"]
    days = work_calendar().previous_workdays(TODAY, 60)
    deal(rep, 988600 - 4000 * len(days), dt.date(2026, 3, 2))
    for day in days:
        deal(rep, 4000, day, today=TODAY)
    plan_load(data=STD_2026)
    log_in(page, org.manager.employee_no)
    page.goto(f"{page.base_url}/people/{rep.employee_no}/")
    page.locator("#move select[name=role]").select_option(Role.SUPERVISOR.value)
    page.locator("#move button.btn-primary[type=submit]").click()
    expect(page.locator('li[data-code="milestone.forfeit"]')).to_have_count(1)
    # when: going ahead with a reason, saved with the form's own button
    page.locator("input[name=milestone][value=proceed]").check()
    page.locator("textarea[name=milestone_reason]").fill("团队急需主管")
    page.locator("#move button.btn-primary[type=submit]").click()
    # then: promoted from today, the forfeit recorded with the reason
    expect(page).to_have_url(re.compile(rf"/people/{rep.employee_no}/$"))
    current = Membership.objects.get(person=rep, valid_to__isnull=True)
    assert current.role == Role.SUPERVISOR and current.valid_from == TODAY
    entry = AuditEntry.objects.get(object_type="milestone", action="forfeit")
    assert entry.reason == "团队急需主管" and entry.actor_id == org.manager.pk
