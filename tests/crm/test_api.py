import datetime as dt

import pytest
from django.test import Client

from tests.factories import client_for, deal, person
from tiejun.crm.models import Deal, DealChange
from tiejun.org.models import Role
from tiejun.org.services import token_create

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)


@pytest.fixture
def deals(org):
    """One deal per rep in November: D-R1 … D-R5."""
    for no, rep in org.reps.items():
        deal(rep, 1000, dt.date(2026, 11, 2), deal_no=f"D-{no}", today=TODAY)
    return org


def listed(client, **params):
    response = client.get("/api/v1/deals", params)
    assert response.status_code == 200, response.content
    return sorted(d["deal_no"] for d in response.json()["items"])


def body(**changes):
    data = {
        "deal_no": "N-1",
        "employee_no": "R1",
        "customer_code": "C-77",
        "customer_name": "西湖茶业",
        "amount": "1234.5",
        "won_date": "2026-11-20",
    }
    return {**data, **changes}


def post(client, **changes):
    return client.post("/api/v1/deals", body(**changes), content_type="application/json")


def test_who_sees_which_deals(deals):
    coordinator = person("C1", deals.branch, Role.COORDINATOR)
    assert listed(client_for(deals.reps["R1"])) == ["D-R1"]
    assert listed(client_for(deals.supervisor_a)) == ["D-R1", "D-R2"]
    assert listed(client_for(deals.manager)) == ["D-R1", "D-R2", "D-R3", "D-R4"]
    assert listed(client_for(coordinator)) == ["D-R1", "D-R2", "D-R3", "D-R4"]
    assert listed(client_for(deals.admin)) == ["D-R1", "D-R2", "D-R3", "D-R4", "D-R5"]


def test_a_deal_outside_ones_sight_is_404(deals):
    rep = client_for(deals.reps["R1"])
    assert rep.get("/api/v1/deals/D-R1").status_code == 200
    assert rep.get("/api/v1/deals/D-R2").status_code == 404  # teammate's
    assert rep.get("/api/v1/deals/NOPE").status_code == 404
    assert client_for(deals.supervisor_a).get("/api/v1/deals/D-R3").status_code == 404
    assert client_for(deals.manager).get("/api/v1/deals/D-R5").status_code == 404
    assert client_for(deals.admin).get("/api/v1/deals/D-R5").status_code == 200


def test_deal_detail_has_fields_and_history(deals):
    data = client_for(deals.supervisor_a).get("/api/v1/deals/D-R2").json()
    assert data["employee_no"] == "R2"
    assert data["unit_code"] == "HZ1"
    assert data["amount"] == "1000.00"
    assert data["won_date"] == "2026-11-02"
    assert data["channel"] == "visit"
    assert len(data["history"]) == 1
    assert data["history"][0]["before"] is None
    assert data["history"][0]["after"]["amount"] == "1000.00"


def test_list_filters(deals):
    deal(deals.reps["R3"], 50, dt.date(2026, 10, 9), deal_no="D-OCT", today=TODAY)
    manager = client_for(deals.manager)
    assert listed(manager, month="2026-10") == ["D-OCT"]
    assert listed(manager, unit="HZ2") == ["D-OCT", "D-R3", "D-R4"]
    assert listed(manager, employee_no="R3", month="2026-11") == ["D-R3"]
    assert manager.get("/api/v1/deals", {"unit": "NB"}).status_code == 404
    assert manager.get("/api/v1/deals", {"employee_no": "R5"}).status_code == 404
    response = manager.get("/api/v1/deals", {"month": "2026-1x"})
    assert response.status_code == 400
    assert response.json()["field"] == "month"


def test_list_is_paginated_and_its_query_count_is_pinned(org, django_assert_num_queries):
    client = client_for(org.manager)
    client.get("/api/v1/deals")
    for i in range(60):
        deal(org.reps["R1" if i % 2 else "R3"], 10 + i, dt.date(2026, 11, 3), today=TODAY)
    with django_assert_num_queries(7):
        response = client.get("/api/v1/deals")
    assert response.json()["count"] == 60
    assert len(response.json()["items"]) == 50
    with django_assert_num_queries(7):
        assert len(client.get("/api/v1/deals", {"page": 2}).json()["items"]) == 10


