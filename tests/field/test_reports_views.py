"""The daily report pages: my report, the team status board, a report with comments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.field.reports_setup import DAY, at, customer, visit
from tiejun.field.models import DailyReport, ReportComment
from tiejun.field.selectors.reports import TEXT_FIELDS
from tiejun.field.services.reports import daily_report_save

pytestmark = pytest.mark.django_db
MINE = reverse("field:report_mine")
BOARD = reverse("field:report_board")


# The reports happen on a fixed day, whatever the day the tests run (tests/field/conftest.py).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def _client(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _filed(rep, day=DAY):
    return daily_report_save(
        person=rep, day=day, texts={"visited": "拜访记录"}, submit=True, now=at(day, "19:00")
    )[0]


def test_my_report_today_is_prefilled(org, django_assert_num_queries):
    today = timezone.localdate()
    visit(org.reps["R1"], customer("CA"), at(today, "10:15"), met_whom="李经理", notes="要报价")
    client = _client(org.reps["R1"])
    client.get(MINE)
    with django_assert_num_queries(8):
        response = client.get(MINE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "10:15 客户CA (CA) — met 李经理" in body
    assert "客户CA: 要报价" in body
    assert 'data-state="new"' in body
    assert not DailyReport.objects.exists()  # opening the page writes nothing


def test_save_a_draft_then_file_from_the_page(org):
    client = _client(org.reps["R1"])
    form = {
        "date": timezone.localdate().isoformat(),
        "visited": "A",
        "feedback": "B",
        "problems": "",
        "won": "",
        "tomorrow": "C",
    }
    response = client.post(MINE, form | {"action": "save"})
    assert response.status_code == 302
    report = DailyReport.objects.get()
    assert report.submitted_at is None and report.visited == "A"
    response = client.post(MINE, form | {"action": "file", "won": "一单"}, follow=True)
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.submitted_at is not None and report.won == "一单"
    assert "Your daily report is filed." in response.content.decode()


def test_filing_an_empty_report_shows_the_message_and_writes_nothing(org):
    client = _client(org.reps["R1"])
    form = {"date": timezone.localdate().isoformat(), "action": "file"} | dict.fromkeys(
        TEXT_FIELDS, ""
    )
    response = client.post(MINE, form)
    assert response.status_code == 400
    assert "An empty report cannot be filed." in response.content.decode()
    assert not DailyReport.objects.exists()


def test_a_bad_date_is_a_400(org):
    response = _client(org.reps["R1"]).get(MINE, {"date": "2026-02-30"})
    assert response.status_code == 400


def test_status_board_for_the_supervisor(org, django_assert_num_queries):
    _filed(org.reps["R1"])
    client = _client(org.supervisor_a)
    client.get(BOARD, {"date": DAY.isoformat()})
    with django_assert_num_queries(7):
        response = client.get(BOARD, {"date": DAY.isoformat()})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-employee="R1" data-state="filed"' in body
    assert 'data-employee="R2" data-state="missing"' in body
    assert 'data-employee="R3"' not in body  # (a bare "R3" may turn up in the CSP nonce)
    report = DailyReport.objects.get()
    assert reverse("field:report_detail", args=[report.pk]) in body


def test_status_board_of_a_manager_subtree(org):
    _filed(org.reps["R3"])
    response = _client(org.manager).get(BOARD, {"date": DAY.isoformat(), "unit": "HZ"})
    body = response.content.decode()
    assert response.status_code == 200
    assert all(f'data-employee="R{i}"' in body for i in (1, 2, 3, 4))
    assert 'data-employee="R5"' not in body


@pytest.mark.parametrize(("who", "unit"), [("R1", ""), ("R1", "HZ1"), ("S1", "HZ2"), ("M1", "NB1")])
def test_status_board_is_404_outside_the_viewer_s_units(org, who, unit):
    viewer = {"R1": org.reps["R1"], "S1": org.supervisor_a, "M1": org.manager}[who]
    assert _client(viewer).get(BOARD, {"unit": unit} if unit else {}).status_code == 404


def test_read_a_report_and_comment(org, django_assert_num_queries):
    report = _filed(org.reps["R1"])
    url = reverse("field:report_detail", args=[report.pk])
    client = _client(org.supervisor_a)
    client.get(url)
    with django_assert_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200 and "拜访记录" in response.content.decode()
    response = client.post(url, {"text": "明天重点跟进客户A"})
    assert response.status_code == 302
    assert ReportComment.objects.get().author == org.supervisor_a
    # the rep sees the comment on the report and on their own page
    rep = _client(org.reps["R1"])
    assert "明天重点跟进客户A" in rep.get(url).content.decode()
    assert "明天重点跟进客户A" in rep.get(MINE, {"date": DAY.isoformat()}).content.decode()
    # an empty comment is refused
    assert client.post(url, {"text": " "}).status_code == 400
    assert ReportComment.objects.count() == 1


@pytest.mark.parametrize("who", ["R2", "R3", "M1_other"])
def test_someone_else_s_report_is_404(org, who):
    report = _filed(org.reps["R1"] if who != "M1_other" else org.reps["R5"])
    viewer = {"R2": org.reps["R2"], "R3": org.reps["R3"], "M1_other": org.manager}[who]
    url = reverse("field:report_detail", args=[report.pk])
    client = _client(viewer)
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "x"}).status_code == 404
    assert not ReportComment.objects.exists()


def test_pages_need_a_login(client):
    assert client.get(MINE).status_code == 302
    assert client.get(BOARD).status_code == 302


def test_tomorrow_s_plan_is_linked(org):
    from tests.field.reports_setup import NEXT_DAY, plan

    plan(org.reps["R1"], NEXT_DAY, [customer("CN")])
    response = _client(org.reps["R1"]).get(MINE, {"date": DAY.isoformat()})
    body = response.content.decode()
    assert "1. 客户CN 10:00" in body
    assert reverse("field:plan", args=["R1", NEXT_DAY.isoformat()]) in body


def test_a_report_for_an_old_date_is_a_400_page_with_the_message(org):
    old = timezone.localdate() - dt.timedelta(days=10)
    form = {"date": old.isoformat(), "action": "save", "visited": "补写"}
    response = _client(org.reps["R1"]).post(MINE, form)
    assert response.status_code == 400
    assert "can no longer be written or changed" in response.content.decode()
    assert not DailyReport.objects.exists()
