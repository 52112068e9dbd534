import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import client_for, deal
from tiejun.targets.models import Target, TargetChange
from tiejun.targets.services import target_set

TODAY = dt.date(2026, 11, 28)
NEXT = "2026-12"
DECEMBER = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)


def put(client, **body):
    return client.put("/api/v1/targets", body, content_type="application/json")


def split(client, code, **body):
    return client.post(f"/api/v1/targets/{code}/split", body, content_type="application/json")


def test_manager_sets_a_unit_target_and_it_is_audited(org):
    # when
    response = put(client_for(org.manager), month=NEXT, scope="unit", code="HZ1", value="30000.5")
    # then
    assert response.status_code == 200, response.content
    assert response.json() == {
        "month": NEXT,
        "scope": "unit",
        "code": "HZ1",
        "name": "杭州一组",
        "metric": "revenue",
        "value": "30000.50",
        "locked": False,
    }
    change = TargetChange.objects.get()
    assert (change.unit, change.new_value, change.changed_by) == (
        org.team_a,
        Decimal("30000.50"),
        org.manager,
    )


def test_supervisor_sets_a_person_target(org):
    response = put(
        client_for(org.supervisor_a),
        month=NEXT,
        scope="person",
        code="R1",
        metric="new_customers",
        value=5,
    )
    assert response.status_code == 200
    assert response.json()["value"] == 5
    assert Target.objects.get(person=org.reps["R1"]).value == 5


def test_who_may_set_targets(org):
    # a rep sees the team but may not set its target
    rep = client_for(org.reps["R1"])
    assert put(rep, month=NEXT, scope="unit", code="HZ1", value=1).status_code == 403
    assert put(rep, month=NEXT, scope="person", code="R1", value=1).status_code == 403
    # a supervisor of HZ1 sees HZ2 but does not lead it
    supervisor = client_for(org.supervisor_a)
    assert put(supervisor, month=NEXT, scope="unit", code="HZ2", value=1).status_code == 403
    assert put(supervisor, month=NEXT, scope="person", code="R3", value=1).status_code == 403
    # outside the manager's branch: not found
    manager = client_for(org.manager)
    assert put(manager, month=NEXT, scope="unit", code="NB1", value=1).status_code == 404
    assert put(manager, month=NEXT, scope="person", code="R5", value=1).status_code == 404
    assert not Target.objects.exists()
    assert (
        put(client_for(org.admin), month=NEXT, scope="unit", code="NB1", value=1).status_code == 200
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"value": "-1"}, "value"),
        ({"metric": "new_customers", "value": "1.5"}, "value"),
        ({"metric": "profit"}, "metric"),
    ],
)
def test_bad_target_is_400(org, body, field):
    base = {"month": NEXT, "scope": "unit", "code": "HZ1", "value": "100"}
    response = put(client_for(org.manager), **{**base, **body})
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert not Target.objects.exists()


def test_changing_a_locked_month_needs_a_reason(org):
    # given: November is locked (its first working day has passed)
    target_set(month=dt.date(2026, 11, 1), metric="revenue", unit=org.team_a, value=Decimal(100))
    manager = client_for(org.manager)
    # when / then
    response = put(manager, month="2026-11", scope="unit", code="HZ1", value="200")
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert Target.objects.get().value == 100
    response = put(
        manager,
        month="2026-11",
        scope="unit",
        code="HZ1",
        value="200",
        reason="新客户签约，目标上调一成",
    )
    assert response.status_code == 200
    assert response.json()["locked"] is True
    assert TargetChange.objects.first().reason == "新客户签约，目标上调一成"


def test_list_gives_the_cascade_of_a_unit(org):
    # given
    manager = client_for(org.manager)
    put(manager, month=NEXT, scope="unit", code="HZ", value="100000")
    put(manager, month=NEXT, scope="unit", code="HZ1", value="60000")
    put(manager, month=NEXT, scope="person", code="R3", value="25000")
    # when
    response = client_for(org.reps["R1"]).get("/api/v1/targets", {"month": NEXT, "unit": "HZ"})
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["unit"] == {"code": "HZ", "name": "杭州分公司", "kind": "branch"}
    assert (data["target"], data["own_target"], data["children_sum"]) == (
        "100000.00",
        "100000.00",
        "85000.00",
    )
    assert data["allocation_gap"] == "15000.00"
    assert data["locked"] is False
    rows = {r["code"]: r for r in data["rows"]}
    assert rows["HZ1"]["target"] == "60000.00"
    assert rows["HZ2"]["target"] is None
    assert rows["HZ2"]["children_sum"] == "25000.00"
    team = client_for(org.reps["R1"]).get("/api/v1/targets", {"month": NEXT}).json()
    assert team["unit"]["code"] == "HZ1"  # the caller's own team by default
    assert [(r["scope"], r["code"]) for r in team["rows"]] == [("person", "R1"), ("person", "R2")]


def test_list_outside_scope_and_bad_month(org):
    rep = client_for(org.reps["R1"])
    assert rep.get("/api/v1/targets", {"unit": "NB"}).status_code == 404
    response = rep.get("/api/v1/targets", {"unit": "HZ", "month": "12/2026"})
    assert response.status_code == 400
    assert response.json()["field"] == "month"


