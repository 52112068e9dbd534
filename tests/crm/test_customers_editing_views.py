"""Creating and editing customers, contacts and opportunities on the pages."""

from decimal import Decimal

import pytest

from tests.factories import client_for
from tiejun.crm.models import Contact, Customer, Opportunity
from tiejun.crm.services.contacts import contact_add
from tiejun.crm.services.customers import customer_create
from tiejun.crm.services.opportunities import opportunity_create


@pytest.fixture
def book(org):
    customer_create(code="C-R1", name="客户R1", owner=org.reps["R1"], by=org.reps["R1"])
    customer_create(code="C-R5", name="客户R5", owner=org.reps["R5"], by=org.reps["R5"])
    customer_create(code="P-1", name="公海客户")
    return org


NEW = {
    "code": "C-NEW",
    "name": "西湖茶业",
    "industry": "茶叶",
    "address": "龙井路1号",
    "lat": "30.2431",
    "lon": "120.1283",
    "status": "prospect",
    "priority": "A",
    "opens_at": "08:30",
    "closes_at": "17:30",
}


def test_a_rep_creates_a_customer_and_owns_it(book):
    client = client_for(book.reps["R1"])
    assert client.get("/customers/new/").status_code == 200
    assert 'id="new-customer"' in client.get("/customers/").content.decode()
    response = client.post("/customers/new/", NEW)
    assert response.status_code == 302 and response.url == "/customers/C-NEW/"
    customer = Customer.objects.get(code="C-NEW")
    assert customer.owner == book.reps["R1"] and customer.lat == Decimal("30.243100")
    assert customer.ownership.get().reason == "claim"


