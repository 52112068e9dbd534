import datetime as dt

import pytest
from django.test import Client

from tests.factories import client_for, person
from tiejun.org.models import Membership, Role
from tiejun.org.selectors import membership_on
from tiejun.org.services import token_create


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: dt.date(2026, 11, 28))


def codes(response):
    assert response.status_code == 200, response.content
    return [u["code"] for u in response.json()]


def test_units_follow_who_sees_what(org):
    assert codes(client_for(org.reps["R1"]).get("/api/v1/units")) == ["HZ", "HZ1", "HZ2"]
    assert codes(client_for(org.manager).get("/api/v1/units")) == ["HZ", "HZ1", "HZ2"]
    assert codes(client_for(org.reps["R5"]).get("/api/v1/units")) == ["NB", "NB1"]
    everything = client_for(org.admin).get("/api/v1/units").json()
    assert [u["code"] for u in everything] == ["HQ", "ZJ", "HZ", "HZ1", "HZ2", "NB", "NB1"]
    by_code = {u["code"]: u for u in everything}
    assert by_code["HQ"]["parent_code"] is None
    assert by_code["HZ1"] == {
        "code": "HZ1",
        "name": "杭州一组",
        "kind": "team",
        "parent_code": "HZ",
        "depth": 3,
        "headcount": 3,
    }


def test_units_parent_of_the_root_is_given(org):
    data = client_for(org.reps["R1"]).get("/api/v1/units").json()
    assert data[0]["parent_code"] == "ZJ"


def test_unit_detail_lists_current_members(org):
    response = client_for(org.reps["R1"]).get("/api/v1/units/HZ1")
    assert response.status_code == 200
    data = response.json()
    assert data["parent_code"] == "HZ"
    assert data["children"] == []
    assert data["members"] == [
        {"employee_no": "R1", "name": "员工R1", "role": "rep", "since": "2025-01-01"},
        {"employee_no": "R2", "name": "员工R2", "role": "rep", "since": "2025-01-01"},
        {"employee_no": "S1", "name": "员工S1", "role": "supervisor", "since": "2025-01-01"},
    ]
    branch = client_for(org.reps["R1"]).get("/api/v1/units/HZ").json()
    assert branch["children"] == ["HZ1", "HZ2"]
    assert [m["employee_no"] for m in branch["members"]] == ["M1"]


def test_unit_outside_scope_is_404(org):
    client = client_for(org.reps["R1"])
    assert client.get("/api/v1/units/NB1").status_code == 404
    assert client.get("/api/v1/units/NOPE").status_code == 404


def test_person_with_history(org):
    # given
    moved = move(
        client_for(org.manager), employee_no="R3", unit_code="HZ1", effective_date="2026-06-01"
    )
    assert moved.status_code == 201
    # when
    response = client_for(org.reps["R1"]).get("/api/v1/people/R3")
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["employee_no"] == "R3"
    assert data["current"]["unit_code"] == "HZ1"
    assert [(m["unit_code"], m["valid_from"], m["valid_to"]) for m in data["history"]] == [
        ("HZ1", "2026-06-01", None),
        ("HZ2", "2025-01-01", "2026-05-31"),
    ]


def test_people_visibility(org):
    rep = client_for(org.reps["R1"])
    assert rep.get("/api/v1/people/R1").status_code == 200  # self
    assert rep.get("/api/v1/people/R3").status_code == 200  # same branch
    assert rep.get("/api/v1/people/R5").status_code == 404  # another branch
    assert rep.get("/api/v1/people/A1").status_code == 404  # at the company
    assert rep.get("/api/v1/people/NOPE").status_code == 404
    assert client_for(org.reps["R5"]).get("/api/v1/people/R5").status_code == 200
    assert client_for(org.admin).get("/api/v1/people/R5").status_code == 200


def move(client, **body):
    return client.post("/api/v1/moves", body, content_type="application/json")


def test_manager_transfers_within_the_branch(org):
    # when
    response = move(
        client_for(org.manager), employee_no="R3", unit_code="HZ1", effective_date="2026-12-01"
    )
    # then
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["unit_code"], data["role"], data["valid_from"]) == ("HZ1", "rep", "2026-12-01")
    assert data["previous"]["valid_to"] == "2026-11-30"
    assert membership_on(org.reps["R3"], dt.date(2026, 12, 1)).unit == org.team_a
    assert membership_on(org.reps["R3"], dt.date(2026, 11, 30)).unit == org.team_b