def test_split_evenly(org):
    response = split(client_for(org.manager), "HZ", month=NEXT, total="100000.01", method="even")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["total"] == "100000.01"
    shares = {s["code"]: s["value"] for s in data["shares"]}
    assert shares == {"HZ1": "50000.01", "HZ2": "50000.00"}
    assert Target.objects.get(unit=org.branch, month=DECEMBER).value == Decimal("100000.01")
    assert Target.objects.get(unit=org.team_b, month=DECEMBER).value == Decimal("50000.00")


def test_split_by_last_month(org):
    # October is the last complete month on 28 November; November's own deals do not count
    deal(org.reps["R1"], 3000, dt.date(2026, 10, 5), today=TODAY)
    deal(org.reps["R2"], 1000, dt.date(2026, 10, 6), today=TODAY)
    deal(org.reps["R2"], 9000, dt.date(2026, 11, 6), today=TODAY)
    response = split(
        client_for(org.supervisor_a), "HZ1", month=NEXT, total="8000", method="last_month"
    )
    assert response.status_code == 200
    shares = {s["code"]: (s["scope"], s["value"]) for s in response.json()["shares"]}
    assert shares == {"R1": ("person", "6000.00"), "R2": ("person", "2000.00")}


def test_split_by_hand(org):
    response = split(
        client_for(org.manager),
        "HZ",
        month=NEXT,
        total="100000",
        method="manual",
        values={"HZ1": "70000", "HZ2": "20000"},
    )
    assert response.status_code == 200
    shares = {s["code"]: s["value"] for s in response.json()["shares"]}
    assert shares == {"HZ1": "70000.00", "HZ2": "20000.00"}
    cascade = client_for(org.manager).get("/api/v1/targets", {"month": NEXT, "unit": "HZ"})
    assert cascade.json()["allocation_gap"] == "10000.00"


def test_split_refusals(org):
    manager = client_for(org.manager)
    response = split(manager, "HZ", month=NEXT, total="100", method="manual", values={"NB1": "1"})
    assert response.status_code == 400
    assert response.json()["field"] == "values"
    response = split(manager, "HZ", month=NEXT, total="100", method="manual")
    assert response.status_code == 400
    assert split(manager, "HZ", month=NEXT, total="100", method="guess").status_code == 422
    assert split(manager, "NB", month=NEXT, total="100", method="even").status_code == 404
    rep = client_for(org.reps["R1"])
    assert split(rep, "HZ1", month=NEXT, total="100", method="even").status_code == 403
    assert not Target.objects.exists()


def test_targets_query_count_is_pinned(org, django_assert_num_queries):
    client = client_for(org.admin)
    client.get("/api/v1/targets", {"month": NEXT, "unit": "HQ"})
    with django_assert_num_queries(11):
        assert client.get("/api/v1/targets", {"month": NEXT, "unit": "HQ"}).status_code == 200
    for code in ("HQ", "ZJ", "HZ", "NB", "HZ1", "HZ2", "NB1"):
        put(client, month=NEXT, scope="unit", code=code, value="10")
    with django_assert_num_queries(11):
        assert client.get("/api/v1/targets", {"month": NEXT, "unit": "HQ"}).status_code == 200


REASON = "客户合同延期到下个月签约"


def test_a_supervisor_may_not_cut_their_own_teams_locked_target(org):
    # given: November (locked) targets of team A and its supervisor, set before it locked
    early = dt.date(2026, 10, 20)
    target_set(
        month=dt.date(2026, 11, 1), metric="revenue", unit=org.team_a, value=100, today=early
    )
    target_set(
        month=dt.date(2026, 11, 1), metric="revenue", person=org.supervisor_a, value=50, today=early
    )
    supervisor = client_for(org.supervisor_a)
    month = {"month": "2026-11", "value": "1"}
    # when: the supervisor cuts them, with a token reason or a real one
    for reason in (".", REASON):
        response = put(supervisor, scope="unit", code="HZ1", reason=reason, **month)
        # then: refused, saying who may
        assert response.status_code == 403, response.content
        assert "level above you" in response.json()["detail"]
        own = put(supervisor, scope="person", code="S1", reason=reason, **month)
        assert own.status_code == 403
    response = split(supervisor, "HZ1", month="2026-11", total="1", method="even", reason=REASON)
    assert response.status_code == 403
    assert Target.objects.get(unit=org.team_a).value == 100
    assert Target.objects.get(person=org.supervisor_a).value == 50
    assert not Target.objects.filter(person__employee_no__in=["R1", "R2"]).exists()
    assert TargetChange.objects.count() == 2
    # the manager, one level up, needs a real reason: "." is 400 on the reason field
    manager = client_for(org.manager)
    response = put(manager, scope="unit", code="HZ1", reason=".", **month)
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert "10 letters or digits" in response.json()["detail"]
    response = put(manager, scope="unit", code="HZ1", reason=REASON, **month)
    assert response.status_code == 200, response.content
    assert Target.objects.get(unit=org.team_a).value == 1
