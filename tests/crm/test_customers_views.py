"""Who sees which customer, on the pages, the map and the API; query counts pinned."""

import datetime as dt
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import client_for
from tiejun.crm.models import Customer, OwnershipChange
from tiejun.crm.selectors.customers import access_customer, customers_visible_to
from tiejun.crm.services.contacts import contact_add
from tiejun.crm.services.customers import customer_create
from tiejun.crm.services.opportunities import opportunity_create
from tiejun.errors import NotFound

TODAY = timezone.localdate()


@pytest.fixture
def book(org):
    """C-R1 … C-R5 owned by each rep, C-S1 by the supervisor, P-1 in the open pool."""
    for no, rep in org.reps.items():
        customer_create(
            code=f"C-{no}", name=f"客户{no}", owner=rep, lat="30.2", lon="120.1", priority="A"
        )
    customer_create(code="C-S1", name="主管客户", owner=org.supervisor_a, priority="C")
    customer_create(code="P-1", name="公海客户", lat="30.3", lon="120.2")
    return org


def visible(person):
    return sorted(customers_visible_to(person).values_list("code", flat=True))


def test_visibility_matrix(book):
    org = book
    assert visible(org.reps["R1"]) == ["C-R1", "P-1"]
    assert visible(org.reps["R3"]) == ["C-R3", "P-1"]
    assert visible(org.supervisor_a) == ["C-R1", "C-R2", "C-S1", "P-1"]
    assert visible(org.manager) == ["C-R1", "C-R2", "C-R3", "C-R4", "C-S1", "P-1"]
    assert visible(org.admin) == ["C-R1", "C-R2", "C-R3", "C-R4", "C-R5", "C-S1", "P-1"]
    with pytest.raises(NotFound):
        access_customer(org.reps["R1"], "C-R2")
    with pytest.raises(NotFound):
        access_customer(org.reps["R1"], "NO-SUCH")
    assert access_customer(org.reps["R1"], "P-1").code == "P-1"


@pytest.mark.parametrize("viewer", ["R1", "S1", "M1"])
def test_someone_elses_customer_is_404_on_page_and_api(book, viewer):
    org = book
    people = {**org.reps, "S1": org.supervisor_a, "M1": org.manager}
    client = client_for(people[viewer])
    assert client.get("/customers/C-R5/").status_code == 404
    response = client.get("/api/v1/customers/C-R5")
    assert response.status_code == 404
    assert "detail" in response.json()
    assert client.get("/customers/P-1/").status_code == 200
    assert client.get("/api/v1/customers/P-1").status_code == 200


def test_list_page_filters(book):
    client = client_for(book.manager)

    def codes(**params):
        response = client.get("/customers/", params)
        assert response.status_code == 200
        return [c.code for c in response.context["customers"]]

    assert codes() == ["C-R1", "C-R2", "C-R3", "C-R4", "C-S1", "P-1"]
    assert codes(pool="1") == ["P-1"]
    assert codes(owner="R3") == ["C-R3"]
    assert codes(priority="C") == ["C-S1"]
    assert codes(q="公海") == ["P-1"]
    assert codes(status="customer") == []
    assert codes(owner="R5") == []  # invisible owner: nothing
    assert client_for(book.reps["R1"]).get("/customers/", {"mine": "1"}).context["customers"][
        0
    ].code == ("C-R1")


def test_detail_page_shows_the_brief_and_allowed_buttons(book):
    org = book
    customer = Customer.objects.get(code="C-R1")
    contact_add(customer=customer, name="王经理", title="采购")
    opportunity_create(customer=customer, title="年度采购", amount="50000")
    opportunity_create(customer=customer, title="丢了的", amount="1", stage="lost")
    page = client_for(org.reps["R1"]).get("/customers/C-R1/").content.decode()
    assert "王经理" in page and "年度采购" in page and "丢了的" not in page
    assert 'id="release"' in page and 'id="claim"' not in page and 'id="handover"' not in page
    page = client_for(org.supervisor_a).get("/customers/C-R1/").content.decode()
    assert 'id="handover"' in page and 'id="release"' in page
    page = client_for(org.reps["R1"]).get("/customers/P-1/").content.decode()
    assert 'id="claim"' in page and 'id="release"' not in page


def test_detail_page_shows_the_last_three_visits(book):
    from tiejun.field.models import Visit

    customer = Customer.objects.get(code="C-R1")
    rep = book.reps["R1"]
    for i in range(4):
        Visit.objects.create(
            id=uuid.uuid4(),
            person=rep,
            unit=book.team_a,
            customer=customer,
            checkin_at=timezone.now() - dt.timedelta(days=i),
            met_whom=f"访客{i}",
        )
    page = client_for(rep).get("/customers/C-R1/").content.decode()
    assert "访客0" in page and "访客2" in page and "访客3" not in page


