"""Creating and editing customers, contacts and opportunities over the API."""

import json

import pytest

from tests.factories import client_for
from tiejun.audit.models import AuditEntry
from tiejun.crm.models import Contact, Customer, Opportunity
from tiejun.crm.services.contacts import contact_add
from tiejun.crm.services.customers import customer_create
from tiejun.crm.services.opportunities import opportunity_create


def send(client, method, url, body=None):
    return getattr(client, method)(
        "/api/v1" + url, data=json.dumps(body or {}), content_type="application/json"
    )


@pytest.fixture
def book(org):
    customer_create(code="C-R1", name="客户R1", owner=org.reps["R1"], by=org.reps["R1"])
    customer_create(code="C-R5", name="客户R5", owner=org.reps["R5"], by=org.reps["R5"])
    customer_create(code="P-1", name="公海客户", by=org.reps["R2"])  # HZ1's pool
    return org


def test_create_a_customer(book):
    r1 = client_for(book.reps["R1"])
    body = {
        "customer_code": "C-NEW",
        "name": "西湖茶业",
        "lat": "30.2431",
        "lon": 120.1283,
        "priority": "A",
        "opens_at": "08:30",
    }
    response = send(r1, "post", "/customers", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["customer_code"] == "C-NEW" and out["owner_employee_no"] == "R1"
    assert (out["lat"], out["lon"], out["opens_at"]) == ("30.243100", "120.128300", "08:30:00")
    assert out["contacts"] == [] and out["ownership"][0]["reason"] == "claim"
    entry = AuditEntry.objects.get(object_type="customer", object_id="C-NEW", action="create")
    assert (entry.action, entry.source, entry.actor) == ("create", "api", book.reps["R1"])
    pooled = send(r1, "post", "/customers", {"customer_code": "P-2", "name": "x", "pool": True})
    assert pooled.status_code == 201 and pooled.json()["owner_employee_no"] is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"customer_code": "C-R1", "name": "dup"}, 400, "code"),
        ({"customer_code": "A/B", "name": "x"}, 400, "code"),
        ({"customer_code": "X", "name": "x", "lat": 91}, 422, None),
        ({"customer_code": "X", "name": "x", "priority": "D"}, 422, None),
        ({"customer_code": "X"}, 422, None),
        (
            {"customer_code": "X", "name": "x", "opens_at": "18:00", "closes_at": "09:00"},
            400,
            "closes_at",
        ),
        ({"customer_code": "X", "name": "a\u0000b"}, 400, "name"),
    ],
)
def test_create_refuses_bad_input(book, body, status, field):
    response = send(client_for(book.reps["R1"]), "post", "/customers", body)
    assert response.status_code == status, response.content
    assert "detail" in response.json()
    if field:
        assert response.json()["field"] == field
    assert Customer.objects.count() == 3


def test_patch_a_customer(book):
    r1 = client_for(book.reps["R1"])
    response = send(
        r1, "patch", "/customers/C-R1", {"status": "customer", "lat": "30", "lon": "120"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "customer" and response.json()["lat"] == "30.000000"
    assert response.json()["name"] == "客户R1"  # untouched
    response = send(r1, "patch", "/customers/C-R1", {"lat": None, "lon": None})
    assert response.json()["lat"] is None
    assert send(r1, "patch", "/customers/C-R1", {"name": None}).status_code == 400
    assert send(r1, "patch", "/customers/C-R1", {"priority": "Z"}).status_code == 422
    assert send(r1, "patch", "/customers/C-R5", {"name": "x"}).status_code == 404
    assert send(r1, "patch", "/customers/NOPE", {"name": "x"}).status_code == 404
    assert send(r1, "patch", "/customers/P-1", {"name": "x"}).status_code == 403
    assert (
        send(client_for(book.supervisor_a), "patch", "/customers/P-1", {"size": "10"}).status_code
        == 200
    )
    assert Customer.objects.get(code="P-1").name == "公海客户"


def test_contacts(book):
    r1 = client_for(book.reps["R1"])
    response = send(r1, "post", "/customers/C-R1/contacts", {"name": "王经理", "title": "采购"})
    assert response.status_code == 201, response.content
    cid = response.json()["id"]
    assert response.json() == {"id": cid, "name": "王经理", "title": "采购", "phone": ""}
    assert send(r1, "post", "/customers/C-R1/contacts", {"title": "x"}).status_code == 422
    assert send(r1, "post", "/customers/C-R5/contacts", {"name": "x"}).status_code == 404
    response = send(r1, "patch", f"/customers/C-R1/contacts/{cid}", {"phone": "138"})
    assert response.status_code == 200 and response.json()["phone"] == "138"
    assert response.json()["name"] == "王经理"
    theirs = contact_add(customer=Customer.objects.get(code="C-R5"), name="李总")
    assert (
        send(r1, "patch", f"/customers/C-R1/contacts/{theirs.pk}", {"name": "x"}).status_code == 404
    )
    assert send(r1, "delete", f"/customers/C-R1/contacts/{theirs.pk}").status_code == 404
    assert send(r1, "delete", "/customers/C-R1/contacts/99999999999").status_code == 422
    assert send(r1, "delete", f"/customers/C-R1/contacts/{cid}").status_code == 204
    assert list(Contact.objects.values_list("name", flat=True)) == ["李总"]
    brief = r1.get("/api/v1/customers/C-R1").json()
    assert brief["contacts"] == []


def test_opportunities(book):
    r1 = client_for(book.reps["R1"])
    body = {"title": "年度采购", "amount": "50000", "stage": "qualified", "probability": "0.4"}
    response = send(r1, "post", "/customers/C-R1/opportunities", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["amount"], out["probability"], out["owner_employee_no"]) == (
        "50000.00",
        "0.400",
        "R1",
    )
    oid = out["id"]
    for bad in ({"amount": "-1"}, {"amount": "1.005"}, {"probability": 2}, {"stage": "x"}):
        response = send(r1, "post", "/customers/C-R1/opportunities", {**body, **bad})
        assert response.status_code == 422, bad
    assert Opportunity.objects.count() == 1
    response = send(
        r1,
        "patch",
        f"/customers/C-R1/opportunities/{oid}",
        {"amount": "60000", "expected_close": "2026-12-31"},
    )
    assert response.status_code == 200 and response.json()["amount"] == "60000.00"
    response = send(r1, "patch", f"/customers/C-R1/opportunities/{oid}", {"stage": "won"})
    assert response.json()["stage"] == "won" and response.json()["probability"] == "1.000"
    other = opportunity_create(customer=Customer.objects.get(code="C-R5"), title="x", amount=1)
    assert (
        send(r1, "patch", f"/customers/C-R1/opportunities/{other.pk}", {"amount": "1"}).status_code
        == 404
    )
    assert (
        send(r1, "patch", f"/customers/C-R5/opportunities/{other.pk}", {"amount": "1"}).status_code
        == 404
    )


def test_every_write_declares_its_error_codes():
    from tiejun.api import api

    paths = api.get_openapi_schema()["paths"]
    for path, ops in paths.items():
        if not path.startswith("/api/v1/customers"):
            continue
        for method, op in ops.items():
            if method in ("post", "patch", "delete"):
                assert {400, 401, 403, 404, 422} <= {int(c) for c in op["responses"]}, (
                    path,
                    method,
                )
