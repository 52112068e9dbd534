"""Red lines over the API: the same chain, the same rules, JSON answers."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import client_for
from tiejun.discipline.models import Case, Flag, FlagStatus
from tiejun.discipline.scan import flags_scan

from .conftest import DAY, ZONE
from .scenario import suspicious_day

pytestmark = pytest.mark.django_db

API = "/api/v1/redlines"


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def flagged(company, time_machine):
    suspicious_day(company, time_machine)
    time_machine.move_to(dt.datetime(2026, 12, 16, 10, 30, tzinfo=ZONE))  # the suite's clock
    flags_scan(day=DAY)
    return company


def test_flags_list_and_dismiss(flagged):
    client = client_for(flagged.supervisor_b)
    rows = client.get(f"{API}/flags").json()
    assert {(r["kind"], r["employee_no"]) for r in rows} == {
        ("shared_position", "R3"),
        ("reversal", "R4"),
    }
    reversal = next(r for r in rows if r["kind"] == "reversal")
    assert reversal["evidence"]["changes"][0]["deal_no"]
    response = post(client, f"{API}/flags/{reversal['id']}/dismiss", {"reason": ""})
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    response = post(
        client, f"{API}/flags/{reversal['id']}/dismiss", {"reason": "客户退货，正常冲红"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    r1_flag = Flag.objects.get(person=flagged.reps["R1"])
    assert post(client, f"{API}/flags/{r1_flag.pk}/dismiss", {"reason": "x"}).status_code == 404
    assert Flag.objects.get(pk=r1_flag.pk).status == FlagStatus.OPEN


def test_open_a_case_from_a_flag_and_decide_it(flagged):
    supervisor = client_for(flagged.supervisor_a)
    flag = Flag.objects.get(person=flagged.reps["R2"])
    response = post(
        supervisor,
        f"{API}/flags/{flag.pk}/case",
        {"category": "false_visit", "occurred_on": "2026-12-02", "facts": "宁波签到，人在杭州"},
    )
    assert response.status_code == 201
    case = response.json()
    assert (case["employee_no"], case["status"], case["category"]) == ("R2", "open", "false_visit")
    assert (
        post(
            supervisor,
            f"{API}/cases/{case['number']}/decision",
            {"decision": "dismissal", "reason": "x", "effective_date": "2026-12-16"},
        ).status_code
        == 403
    )
    manager = client_for(flagged.manager)
    response = post(
        manager,
        f"{API}/cases/{case['id']}/decision",
        {"decision": "dismissal", "reason": "虚假签到", "effective_date": "2026-12-16"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "dismissal"
    assert body["customers_handed_over"] == 2
    detail = manager.get(f"{API}/cases/{case['number']}").json()
    assert detail["evidence"] == []
    assert detail["applied_at"]


def test_open_a_case_directly_and_refuse_what_is_out_of_reach(company):
    client = client_for(company.supervisor_a)
    good = {
        "employee_no": "R1",
        "category": "values",
        "occurred_on": "2026-12-10",
        "facts": "辱骂客户",
    }
    assert post(client, f"{API}/cases", {**good, "employee_no": "R5"}).status_code == 404
    assert post(client, f"{API}/cases", {**good, "category": "nope"}).status_code == 400
    assert post(client, f"{API}/cases", {**good, "occurred_on": "10/12/2026"}).status_code == 422
    assert not Case.objects.exists()
    response = post(client, f"{API}/cases", good)
    assert response.status_code == 201
    assert [c["employee_no"] for c in client.get(f"{API}/cases").json()] == ["R1"]
    rep = client_for(company.reps["R1"])
    assert rep.get(f"{API}/cases").json() == []
    assert rep.get(f"{API}/cases/{response.json()['id']}").status_code == 404
    assert rep.get(f"{API}/mine").json() == []


def test_ids_out_of_range_are_not_found(company):
    client = client_for(company.admin)
    huge = 2**64
    assert client.get(f"{API}/cases/{huge}").status_code == 404
    assert post(client, f"{API}/flags/{huge}/dismiss", {"reason": "x"}).status_code == 404
    assert client.get(f"/redlines/cases/{huge}/").status_code == 404
    assert client.get(f"/redlines/flags/{huge}/").status_code == 404
