"""The calendar journey (issue 18), in a real Chromium: February 2027's board warns that the
year's statutory holidays are not loaded; the admin follows the warning's link, imports the
year's schedule, and the warning is gone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Made up, in the State Council's shape (the real 2027 schedule is not published yet).
SCHEDULE_2027 = (
    "日期,类型,名称\n"
    "2027-01-01,放假,元旦\n"
    + "".join(f"2027-02-{d:02d},放假,春节\n" for d in range(5, 12))
    + "2027-02-20,上班,春节\n"
)


def test_the_warning_on_february_2027_disappears_after_the_year_is_loaded(page, tmp_path, huey_now):
    build_org()
    schedule = tmp_path / "2027.csv"
    schedule.write_text(SCHEDULE_2027, encoding="utf-8")
    # given: the admin opens February 2027's board
    log_in(page, "A1")
    expect(page).to_have_url(re.compile(r"/board/HQ/"))
    page.goto(page.base_url + "/board/HQ/?month=2027-02")
    warning = page.locator("[data-calendar-warning='2027']")
    expect(warning).to_be_visible()
    # when: following the warning's link to the year's page, then its import link
    warning.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/calendar/2027/"))
    expect(page.locator("[data-calendar-source]")).to_have_attribute(
        "data-calendar-source", "weekdays"
    )
    page.locator("main a.btn[href='/import/']").click()  # the page's own link, not the menu's
    page.select_option("select[name=kind]", "calendar")
    page.set_input_files("input[name=file]", str(schedule))
    page.click("#import-import")  # the job runs at once (Huey immediate mode)
    expect(page.locator("#import-result")).to_have_class(re.compile("flash-success"))
    # then: the year is the company's and the board counts the festival week off
    page.goto(page.base_url + "/calendar/2027/")
    expect(page.locator("[data-calendar-source]")).to_have_attribute(
        "data-calendar-source", "company"
    )
    expect(page.locator("#holidays")).to_contain_text("2027-02-08")
    page.goto(page.base_url + "/board/HQ/?month=2027-02")
    expect(page.locator("h1")).to_contain_text("铁军科技")
    expect(page.locator("[data-calendar-warning]")).to_have_count(0)