def test_claim_release_handover_through_the_pages(book):
    org = book
    r1 = client_for(org.reps["R1"])
    response = r1.post("/customers/P-1/claim")
    assert response.status_code == 302 and response.url == "/customers/P-1/"
    assert Customer.objects.get(code="P-1").owner == org.reps["R1"]
    # A second claim by a teammate: the customer is no longer visible to them.
    assert client_for(org.reps["R2"]).post("/customers/P-1/claim").status_code == 404
    # A rep cannot hand over: 403 (the customer is theirs to see), the message says why.
    response = r1.post("/customers/P-1/handover", {"to": "R2"})
    assert response.status_code == 403
    assert "supervisor or manager" in response.content.decode()
    assert Customer.objects.get(code="P-1").owner == org.reps["R1"]
    s1 = client_for(org.supervisor_a)
    s1.post("/customers/P-1/handover", {"to": "R2", "note": "更近"})
    assert Customer.objects.get(code="P-1").owner == org.reps["R2"]
    response = r1.post("/customers/P-1/release")
    assert response.status_code == 404
    response = client_for(org.reps["R2"]).post("/customers/P-1/release")
    assert response.status_code == 302
    assert Customer.objects.get(code="P-1").owner is None
    reasons = list(
        OwnershipChange.objects.filter(customer__code="P-1")
        .order_by("id")
        .values_list("reason", flat=True)
    )
    assert reasons == ["claim", "handover", "release"]
    assert r1.get("/customers/P-1/claim").status_code == 405


def test_map_page_lists_visible_positions(book):
    response = client_for(book.reps["R1"]).get("/customers/map/")
    assert response.status_code == 200
    points = response.context["points"]
    assert [p["code"] for p in points] == ["C-R1", "P-1"]
    assert points[0]["owner"] == "R1" and points[0]["priority"] == "A"
    html = response.content.decode()
    assert "vendor/leaflet/leaflet.js" in html
    assert json.loads(html.split('id="customer-points" type="application/json">')[1].split("<")[0])
    filtered = client_for(book.manager).get("/customers/map/", {"priority": "A", "owner": "R3"})
    assert [p["code"] for p in filtered.context["points"]] == ["C-R3"]


def test_list_page_and_map_query_counts_are_pinned(book, django_assert_num_queries):
    for i in range(60):
        customer_create(code=f"Z{i:03d}", name=f"Z{i}", owner=book.reps["R2"], lat="30", lon="120")
    client = client_for(book.supervisor_a)
    client.get("/customers/")  # warm
    # (one of them: the viewer's role, whether to offer the export)
    with django_assert_num_queries(12):
        response = client.get("/customers/")
    assert len(response.context["customers"]) == 50
    with django_assert_num_queries(12):
        client.get("/customers/", {"page": 2})
    with django_assert_num_queries(10):
        response = client.get("/customers/map/")
    assert len(response.context["points"]) == 63
    with django_assert_num_queries(15):
        client.get("/customers/C-R1/")


# --- API --------------------------------------------------------------------------------------


def api_codes(client, **params):
    response = client.get("/api/v1/customers", params)
    assert response.status_code == 200, response.content
    return [c["customer_code"] for c in response.json()["items"]]


def test_api_lists_visible_customers_with_filters(book):
    assert api_codes(client_for(book.reps["R1"])) == ["C-R1", "P-1"]
    manager = client_for(book.manager)
    assert api_codes(manager, pool=True) == ["P-1"]
    assert api_codes(manager, owner="R4") == ["C-R4"]
    assert api_codes(manager, priority="C") == ["C-S1"]
    assert api_codes(manager, q="客户R") == ["C-R1", "C-R2", "C-R3", "C-R4"]
    assert manager.get("/api/v1/customers", {"priority": "Z"}).status_code == 422
    item = manager.get("/api/v1/customers", {"owner": "R1"}).json()["items"][0]
    assert item["owner_employee_no"] == "R1" and item["lat"] == "30.200000"
    pool = manager.get("/api/v1/customers", {"pool": True}).json()["items"][0]
    assert pool["owner_employee_no"] is None


def test_api_detail_carries_the_brief(book):
    customer = Customer.objects.get(code="C-R1")
    contact_add(customer=customer, name="王经理", phone="138")
    opportunity_create(customer=customer, title="年度采购", amount="50000", probability="0.5")
    body = client_for(book.reps["R1"]).get("/api/v1/customers/C-R1").json()
    assert body["customer_code"] == "C-R1" and body["owner_employee_no"] == "R1"
    assert body["contacts"] == [{"name": "王经理", "title": "", "phone": "138"}]
    assert body["opportunities"][0]["amount"] == "50000.00"
    assert body["opportunities"][0]["probability"] == "0.500"
    assert body["ownership"][0]["reason"] == "claim"
    assert body["visits"] == []


def test_api_requires_authentication(book):
    assert Client().get("/api/v1/customers").status_code == 401


def test_api_query_counts_are_pinned(book, django_assert_num_queries):
    for i in range(60):
        customer_create(code=f"Z{i:03d}", name=f"Z{i}", owner=book.reps["R2"])
    client = client_for(book.supervisor_a)
    client.get("/api/v1/customers")
    with django_assert_num_queries(7):
        response = client.get("/api/v1/customers")
    assert response.json()["count"] == 64 and len(response.json()["items"]) == 50
    with django_assert_num_queries(7):
        client.get("/api/v1/customers", {"page": 2})
    with django_assert_num_queries(10):
        client.get("/api/v1/customers/C-R1")
