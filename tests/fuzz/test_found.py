"""What the API fuzzer found, pinned as plain examples."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def admin_get(seeded, client):
    def get(path, **params):
        return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {seeded.admin_token}")

    return get


@pytest.mark.parametrize("path", ["/api/v1/deals", "/api/v1/customers"])
def test_a_huge_page_number_is_refused_not_a_500(admin_get, path):
    assert admin_get(path, page=str(10**28)).status_code == 422
    assert admin_get(path, page="1000000").json()["items"] == []


def test_a_nul_character_is_a_clear_refusal(seeded, client):
    response = client.post(
        "/api/v1/moves",
        {"employee_no": "R\x001", "unit_code": "HZ2", "effective_date": "2026-11-02"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {seeded.admin_token}",
    )
    # PostgreSQL cannot store the character (400); SQLite finds no such person (404).
    expected = 400 if connection.vendor == "postgresql" else 404
    assert response.status_code == expected
    assert response.json()["detail"]


def test_opening_hours_are_local_clock_text(seeded, admin_get):
    from tiejun.crm.models import Customer

    Customer.objects.filter(code="C1").update(opens_at="08:30", closes_at="18:00:05")
    body = admin_get("/api/v1/customers/C1").json()
    assert (body["opens_at"], body["closes_at"]) == ("08:30:00", "18:00:05")
    assert body["visits"][0]["employee_no"] == "R1"


@pytest.mark.parametrize("value", ["1e40", "100000000000000000"])
def test_a_target_too_large_for_its_column_is_a_clear_refusal(seeded, client, value):
    from tiejun.targets.models import Target

    before = Target.objects.count()
    response = client.put(
        "/api/v1/targets",
        {"month": "2099-01", "metric": "revenue", "scope": "unit", "code": "HZ1", "value": value},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {seeded.admin_token}",
    )
    assert response.status_code == 400, response.content
    assert "exceed" in response.json()["detail"]
    assert Target.objects.count() == before