def test_create_shows_errors_next_to_fields_and_writes_nothing(book):
    client = client_for(book.reps["R1"])
    response = client.post("/customers/new/", {**NEW, "code": "C-R1", "lat": "95"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "lat" in form.errors
    response = client.post("/customers/new/", {**NEW, "code": "C-R1"})
    assert "code" in response.context["form"].errors  # taken, said by the service
    assert "exists already" in response.content.decode()
    assert not Customer.objects.filter(name="西湖茶业").exists()


def test_at_the_limit_the_rep_is_told_to_use_the_pool(book, settings):
    settings.MAX_PRIVATE_CUSTOMERS = 1
    client = client_for(book.reps["R1"])
    response = client.post("/customers/new/", NEW)
    assert "pool" in response.context["form"].errors
    assert not Customer.objects.filter(code="C-NEW").exists()
    response = client.post("/customers/new/", {**NEW, "pool": "on"})
    assert response.status_code == 302
    assert Customer.objects.get(code="C-NEW").owner is None


def test_a_duplicate_name_and_address_is_flagged(book):
    client = client_for(book.reps["R1"])
    client.post("/customers/new/", NEW)
    response = client.post("/customers/new/", {**NEW, "code": "C-NEW2"}, follow=True)
    assert "same name at the same address" in response.content.decode()


def test_edit_page_for_owner_and_leader_404_for_others_403_on_pool(book):
    org = book
    r1 = client_for(org.reps["R1"])
    page = r1.get("/customers/C-R1/").content.decode()
    assert 'id="edit-customer"' in page and 'id="contact-form"' in page
    response = r1.post(
        "/customers/C-R1/edit",
        {"name": "客户R1改", "status": "customer", "priority": "C", "lat": "", "lon": ""},
    )
    assert response.status_code == 302
    customer = Customer.objects.get(code="C-R1")
    assert (customer.name, customer.status, customer.priority) == ("客户R1改", "customer", "C")
    response = r1.post(
        "/customers/C-R1/edit",
        {
            "name": "x",
            "status": "customer",
            "priority": "C",
            "opens_at": "18:00",
            "closes_at": "9:00",
        },
    )
    assert "closes_at" in response.context["form"].errors
    assert Customer.objects.get(code="C-R1").name == "客户R1改"
    assert client_for(org.supervisor_a).get("/customers/C-R1/edit").status_code == 200
    assert client_for(org.reps["R2"]).get("/customers/C-R1/edit").status_code == 404
    assert client_for(org.reps["R2"]).post("/customers/C-R1/contacts", {}).status_code == 404
    assert r1.get("/customers/P-1/edit").status_code == 403
    assert 'id="edit-customer"' not in r1.get("/customers/P-1/").content.decode()
    assert client_for(org.admin).get("/customers/P-1/edit").status_code == 200


def test_contacts_inline(book):
    r1 = client_for(book.reps["R1"])
    response = r1.post(
        "/customers/C-R1/contacts",
        {"contact-name": "王经理", "contact-title": "采购", "contact-phone": "138"},
    )
    assert response.status_code == 302 and response.url == "/customers/C-R1/#contacts"
    contact = Contact.objects.get()
    response = r1.post("/customers/C-R1/contacts", {"contact-name": ""})
    assert response.status_code == 200
    assert response.context["contact_form"].errors["name"]
    response = r1.post(
        f"/customers/C-R1/contacts/{contact.pk}",
        {f"contact-{contact.pk}-name": "王总", f"contact-{contact.pk}-phone": "139"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.title, contact.phone) == ("王总", "", "139")
    # another customer's contact through this customer's address: not found
    theirs = contact_add(customer=Customer.objects.get(code="C-R5"), name="李总")
    assert r1.post(f"/customers/C-R1/contacts/{theirs.pk}/remove").status_code == 404
    assert r1.post(f"/customers/C-R1/contacts/{contact.pk}/remove").status_code == 302
    assert list(Contact.objects.values_list("name", flat=True)) == ["李总"]


def test_opportunities_inline(book):
    r1 = client_for(book.reps["R1"])
    data = {
        "opportunity-title": "年度采购",
        "opportunity-stage": "qualified",
        "opportunity-amount": "50000",
        "opportunity-expected_close": "2026-12-20",
        "opportunity-probability": "40",
    }
    assert r1.post("/customers/C-R1/opportunities", data).status_code == 302
    opp = Opportunity.objects.get()
    assert (opp.probability, opp.owner) == (Decimal("0.400"), book.reps["R1"])
    response = r1.post("/customers/C-R1/opportunities", {**data, "opportunity-amount": "-5"})
    assert response.status_code == 200
    assert response.context["opportunity_form"].errors["amount"]
    assert Opportunity.objects.count() == 1
    prefix = f"opportunity-{opp.pk}"
    edit = {k.replace("opportunity", prefix): v for k, v in data.items()}
    response = r1.post(
        f"/customers/C-R1/opportunities/{opp.pk}", {**edit, f"{prefix}-probability": "140"}
    )
    assert response.status_code == 200
    assert response.context["opportunity_rows"][0][1].errors["probability"]
    assert "<details open>" in response.content.decode()
    r1.post(f"/customers/C-R1/opportunities/{opp.pk}", {**edit, f"{prefix}-amount": "70000"})
    opp.refresh_from_db()
    assert opp.amount == Decimal("70000.00")
    r1.post(f"/customers/C-R1/opportunities/{opp.pk}/close", {"outcome": "lost"})
    opp.refresh_from_db()
    assert opp.stage == "lost"
    assert r1.get("/customers/C-R1/").context["opportunity_rows"] == []


def test_detail_page_query_count_with_edit_forms(book, django_assert_num_queries):
    customer = Customer.objects.get(code="C-R1")
    for i in range(5):
        contact_add(customer=customer, name=f"联系人{i}")
        opportunity_create(customer=customer, title=f"机会{i}", amount="100")
    client = client_for(book.reps["R1"])
    client.get("/customers/C-R1/")  # warm
    with django_assert_num_queries(11):
        response = client.get("/customers/C-R1/")
    assert len(response.context["contact_rows"]) == 5
