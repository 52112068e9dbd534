"""The nightly personal message at real size (issue 14, points 1 and 4): a supervisor of a
13-rep team with three-character names under a long unit name previews a rep's message on the
phone and the laptop; a rep switches the message off on their own page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org, deal, person
from tiejun.broadcast.models import PersonalPreference
from tiejun.crm.models import Customer
from tiejun.crm.services.customers import customer_create
from tiejun.org.models import Role
from tiejun.org.services import unit_create
from tiejun.targets.services import target_set
from tiejun.workdays import month_start

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
NAMES = [
    "李晓东", "袁艳红", "潘亮亮", "丁思琪", "张超婷", "赵雅婷", "金雪梅",
    "孙静浩", "王鑫勇", "熊雪梅", "黎艳军", "邱锦程", "万晓明",
]  # fmt: skip
LONG_UNIT = "浙江省杭州市西湖区文三路数字经济产业园直销一部第一团队"


def _team():
    org = build_org()
    team = unit_create(code="HZ-LONG-01", name=LONG_UNIT, kind="team", parent=org.branch)
    day = timezone.localdate()
    month = month_start(day)
    reps = []
    for i, name in enumerate(NAMES, start=1):
        rep = person(f"ZJ-HZ-01{i:02d}", team, name=name)
        rep.phone = f"138001380{i:02d}"
        rep.save(update_fields=["phone"])
        target_set(month=month, metric="revenue", person=rep, value=Decimal(180000 + 1000 * i))
        reps.append(rep)
    for i, rep in enumerate(reps[:6]):
        deal(rep, 20000 + 7000 * i, day, deal_no=f"E2E-{i}", today=day)
    supervisor = person("ZJ-HZ-0100", team, Role.SUPERVISOR, name="钱建国")
    customer = customer_create(
        code="V-1", name="杭州西湖数字科技有限公司", owner=reps[-1], by=reps[-1]
    )
    Customer.objects.filter(pk=customer.pk).update(last_activity_on=day - dt.timedelta(days=40))
    return team, reps, supervisor


def _context(page, viewport):
    context = page.context.browser.new_context(locale="zh-CN", viewport=viewport)
    other = context.new_page()
    other.set_default_timeout(15000)
    other.base_url = page.base_url
    return context, other


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_supervisor_previews_a_reps_personal_message(page, viewport):
    _team_unit, reps, supervisor = _team()
    rep = reps[-1]  # behind: no deal yet, a customer never visited
    context, screen = _context(page, viewport)
    try:
        log_in(screen, supervisor.employee_no)
        # from the rep's page, the messages card links to the preview
        screen.goto(f"{screen.base_url}/people/{rep.employee_no}/")
        card = screen.locator("#messages")
        preview = card.locator(f"a[href^='/broadcast/personal/{rep.employee_no}/']")
        expect(preview).to_have_text("预览今晚的短信")
        preview.click()
        expect(screen.locator("h1")).to_contain_text(rep.name)
        bubbles = screen.locator(".sms-bubble")
        expect(bubbles.first).to_contain_text(rep.name)
        expect(screen.locator("#delivery")).to_contain_text(rep.phone)
        text = " ".join(bubbles.all_inner_texts())
        assert "¥193,000" in text  # what is left of ¥193,000: all of it
        assert "杭州西湖数字科技有限公司" in text  # the next step: the customer due a visit
        # the e-mail is there too, and nothing is wider than the screen
        expect(screen.locator("[data-email]")).to_contain_text(LONG_UNIT)
        assert screen.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    finally:
        context.close()


def test_rep_switches_the_personal_message_off_on_their_page(page):
    _team_unit, reps, _supervisor = _team()
    rep = reps[0]
    context, phone = _context(page, PHONE)
    try:
        log_in(phone, rep.employee_no)
        phone.goto(f"{phone.base_url}/people/{rep.employee_no}/")
        box = phone.locator("[data-personal-subscribed]")
        expect(box).to_be_checked()
        box.uncheck()
        phone.locator("form[data-personal] button[type=submit]").click()
        # saved in place (or, without script, by a round trip to the page): said and shown
        expect(phone.get_by_role("status").first).to_be_visible()
        expect(phone.locator("[data-personal-subscribed]")).not_to_be_checked()
        assert PersonalPreference.objects.get(person=rep).subscribed is False
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
