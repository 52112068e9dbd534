"""The board's "YTD / milestone" column (issue 16, point 3): provided by the incentives app
through ``scoreboard.columns``, shown only when a plan milestone applies."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import client_for, deal, person
from tests.incentives.conftest import STD_2026
from tiejun.incentives.services import plan_load

TODAY = dt.date(2026, 12, 16)
URL = "/board/HZ1/?month=2026-12&as_of=2026-12-16"


@pytest.fixture
def plan(org):
    return plan_load(data=copy.deepcopy(STD_2026))


def ytd_cells(response) -> dict[str, object]:
    rows = response.context["rows"]
    return {item["row"].code: item["extra"] for item in rows}


def test_no_column_without_a_plan_milestone(org):
    deal(org.reps["R1"], 5000, dt.date(2026, 12, 1), today=TODAY)
    response = client_for(org.supervisor_a).get(URL)
    assert response.status_code == 200
    assert response.context["extra_columns"] == []
    assert "YTD / milestone" not in response.content.decode()


def test_the_column_shows_each_reps_year_against_the_milestone(org, plan):
    # given: R1 ¥988,600 this year, R2 over ¥1,000,000 since 08-07
    deal(org.reps["R1"], 988600, dt.date(2026, 6, 1), today=TODAY)
    deal(org.reps["R2"], 1000000, dt.date(2026, 8, 7), today=TODAY)
    # when
    response = client_for(org.supervisor_a).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    # then
    (column,) = response.context["extra_columns"]
    assert column.label == "YTD / milestone"
    cells = ytd_cells(response)
    (r1,) = cells["R1"]
    assert r1.text.startswith("¥988,600 / ¥1,000,000") and r1.state == "near"
    (r2,) = cells["R2"]
    assert (r2.text, r2.state) == ("¥1,000,000 reached 08-07", "reached")
    assert r2.title == "期权 20,000 股 (plan STD-2026)"
    html = response.content.decode()
    assert "YTD / milestone" in html and "¥988,600 / ¥1,000,000" in html


def test_a_board_of_units_has_no_column(org, plan):
    deal(org.reps["R1"], 988600, dt.date(2026, 6, 1), today=TODAY)
    response = client_for(org.manager).get("/board/HZ/?month=2026-12&as_of=2026-12-16")
    assert response.context["extra_columns"] == []


def count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_board_with_the_column_keeps_a_pinned_query_count(org, plan, django_assert_num_queries):
    deal(org.reps["R1"], 988600, dt.date(2026, 6, 1), today=TODAY)
    client = client_for(org.supervisor_a)
    client.get(URL)  # warm up
    before = count(client)
    # the board's 15 (with the "any yearly milestone?" question), the people, and the fixed few
    # of the milestone progress
    assert before == 23
    # given: ten more reps of the team with deals this year
    for i in range(10):
        rep = person(f"Y{i}", org.team_a, start=dt.date(2026, 1, 1))
        deal(rep, 10000 * (i + 1), dt.date(2026, 12, 1), today=TODAY)
    # then: the same number of queries, with a cell for every rep
    with django_assert_num_queries(before):
        response = client.get(URL)
    assert all(extra and extra[0] for extra in ytd_cells(response).values())
