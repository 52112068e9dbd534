"""POST/GET /api/v1/daily-reports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.field.reports_setup import DAY, at, customer, visit
from tiejun.field.models import DailyReport
from tiejun.field.services.reports import daily_report_save

pytestmark = pytest.mark.django_db
URL = "/api/v1/daily-reports"


# The reports happen on a fixed day, whatever the day the tests run (tests/field/conftest.py).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def _client(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _post(client, **body):
    return client.post(URL, body, content_type="application/json")


def test_create_update_and_submit(org, django_assert_num_queries):
    r1 = org.reps["R1"]
    yesterday = timezone.localdate() - dt.timedelta(days=1)  # always still open for writing
    visit(r1, customer("CA"), at(yesterday, "10:00"))
    client = _client(r1)
    # when: a new report with only the problems given
    response = _post(client, date=yesterday.isoformat(), problems="下雨")
    # then: 201, the rest pre-filled, a draft
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["employee_no"] == "R1" and data["date"] == yesterday.isoformat()
    assert data["problems"] == "下雨" and data["visited"].startswith("10:00 客户CA")
    assert data["submitted_at"] is None and data["late"] is False
    # when: updated and filed
    with django_assert_num_queries(6):
        response = _post(client, date=yesterday.isoformat(), won="一单", submit=True)
    assert response.status_code == 200
    data = response.json()
    assert data["won"] == "一单" and data["problems"] == "下雨"
    assert data["submitted_at"] is not None
    assert data["late"] is True  # filed today for a past date, after its due time
    assert DailyReport.objects.filter(person=r1).count() == 1


def test_default_date_is_today(org):
    response = _post(_client(org.reps["R1"]), visited="今天拜访两家", submit=True)
    assert response.status_code == 201
    assert response.json()["date"] == timezone.localdate().isoformat()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"date": "2099-01-01", "visited": "x"}, 400, "date"),
        ({"date": "2026-13-01"}, 422, None),
        ({"visited": "y" * 5001}, 400, "visited"),
        ({"submit": True}, 400, "visited"),  # nothing to file
        ({"date": DAY.isoformat(), "visited": "x"}, 400, "date"),  # before the previous workday
    ],
)
def test_bad_input_is_a_4xx_with_a_message_and_nothing_written(org, body, status, field):
    response = _post(_client(org.reps["R1"]), **body)
    assert response.status_code == status
    if field:
        assert response.json()["field"] == field and response.json()["detail"]
    assert DailyReport.objects.count() == 0


def test_list_shows_the_reports_the_caller_may_read(org, django_assert_num_queries):
    for no in ("R1", "R2", "R3", "R5"):
        daily_report_save(
            person=org.reps[no], day=DAY, texts={"visited": no}, submit=True, now=at(DAY, "19:00")
        )
    daily_report_save(
        person=org.reps["R1"], day=DAY - dt.timedelta(days=1), texts={}, now=at(DAY, "18:00")
    )
    expected = {"R1": ["R1"], "S1": ["R1", "R2"], "M1": ["R1", "R2", "R3"]}
    for no, people in expected.items():
        viewer = org.reps.get(no) or {"S1": org.supervisor_a, "M1": org.manager}[no]
        client = _client(viewer)
        client.get(URL, {"date": DAY.isoformat()})  # warm the session
        with django_assert_num_queries(4 if no == "R1" else 5):
            response = client.get(URL, {"date": DAY.isoformat()})
        assert response.status_code == 200
        assert [r["employee_no"] for r in response.json()] == people


def test_unauthenticated_is_refused():
    assert Client().post(URL, {}, content_type="application/json").status_code == 401
