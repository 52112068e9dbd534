"""The pages and the API: who sees which statement, approving, exports, query counts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.factories import client_for, deal, person
from tiejun.incentives.models import Statement
from tiejun.incentives.services import plan_load
from tiejun.targets.services import target_set

NOV = dt.date(2026, 11, 1)


@pytest.fixture
def setup(org, plan_data):
    plan_load(data=plan_data)
    for no in ("R1", "R2"):
        target_set(
            month=NOV,
            metric="revenue",
            value=Decimal(100000),
            person=org.reps[no],
            by=org.admin,
            reason="测试目标设定原因说明",
            today=dt.date(2026, 10, 28),
        )
    deal(org.reps["R1"], 120000, dt.date(2026, 11, 10))
    deal(org.reps["R2"], 60000, dt.date(2026, 11, 12))
    return org


def test_a_rep_sees_their_own_statement_and_not_a_colleagues(setup):
    client = client_for(setup.reps["R1"])
    page = client.get("/incentives/statements/R1/2026-11/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "¥5,000.00" in body and "¥2,400.00" in body
    assert "data-approve" not in body  # not their own
    assert client.get("/incentives/statements/R2/2026-11/").status_code == 404
    assert client.get("/api/v1/incentives/statements/R2/2026-11").status_code == 404
    assert client.get("/incentives/statements/R1/2026-13/").status_code == 404


def test_the_manager_approves_and_exports(setup):
    client = client_for(setup.manager)
    page = client.get("/incentives/statements/R1/2026-11/")
    assert "data-approve" in page.content.decode()
    response = client.post("/incentives/statements/R1/2026-11/approve/")
    assert response.status_code == 302
    statement = Statement.objects.get(person=setup.reps["R1"], month=NOV)
    assert statement.total == Decimal(5000) and statement.approved_by == setup.manager
    page = client.get("/incentives/statements/R1/2026-11/").content.decode()
    assert 'data-status="approved"' in page and "data-approve" not in page
    xlsx = client.get("/incentives/statements/R1/2026-11/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert Decimal("5000") in [
        Decimal(str(v)) for v in values if isinstance(v, int | float | Decimal)
    ]
    pdf = client.get("/incentives/statements/R1/2026-11/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # a month not over yet cannot be approved: refused with a message, nothing written
    client.post("/incentives/statements/R2/2026-12/approve/")
    assert not Statement.objects.filter(month=dt.date(2026, 12, 1)).exists()


def test_a_manager_of_another_branch_cannot_approve(setup):
    client = client_for(setup.reps["R5"])
    assert client.post("/incentives/statements/R1/2026-11/approve/").status_code == 404
    assert not Statement.objects.exists()


def test_api_statement_and_milestones(setup):
    client = client_for(setup.supervisor_a)
    data = client.get("/api/v1/incentives/statements/R1/2026-11").json()
    assert data["total"] == "5000.00" and data["lines"][2]["amount"] == "1600.00"
    assert client.get("/api/v1/incentives/statements/R1/11-2026").status_code == 400
    approved = client.post("/api/v1/incentives/statements/R1/2026-11/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    rows = client.get("/api/v1/incentives/milestones/R1").json()
    assert rows[0]["milestone"] == "M1" and rows[0]["ytd"] == "120000.00"
    assert client.get("/api/v1/incentives/milestones/R3").status_code == 404


def test_query_counts(setup, django_assert_num_queries):
    client = client_for(setup.manager)
    client.get("/incentives/statements/?month=2026-11")  # warm the session and caches
    with django_assert_num_queries(7):
        page = client.get("/incentives/statements/?month=2026-11")
    assert page.status_code == 200 and "R1" in page.content.decode()
    for i in range(13):  # a full team more: the same number of queries
        person(f"X{i:02d}", setup.team_a, name=f"新员工{i:02d}")
    with django_assert_num_queries(7):
        page = client.get("/incentives/statements/?month=2026-11")
    assert "X12" in page.content.decode()
    client.get("/incentives/")
    with django_assert_num_queries(5):
        client.get("/incentives/")
    client.get("/incentives/statements/R1/2026-11/")
    with django_assert_num_queries(24):
        client.get("/incentives/statements/R1/2026-11/")
    client.get("/incentives/people/R1/milestones/")
    with django_assert_num_queries(19):
        card = client.get("/incentives/people/R1/milestones/")
    assert "期权 20,000 股" in card.content.decode()
