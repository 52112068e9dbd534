"""The bulk export of customers: managers and admin only, the list's filters, always audited."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.factories import client_for, person
from tiejun.audit.models import AuditEntry
from tiejun.crm.models import Customer
from tiejun.crm.services.customers import customer_create
from tiejun.org.models import Role


@pytest.fixture
def customers(org):
    r1, r3, r5 = org.reps["R1"], org.reps["R3"], org.reps["R5"]
    customer_create(code="C-R1", name="甲", owner=r1)
    customer_create(code="C-R3", name="乙", owner=r3)
    customer_create(code="C-R5", name="丙", owner=r5)  # another branch
    customer_create(code="C-POOL", name="=HYPERLINK(1)")  # pool; a formula-looking name
    return org


def codes_in_csv(content: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return sorted(row[0] for row in rows[1:])


def test_manager_exports_the_visible_customers_and_it_is_audited(customers):
    # when
    response = client_for(customers.manager).get("/customers/export/?format=csv")
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert codes_in_csv(response.content) == ["C-POOL", "C-R1", "C-R3"]
    entry = AuditEntry.objects.get(action="export")
    assert (entry.object_type, entry.object_id) == ("customer", "bulk")
    assert entry.actor == customers.manager and entry.source == "web"
    assert entry.after["count"] == 3 and entry.after["filters"] == {}


def test_a_formula_is_exported_as_text(customers):
    response = client_for(customers.admin).get("/customers/export/?format=csv&pool=1")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_the_export_keeps_the_list_filters(customers):
    response = client_for(customers.manager).get("/customers/export/?owner=R3")
    assert codes_in_csv(response.content) == ["C-R3"]
    assert AuditEntry.objects.get(action="export").after["filters"] == {"owner": "R3"}


def test_api_export_as_xlsx(customers):
    response = client_for(customers.admin).get("/api/v1/customers/export?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    codes = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert codes == ["C-POOL", "C-R1", "C-R3", "C-R5"]
    entry = AuditEntry.objects.get(action="export")
    assert entry.source == "api" and entry.after == {
        "count": 4,
        "format": "xlsx",
        "filters": {},
    }


def test_an_unknown_format_is_a_clear_error(customers):
    response = client_for(customers.admin).get("/api/v1/customers/export?format=pdf")
    assert response.status_code == 422
    assert not AuditEntry.objects.filter(action="export").exists()


@pytest.mark.parametrize("who", ["rep", "supervisor", "coordinator"])
def test_others_get_404_and_nothing_is_audited(customers, who):
    someone = {
        "rep": customers.reps["R1"],
        "supervisor": customers.supervisor_a,
        "coordinator": person("C1", customers.branch, Role.COORDINATOR),
    }[who]
    client = client_for(someone)
    assert client.get("/customers/export/?format=csv").status_code == 404
    assert client.get("/api/v1/customers/export?format=csv").status_code == 404
    assert "export-csv" not in client.get("/customers/").content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_list_offers_the_export_to_a_manager(customers):
    html = client_for(customers.manager).get("/customers/?status=prospect").content.decode()
    assert 'id="export-csv"' in html and "status=prospect&amp;format=csv" in html


def test_the_api_page_size_is_capped(org):
    Customer.objects.bulk_create(Customer(code=f"P{i:04d}", name="池") for i in range(130))
    response = client_for(org.reps["R1"]).get("/api/v1/customers?page_size=1000")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 130 and len(body["items"]) == 100
