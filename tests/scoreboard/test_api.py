import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from tests.factories import client_for, deal
from tiejun.org.services import token_create
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.targets.services import target_set

MONTH = dt.date(2026, 6, 1)
EARLY = dt.date(2026, 5, 1)
AS_OF = dt.date(2026, 6, 10)
QUERY = {"month": "2026-06", "as_of": "2026-06-10"}
FIGURES = ("target", "achieved", "today", "remaining", "required_daily")
ROW_FIELDS = {"kind", "code", "name", "target", "achieved", "today", "remaining"}
ROW_FIELDS |= {"completion", "required_daily", "rank"}


@pytest.fixture
def june(org):
    target_set(month=MONTH, metric="revenue", unit=org.branch, value=Decimal(50000), today=EARLY)
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(30000), today=EARLY)
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R1"], value=Decimal(10000), today=EARLY
    )
    target_set(month=MONTH, metric="new_customers", unit=org.team_a, value=Decimal(8), today=EARLY)
    deal(org.reps["R1"], "6000.5", dt.date(2026, 6, 3))
    deal(org.reps["R2"], 2500, AS_OF)
    deal(org.reps["R3"], 700, dt.date(2026, 6, 4))
    return org


def test_board_json_is_the_selector_json(june):
    # when
    response = client_for(june.reps["R1"]).get("/api/v1/board/HZ", QUERY)
    # then
    assert response.status_code == 200
    expected = board_for_unit(june.branch, month=MONTH, as_of=AS_OF, metric="revenue").to_json()
    assert response.json() == expected
    assert response.json()["achieved"] == "9200.50"


def test_board_fields_have_the_contract_types(june):
    data = client_for(june.manager).get("/api/v1/board/HZ1", QUERY).json()
    assert data["unit"] == {"code": "HZ1", "name": "杭州一组", "kind": "team"}
    assert data["month"] == "2026-06"
    assert data["as_of"] == "2026-06-10"
    assert data["metric"] == "revenue"
    assert data["working_days"] == {"total": 21, "elapsed": 8}
    for name in (*FIGURES, "allocation_gap"):
        assert isinstance(data[name], str), name
        assert len(data[name].split(".")[1]) == 2, name
    for name in ("completion", "time_progress"):
        assert isinstance(data[name], float)
        assert round(data[name], 4) == data[name]
    rows = {row["code"]: row for row in data["rows"]}
    assert set(rows) == {"R1", "R2"}
    for row in rows.values():
        assert set(row) == ROW_FIELDS
        assert isinstance(row["rank"], int)
    # R2 has no target: the undefined figures are null
    assert rows["R2"]["target"] is None
    assert rows["R2"]["remaining"] is None
    assert rows["R2"]["completion"] is None
    assert rows["R2"]["required_daily"] is None
    assert rows["R2"]["today"] == "2500.00"


def test_count_metric_is_integers(june):
    data = client_for(june.manager).get("/api/v1/board/HZ1", {**QUERY, "metric": "new_customers"})
    data = data.json()
    assert data["target"] == 8
    assert data["achieved"] == 2
    assert isinstance(data["remaining"], int)
    assert isinstance(data["required_daily"], float)


def test_rep_sees_own_branch_subtree_only(org):
    client = client_for(org.reps["R1"])
    for code in ("HZ", "HZ1", "HZ2"):
        assert client.get(f"/api/v1/board/{code}", QUERY).status_code == 200, code
    for code in ("NB", "NB1", "ZJ", "HQ", "NOPE"):
        response = client.get(f"/api/v1/board/{code}", QUERY)
        assert response.status_code == 404, code
        assert response.json()["detail"]


def test_admin_sees_every_board(org):
    client = client_for(org.admin)
    for code in ("HQ", "ZJ", "NB", "NB1", "HZ2"):
        assert client.get(f"/api/v1/board/{code}", QUERY).status_code == 200, code


def test_anonymous_is_refused(org):
    response = Client().get("/api/v1/board/HZ", QUERY)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_bearer_token_works_and_a_wrong_one_does_not(org):
    token = token_create(person=org.reps["R5"])
    ok = Client().get("/api/v1/board/NB", QUERY, headers={"authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert ok.json()["unit"]["code"] == "NB"
    other = Client().get("/api/v1/board/HZ", QUERY, headers={"authorization": f"Bearer {token}"})
    assert other.status_code == 404
    wrong = Client().get("/api/v1/board/NB", QUERY, headers={"authorization": "Bearer tj_nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "June"}, "month"),
        ({"as_of": "2026-06-31"}, "as_of"),
        ({"metric": "profit"}, "metric"),
    ],
)
def test_bad_arguments_are_400_with_a_message(org, params, field):
    response = client_for(org.manager).get("/api/v1/board/HZ", params)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"]


def test_board_query_count_is_pinned(june, django_assert_num_queries):
    client = client_for(june.admin)
    client.get("/api/v1/board/HQ", QUERY)  # warm the session and caches
    for rep in june.reps.values():
        deal(rep, 100, dt.date(2026, 6, 2))
    for code, queries in (("HQ", 9), ("HZ", 9), ("HZ1", 9)):
        with django_assert_num_queries(queries):
            assert client.get(f"/api/v1/board/{code}", QUERY).status_code == 200
