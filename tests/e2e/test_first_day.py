"""Issue 13's "done when", in a real Chromium: a coordinator imports a 200-person sheet (Chinese
headers, WeCom ids) on the import page with "invite everyone created" ticked; the 200 mails reach
a real SMTP server on loopback; one new rep opens their link on a 390×844 phone, sets a password
and lands on their team's board; another signs in by "scanning" with WeCom (the loopback fake),
found by the id the sheet linked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.accounts.fakes import FakeServer, User, configure, sample_company
from tests.e2e.test_journeys import log_in
from tests.factories import build_org
from tests.notify.conftest import Mailbox, SmtpServer, free_port
from tiejun.accounts.models import ExternalIdentity, Invitation
from tiejun.notify.models import Message, Status
from tiejun.org.models import Person, Unit, UnitKind
from tiejun.org.services import unit_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
PEOPLE = 200
TEAM_SIZE = 13
HEADER = "工号,姓名,所属单元,角色,入职日期,邮箱,手机号,企业微信账号\n"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "子涵浩然欣怡梓轩雨桐宇航诗琪俊杰佳怡明轩"
NEW_PASSWORD = "iron-army-first-day"
BIG = 180_000  # ms: 200 people imported and 200 mails sent by a CI machine with two cores


def name_of(i: int) -> str:
    """A three-character name: a surname and two given characters."""
    return SURNAMES[i % len(SURNAMES)] + GIVEN[i // len(SURNAMES) % len(GIVEN)] + GIVEN[i % 7]


@pytest.fixture
def mailbox(settings):
    server = SmtpServer(Mailbox(), free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "铁军 <tiejun@example.com>"
    yield server.mailbox
    server.stop()


@pytest.fixture
def fake(settings):
    with FakeServer() as server:
        configure(settings, server)
        sample_company(server.state)
        yield server


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
def laptop(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


def company_sheet(tmp_path: Path) -> tuple[Path, list[Unit]]:
    """Sixteen teams with the long names real ones have, and a sheet of 200 new reps, thirteen
    to a team."""
    build_org()
    branch = Unit.objects.get(code="HZ")
    teams = [
        unit_create(
            code=f"HZXH{t:02d}",
            name=f"杭州分公司西湖区文三路第{t + 1}销售团队（新零售渠道）",
            kind=UnitKind.TEAM,
            parent=branch,
        )
        for t in range(-(-PEOPLE // TEAM_SIZE))
    ]
    lines = [
        f"X{i:04d},{name_of(i)},{teams[i // TEAM_SIZE].code},销售代表,2026-11-02,"
        f"x{i:04d}@tiejun-demo.cn,1380013{i:04d},wx-x{i:04d}\n"
        for i in range(PEOPLE)
    ]
    path = tmp_path / "新员工名单.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8-sig")
    return path, teams


def activation_link(mailbox: Mailbox, address: str) -> str:
    [mail] = mailbox.to(address)
    body = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(r"https?://\S+/account/activate/[\w-]+/", body)
    assert match, body
    return match.group(0)


def test_a_coordinator_imports_and_invites_200_people_who_sign_in_from_a_phone(
    laptop, phone, tmp_path, settings, huey_now, mailbox, fake
):
    sheet, teams = company_sheet(tmp_path)
    settings.PUBLIC_URL = laptop.base_url
    # given: the coordinator on the import page, "invite everyone created" ticked
    log_in(laptop, "A1")
    expect(laptop).to_have_url(re.compile(r"/board/HQ/"))
    laptop.goto(laptop.base_url + "/import/")
    laptop.select_option("select[name=kind]", "people")
    laptop.set_input_files("input[name=file]", str(sheet))
    laptop.check("input[name=option_invite]")
    laptop.select_option("select[name=option_invite_choice]", "email")
    # when: importing (the job runs at once: Huey immediate mode, and so do the 200 mails)
    laptop.click("#import-import", timeout=BIG)
    result = laptop.locator("#import-result")
    expect(result).to_be_visible(timeout=BIG)
    expect(result).to_have_class(re.compile("flash-success"))
    expect(laptop.locator("#import-invited")).to_have_attribute("data-invited", str(PEOPLE))
    # then: 200 people, each linked to their WeCom id, each with one mail in the mailbox
    assert Person.objects.filter(employee_no__startswith="X").count() == PEOPLE
    assert ExternalIdentity.objects.filter(platform="wecom").count() == PEOPLE
    assert Invitation.objects.count() == PEOPLE
    assert Message.objects.filter(status=Status.SENT).count() == PEOPLE
    assert len(mailbox.messages) == PEOPLE
    assert {m["X-Envelope-To"] for m in mailbox.messages} == {
        f"x{i:04d}@tiejun-demo.cn" for i in range(PEOPLE)
    }

    # when: one of them opens the link of their mail on a phone
    newcomer = 150
    url = activation_link(mailbox, f"x{newcomer:04d}@tiejun-demo.cn")
    phone.goto(url)
    expect(phone.locator("input[name=new_password1]")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.fill("input[name=new_password1]", NEW_PASSWORD)
    phone.fill("input[name=new_password2]", NEW_PASSWORD)
    phone.click("main button[type=submit]")
    # then: they land on their team's board, signed in
    team = teams[newcomer // TEAM_SIZE]
    expect(phone).to_have_url(re.compile(rf"/board/{team.code}/"))
    expect(phone.locator("body")).to_contain_text(team.name)
    expect(phone.locator(".who")).to_contain_text(name_of(newcomer))
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # and sign in again with the password they chose
    phone.context.clear_cookies()
    log_in(phone, f"X{newcomer:04d}", NEW_PASSWORD)
    expect(phone).to_have_url(re.compile(rf"/board/{team.code}/"))

    # when: another one "scans" the WeCom QR code; their WeCom mobile is not Tiejun's
    scanner = 7
    fake.state.users.append(
        User(f"wx-x{scanner:04d}", name_of(scanner), ["4"], "13999999999", "", f"X{scanner:04d}")
    )
    fake.next_user["wecom"] = f"wx-x{scanner:04d}"
    laptop.context.clear_cookies()
    laptop.goto(laptop.base_url + "/login/")
    laptop.click("[data-platform=wecom]")
    # then: the id the sheet linked finds them
    expect(laptop).to_have_url(re.compile(rf"/board/{teams[0].code}/"))
    expect(laptop.locator(".who")).to_contain_text(name_of(scanner))
    assert Person.objects.get(employee_no=f"X{scanner:04d}").last_login is not None
