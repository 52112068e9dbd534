"""The calendar never guesses silently (issue 18): the warning, the board's ``calendar`` field,
the ``calendar`` import kind, the year's page, ``tiejun calendar show|check`` and the nightly
warning to the admins."""

import datetime as dt
import html as html_text
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories import client_for
from tiejun.audit.models import AuditEntry
from tiejun.imports.services import run_import
from tiejun.notify.models import Message
from tiejun.org.holidays import calendar_year, provisional_accept
from tiejun.org.models import StatutoryDay, WorkdayOverride
from tiejun.org.selectors import work_calendar
from tiejun.rhythm.calendar_gaps import calendar_warn_admins, uncovered_years
from tiejun.scoreboard.management.commands.board import render_table
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.targets.services import target_set

D = dt.date
FEB = D(2027, 2, 1)
WARNING = "2027's statutory holidays are not loaded: counting Monday to Friday"

# A made-up but realistic 2027 schedule (the real one is not published yet): New Year, and a
# Spring Festival week from the eve (5 February) with two make-up Saturdays.
SCHEDULE_2027 = (
    "日期,类型,名称\n"
    "2027-01-01,放假,元旦\n"
    "2027-01-30,上班,春节\n"
    + "".join(f"2027-02-{d:02d},放假,春节\n" for d in range(5, 12))
    + "2027-02-20,上班,春节\n"
).encode()


def load_2027(org) -> None:
    result = run_import("calendar", SCHEDULE_2027, "2027.csv", by=org.admin)
    assert result.ok, result.errors


# --- the calendar the boards count with ----------------------------------------------------------


def test_work_calendar_reads_overrides_loaded_and_provisional_days_in_one_query(
    org, django_assert_num_queries
):
    # given
    WorkdayOverride.objects.create(date=D(2027, 2, 3), is_workday=False, note="团建")
    load_2027(org)
    StatutoryDay.objects.create(date=D(2028, 1, 3), is_workday=False, provisional=True)
    # when
    with django_assert_num_queries(1):
        calendar = work_calendar()
    # then
    assert calendar.source(2027) == "company" and calendar.source(2028) == "weekdays"
    assert not calendar.is_workday(D(2027, 2, 3))  # the company exception
    assert calendar.is_workday(D(2027, 2, 20))  # a make-up Saturday
    assert not calendar.is_workday(D(2027, 2, 8))  # the festival's Monday
    assert not calendar.is_workday(D(2028, 1, 3))  # accepted provisional holiday


def test_board_json_names_the_calendar_of_its_month(org):
    # given a February 2027 board before and after the year is loaded
    before = board_for_unit(org.branch, month=FEB, as_of=D(2027, 2, 1)).to_json()
    load_2027(org)
    after = board_for_unit(org.branch, month=FEB, as_of=D(2027, 2, 1)).to_json()
    june = board_for_unit(org.branch, month=D(2026, 6, 1), as_of=D(2026, 6, 10)).to_json()
    # then
    assert before["calendar"] == {"source": "weekdays", "confirmed": False}
    assert before["working_days"]["total"] == 20  # the festival week counted as work
    assert after["calendar"] == {"source": "company", "confirmed": True}
    assert after["working_days"]["total"] == 16  # 20 weekdays - 5 festival days + 1 Saturday
    assert june["calendar"] == {"source": "statutory", "confirmed": True}


def test_board_api_and_cli_carry_the_calendar_field(org):
    api = client_for(org.manager).get("/api/v1/board/HZ", {"month": "2027-02"}).json()
    out = StringIO()
    call_command("board", "HZ", "--month", "2027-02", "--json", stdout=out)
    cli = json.loads(out.getvalue())
    assert api["calendar"] == cli["calendar"] == {"source": "weekdays", "confirmed": False}
    text = render_table(board_for_unit(org.branch, month=FEB, as_of=FEB))
    assert WARNING in text


# --- the warning on every page of the month ------------------------------------------------------

PAGES = [
    "/board/HZ/?month=2027-02",
    "/rhythm/kickoff/HZ/?date=2027-02-01",
    "/rhythm/review/HZ/?date=2027-02-01",
    "/broadcast/battle/HZ/?date=2027-02-01",
    "/targets/HZ/?month=2027-02",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_of_an_unloaded_month_warn_until_the_year_is_loaded(org, url):
    client = client_for(org.admin)
    # when
    page = client.get(url)
    # then
    assert page.status_code == 200
    html = html_text.unescape(page.content.decode())
    assert WARNING in html
    assert 'href="/calendar/2027/"' in html
    load_2027(org)
    assert WARNING not in html_text.unescape(client.get(url).content.decode())


def test_the_wall_tv_warns_in_an_unloaded_month(org, monkeypatch):
    # given: the office TV shows the current month, February 2027
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: D(2027, 2, 3))
    client = client_for(org.admin)
    # when
    page = client.get("/tv/panel/HZ/")
    # then
    assert page.status_code == 200
    assert WARNING in html_text.unescape(page.content.decode())