def test_rep_records_own_deal(org):
    # when
    response = post(client_for(org.reps["R1"]), client_id="phone-1")
    # then
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["deal_no"], data["amount"], data["unit_code"]) == ("N-1", "1234.50", "HZ1")
    deal_ = Deal.objects.get()
    assert deal_.created_by == org.reps["R1"]
    assert deal_.client_id == "phone-1"


def test_retries_never_duplicate(org):
    rep = client_for(org.reps["R1"])
    assert post(rep, client_id="phone-1").status_code == 201
    # the same client_id, even with a new number: the first deal
    again = post(rep, client_id="phone-1", deal_no="N-2")
    assert again.status_code == 200
    assert again.json()["deal_no"] == "N-1"
    # the same number and content without client_id
    assert post(rep).status_code == 200
    # the same number, other content: a conflict, nothing changed
    conflict = post(rep, amount="99")
    assert conflict.status_code == 409
    assert conflict.json()["field"] == "deal_no"
    assert Deal.objects.count() == 1
    assert Deal.objects.get().amount == 1234.5
    assert DealChange.objects.count() == 1


def test_a_number_taken_by_an_invisible_deal_is_not_overwritten(org):
    deal(org.reps["R5"], 10, dt.date(2026, 11, 2), deal_no="N-1", today=TODAY)
    response = post(client_for(org.reps["R1"]))
    # the answer of a foreign id: not "exists", not 409, nothing about the deal
    assert response.status_code == 404
    assert response.json()["field"] == "deal_no"
    assert "taken" not in response.json()["detail"]
    assert "R5" not in response.content.decode()
    assert Deal.objects.get().person == org.reps["R5"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"won_date": "2026-11-29"}, "won_date"),
        ({"deal_no": " "}, "deal_no"),
        ({"customer_code": ""}, "customer_code"),
    ],
)
def test_bad_deal_is_400_with_a_message(org, changes, field):
    response = post(client_for(org.reps["R1"]), **changes)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert not Deal.objects.exists()


def test_unparseable_body_is_422(org):
    rep = client_for(org.reps["R1"])
    assert post(rep, amount="lots").status_code == 422
    assert post(rep, won_date="yesterday").status_code == 422
    assert post(rep, channel="fax").status_code == 422
    assert not Deal.objects.exists()


def test_who_may_record_for_whom(org):
    rep = client_for(org.reps["R1"])
    assert post(rep, employee_no="R2").status_code == 403  # a teammate: seen, not theirs
    assert post(rep, employee_no="R5").status_code == 404  # another branch
    supervisor = client_for(org.supervisor_a)
    assert post(supervisor, employee_no="R3").status_code == 403
    assert post(supervisor, employee_no="R2").status_code == 201
    coordinator = client_for(person("C1", org.branch, Role.COORDINATOR))
    assert post(coordinator, employee_no="R4", deal_no="N-2").status_code == 201
    assert Deal.objects.count() == 2


def test_bearer_post_without_csrf(org):
    token = token_create(person=org.reps["R1"])
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/deals",
        body(),
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert (
        Client().post("/api/v1/deals", body(), content_type="application/json").status_code == 401
    )


def correct(client, deal_no, **changes):
    data = body(**changes)
    data.pop("deal_no")
    return client.put(f"/api/v1/deals/{deal_no}", data, content_type="application/json")


def test_correction_is_audited(deals):
    # when
    response = correct(
        client_for(deals.supervisor_a), "D-R1", employee_no="R2", amount="1500", reason="录错人"
    )
    # then
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["employee_no"], data["amount"]) == ("R2", "1500.00")
    latest = data["history"][0]
    assert latest["reason"] == "录错人"
    assert latest["changed_by"] == "S1"
    assert latest["before"]["employee_no"] == "R1"
    assert latest["after"]["employee_no"] == "R2"
    assert len(data["history"]) == 2


def test_correction_refusals(deals):
    rep = client_for(deals.reps["R1"])
    assert correct(rep, "D-R2", reason="x").status_code == 404
    no_reason = correct(rep, "D-R1", reason=" ")
    assert no_reason.status_code == 400
    assert no_reason.json()["field"] == "reason"
    assert correct(rep, "D-R1", employee_no="R2", reason="x").status_code == 403
    assert correct(rep, "D-R1", amount="-1", reason="x").status_code == 400
    assert DealChange.objects.count() == 5  # only the five recordings
