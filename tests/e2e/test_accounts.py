"""First day, in a real Chromium: an invitation opened on a phone sets the password and lands on
the person's board; a WeCom user signs in by "scanning" at the loopback fake."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.fakes import FakeServer, configure, sample_company
from tests.factories import build_org
from tiejun.accounts.services import invite_people, link_external_id

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def fake(settings):
    with FakeServer() as server:
        configure(settings, server)
        sample_company(server.state)
        yield server


def test_an_invitation_opened_on_a_phone_sets_the_password_and_lands_home(phone, settings):
    org = build_org()
    settings.PUBLIC_URL = phone.base_url
    url = invite_people([org.reps["R1"]], channel="print", by=None)[0].url
    phone.goto(url)
    expect(phone.locator("input[name=new_password1]")).to_be_visible()
    # the page fits the phone: nothing to scroll sideways
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.fill("input[name=new_password1]", "iron-army-2026")
    phone.fill("input[name=new_password2]", "iron-army-2026")
    phone.click("main button[type=submit]")
    expect(phone).to_have_url(re.compile(r"/board/HZ1/"))
    expect(phone.locator("body")).to_contain_text("杭州一组")
    # the link was for once
    phone.goto(url)
    expect(phone.locator("[data-link-invalid]")).to_be_visible()


def test_a_wecom_user_signs_in_by_scanning(page, fake):
    org = build_org()
    link_external_id(org.reps["R1"], "wecom", "zhang", None)
    fake.next_user["wecom"] = "zhang"
    page.goto(page.base_url + "/login/")
    page.click("[data-platform=wecom]")
    expect(page).to_have_url(re.compile(r"/board/HZ1/"))
    expect(page.locator(".who")).to_contain_text("员工R1")