def test_a_covered_year_shows_no_warning_and_costs_no_query(org, django_assert_num_queries):
    from tiejun.web.templatetags.tiejun_web import calendar_warning

    with django_assert_num_queries(0):
        assert calendar_warning(D(2026, 6, 1)) == {"warning": None}
    assert WARNING not in client_for(org.admin).get("/board/HZ/?month=2026-06").content.decode()


def test_accepted_provisional_holidays_still_warn(org):
    provisional_accept(year=2027, by=org.admin)
    html = html_text.unescape(
        client_for(org.admin).get("/board/HZ/?month=2027-02").content.decode()
    )
    assert "counting Monday to Friday and the provisional holidays, without make-up days" in html
    board = board_for_unit(org.branch, month=FEB, as_of=FEB).to_json()
    assert board["calendar"] == {"source": "weekdays", "confirmed": False}
    assert board["working_days"]["total"] == 18  # eve to third day: 5 and 8 February are weekdays


# --- the import kind -----------------------------------------------------------------------------


def test_calendar_import_replaces_the_year_and_keeps_company_exceptions(org):
    # given an older load of 2027 and a company exception
    run_import("calendar", b"date,kind,name\n2027-03-01,off,wrong\n", "old.csv", by=org.admin)
    provisional = StatutoryDay.objects.create(
        date=D(2027, 9, 15), is_workday=False, provisional=True
    )
    WorkdayOverride.objects.create(date=D(2027, 3, 5), is_workday=False, note="年会")
    # when
    result = run_import("calendar", SCHEDULE_2027, "2027.csv", by=org.admin)
    # then
    assert result.ok and result.created == 10
    days = dict(StatutoryDay.objects.values_list("date", "is_workday"))
    assert D(2027, 3, 1) not in days and provisional.date not in days
    assert days[D(2027, 1, 30)] is True and days[D(2027, 2, 8)] is False
    assert WorkdayOverride.objects.filter(date=D(2027, 3, 5)).exists()
    assert calendar_year(2027).source == "company"
    assert AuditEntry.objects.filter(object_type="statutory_day", object_id="2027-02-08").exists()


def test_calendar_import_takes_english_words_too(org):
    data = b"date,kind,name\n2027-01-01,off,New Year\n2027-01-30,work,Spring Festival\n"
    assert run_import("calendar", data, "c.csv", by=org.admin).created == 2
    assert work_calendar().is_workday(D(2027, 1, 30))


@pytest.mark.parametrize(
    ("rows", "column", "problem"),
    [
        ("2027-02-10,上班,春节", "kind", "is a weekday: a make-up working day falls on a Saturday"),
        ("2027-02-10,maybe,春节", "kind", "kind is off or work"),
        ("2027-02-30,放假,春节", "date", "is not a date"),
        ("2027-02-08,放假,春节\n2027-02-08,放假,春节", "date", "is listed twice"),
        ("1999-02-08,放假,春节", "date", "between 2000 and 2100"),
    ],
)
def test_a_bad_calendar_file_writes_nothing(org, rows, column, problem):
    load_2027(org)
    before = list(StatutoryDay.objects.values_list("date", "is_workday", "name"))
    result = run_import("calendar", f"日期,类型,名称\n{rows}\n".encode(), "bad.csv", by=org.admin)
    assert not result.ok
    assert any(e.column == column and problem in e.problem for e in result.errors), result.errors
    assert list(StatutoryDay.objects.values_list("date", "is_workday", "name")) == before


def test_only_an_admin_loads_the_calendar(org):
    result = run_import("calendar", SCHEDULE_2027, "2027.csv", by=org.manager)
    assert not result.ok
    assert "only an administrator may load the calendar" in result.errors[0].problem
    assert not StatutoryDay.objects.exists()


# --- the page of a year --------------------------------------------------------------------------


def test_the_year_page_lists_holidays_make_up_days_and_exceptions(org):
    load_2027(org)
    WorkdayOverride.objects.create(date=D(2027, 3, 5), is_workday=False, note="年会")
    page = client_for(org.reps["R1"]).get("/calendar/2027/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2027-02-08" in html and "2027-02-20" in html and "年会" in html
    assert 'data-calendar-source="company"' in html
    assert "statutory_set" not in html  # a rep reads, does not edit


def test_an_admin_edits_the_year_and_every_edit_is_audited(org):
    client = client_for(org.admin)
    # when
    response = client.post(
        "/calendar/2027/", {"action": "statutory_set", "date": "2027-02-20", "kind": "work"}
    )
    client.post(
        "/calendar/2027/",
        {"action": "exception_set", "date": "2027-02-12", "kind": "off", "note": "年会"},
    )
    # then
    assert response.status_code == 302
    assert StatutoryDay.objects.get(date=D(2027, 2, 20)).is_workday
    assert WorkdayOverride.objects.get(date=D(2027, 2, 12)).note == "年会"
    entries = AuditEntry.objects.filter(actor=org.admin, source="web")
    assert {e.object_type for e in entries} >= {"statutory_day", "workday"}
    client.post("/calendar/2027/", {"action": "statutory_delete", "date": "2027-02-20"})
    assert not StatutoryDay.objects.exists()
    assert AuditEntry.objects.filter(object_type="statutory_day", action="delete").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "statutory_set", "date": "2027-02-10", "kind": "work"},
        {"action": "statutory_set", "date": "someday", "kind": "off"},
        {"action": "statutory_set", "date": "2028-02-10", "kind": "off"},
        {"action": "exception_set", "date": "2027-02-10", "kind": "maybe"},
        {"action": "exception_delete", "date": "2027-02-10"},
        {"action": "explode"},
    ],
)
def test_bad_edits_answer_a_clear_message_and_write_nothing(org, data):
    response = client_for(org.admin).post("/calendar/2027/", data)
    assert response.status_code == 400
    assert 'id="calendar-error"' in response.content.decode()
    assert not StatutoryDay.objects.exists() and not WorkdayOverride.objects.exists()