def test_manager_promotes_a_rep(org):
    response = move(
        client_for(org.manager),
        employee_no="R3",
        unit_code="HZ2",
        role="supervisor",
        effective_date="2026-12-01",
    )
    assert response.status_code == 201
    assert membership_on(org.reps["R3"], dt.date(2026, 12, 1)).role == Role.SUPERVISOR


def test_move_needs_both_units_managed(org):
    # a supervisor of HZ1 sees HZ2 but does not manage it: 403
    supervisor = client_for(org.supervisor_a)
    response = move(supervisor, employee_no="R1", unit_code="HZ2", effective_date="2026-12-01")
    assert response.status_code == 403
    assert response.json()["detail"]
    response = move(supervisor, employee_no="R3", unit_code="HZ1", effective_date="2026-12-01")
    assert response.status_code == 403
    # a rep may not move anyone, not even themself
    rep = client_for(org.reps["R1"])
    response = move(rep, employee_no="R1", unit_code="HZ2", effective_date="2026-12-01")
    assert response.status_code == 403
    # the manager of HZ does not see NB's people or units: 404
    manager = client_for(org.manager)
    response = move(manager, employee_no="R5", unit_code="HZ1", effective_date="2026-12-01")
    assert response.status_code == 404
    response = move(manager, employee_no="R1", unit_code="NB1", effective_date="2026-12-01")
    assert response.status_code == 404
    assert Membership.objects.count() == 8  # nothing moved


def test_admin_moves_across_branches(org):
    response = move(
        client_for(org.admin), employee_no="R5", unit_code="HZ1", effective_date="2026-12-01"
    )
    assert response.status_code == 201


def test_move_before_the_current_membership_began_is_400(org):
    response = move(
        client_for(org.manager), employee_no="R3", unit_code="HZ1", effective_date="2025-01-01"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "effective_date"
    assert Membership.objects.filter(person=org.reps["R3"]).count() == 1


def test_move_body_is_validated(org):
    response = move(client_for(org.manager), employee_no="R3", unit_code="HZ1")
    assert response.status_code == 422
    response = move(
        client_for(org.manager),
        employee_no="R3",
        unit_code="HZ1",
        role="king",
        effective_date="2026-12-01",
    )
    assert response.status_code == 422


def test_session_post_needs_csrf_but_bearer_does_not(org):
    body = {"employee_no": "R3", "unit_code": "HZ1", "effective_date": "2026-12-01"}
    session = Client(enforce_csrf_checks=True)
    session.force_login(org.manager)
    refused = session.post("/api/v1/moves", body, content_type="application/json")
    assert refused.status_code == 403
    token = token_create(person=org.manager)
    bearer = Client(enforce_csrf_checks=True)
    response = bearer.post(
        "/api/v1/moves",
        body,
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content


def test_anonymous_gets_401(org):
    assert Client().get("/api/v1/units").status_code == 401
    assert Client().get("/api/v1/people/R1").status_code == 401


def test_openapi_describes_every_endpoint(org):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/board/{unit_code}",
        "/api/v1/units",
        "/api/v1/units/{code}",
        "/api/v1/people/{employee_no}",
        "/api/v1/moves",
        "/api/v1/targets",
        "/api/v1/targets/{unit_code}/split",
        "/api/v1/deals",
        "/api/v1/deals/{deal_no}",
    ):
        assert path in paths


def test_org_query_counts_are_pinned(org, django_assert_num_queries):
    client = client_for(org.admin)
    client.get("/api/v1/units")
    with django_assert_num_queries(6):
        assert client.get("/api/v1/units").status_code == 200
    for i in range(6):
        person(f"N{i}", org.team_c)
    with django_assert_num_queries(6):
        assert len(client.get("/api/v1/units").json()) == 7
    with django_assert_num_queries(8):
        assert len(client.get("/api/v1/units/NB1").json()["members"]) == 7
    with django_assert_num_queries(5):
        assert client.get("/api/v1/people/N3").status_code == 200