def test_only_admins_edit_the_year(org):
    response = client_for(org.manager).post(
        "/calendar/2027/", {"action": "statutory_set", "date": "2027-02-08", "kind": "off"}
    )
    assert response.status_code == 404
    assert not StatutoryDay.objects.exists()
    assert client_for(org.admin).get("/calendar/1200/").status_code == 404


def test_provisional_holidays_are_offered_and_applied_only_when_accepted(org):
    client = client_for(org.admin)
    html = client.get("/calendar/2027/").content.decode()
    assert "Accept the provisional holidays" in html and "2027-02-06" in html  # 春节 初一
    assert not StatutoryDay.objects.exists()  # offered, not applied
    # when
    client.post("/calendar/2027/", {"action": "accept"})
    # then: the festivals, all provisional, and never a make-up day
    days = StatutoryDay.objects.filter(date__year=2027)
    assert days.count() == 13 and all(d.provisional and not d.is_workday for d in days)
    assert {d.date for d in days} >= {D(2027, 2, 5), D(2027, 4, 5), D(2027, 6, 9), D(2027, 9, 15)}
    assert AuditEntry.objects.filter(object_type="statutory_day", object_id="2027").exists()
    # a covered year is never given provisional days
    response = client.post("/calendar/2026/", {"action": "accept"})
    assert response.status_code == 400
    assert not StatutoryDay.objects.filter(date__year=2026).exists()


# --- the commands and the nightly warning --------------------------------------------------------


def test_calendar_show_lists_the_non_standard_days_and_their_source(org):
    load_2027(org)
    WorkdayOverride.objects.create(date=D(2027, 3, 5), is_workday=False, note="年会")
    out = StringIO()
    call_command("calendar", "show", "2027", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["calendar"] == {"source": "company", "confirmed": True}
    by_day = {d["date"]: d for d in data["days"]}
    assert by_day["2027-02-20"] == {
        "date": "2027-02-20",
        "kind": "work",
        "name": "春节",
        "source": "company",
    }
    assert by_day["2027-03-05"]["source"] == "exception"
    out = StringIO()
    call_command("calendar", "show", "2026", stdout=out)
    assert "2026-10-10 Sat  work  statutory" in out.getvalue()


def test_calendar_check_exits_1_naming_every_year_in_use_without_a_calendar(org):
    # given targets in 2027 and 2028, and 2027 loaded later
    target_set(
        month=FEB, metric="revenue", unit=org.branch, value=Decimal(1000), today=D(2026, 12, 4)
    )
    target_set(
        month=D(2028, 1, 1),
        metric="revenue",
        unit=org.branch,
        value=Decimal(9),
        today=D(2026, 12, 4),
    )
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("calendar", "check", stdout=StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert "2027, 2028" in err.getvalue()
    # when 2027 is loaded, only 2028 is named
    load_2027(org)
    assert uncovered_years() == [2028]


def test_calendar_check_passes_when_every_year_is_known(org):
    out = StringIO()
    call_command("calendar", "check", stdout=out)
    assert "Every year in use has its statutory holidays." in out.getvalue()


def test_nightly_warning_reaches_the_admins_from_november_once_a_day(org):
    # nothing in use in 2027 yet: October says nothing, November warns about the coming year
    assert calendar_warn_admins(today=D(2026, 10, 30)) == 0
    assert calendar_warn_admins(today=D(2026, 11, 2)) == 1
    assert calendar_warn_admins(today=D(2026, 11, 2)) == 0  # idempotent for the day
    message = Message.objects.get()
    assert message.address == org.admin.email and "2027" in message.text
    load_2027(org)
    assert calendar_warn_admins(today=D(2026, 11, 3)) == 0


def test_the_nightly_job_is_scheduled_and_queues_the_warning(org):
    from tiejun.rhythm.tasks import calendar_check

    month = D(2090, 1, 1)
    target_set(
        month=month, metric="revenue", unit=org.branch, value=Decimal(5), today=D(2026, 12, 4)
    )
    assert calendar_check.call_local() == 1
    assert "2090" in Message.objects.get(address=org.admin.email).text
