"""Issue 10 (trust), the crm points: deals on customers the recorder cannot see, one validation
of customer codes, the open pool's scope, foreign numbers and codes that tell nothing, control
characters in names, and the existence check of a new deal inside its transaction."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib import admin

from tests.factories import client_for, deal, person
from tiejun.crm.admin import CustomerAdminForm
from tiejun.crm.models import Contact, Customer, Deal, DealChange
from tiejun.crm.selectors.customers import can_edit_customer, can_handover
from tiejun.crm.services.contacts import contact_add
from tiejun.crm.services.customers import customer_create, customer_update
from tiejun.crm.services.ownership import customer_release
from tiejun.errors import TiejunError
from tiejun.imports.services import run_import
from tiejun.metrics import NEW_CUSTOMERS
from tiejun.org.models import Role, UnitKind
from tiejun.org.services import person_create, person_update, unit_create, unit_update
from tiejun.scoreboard.models import Fact

TODAY = dt.date(2026, 11, 28)
DEALS_HEADER = "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)


def api(client, method, url, body=None):
    return getattr(client, method)(
        "/api/v1" + url, data=json.dumps(body or {}), content_type="application/json"
    )


def deal_body(**changes):
    data = {
        "deal_no": "N-1",
        "employee_no": "R1",
        "customer_code": "C-NEW",
        "customer_name": "新客户",
        "amount": "1000.00",
        "won_date": "2026-11-20",
    }
    return {**data, **changes}


def deal_form(**changes):
    data = {
        "deal_no": "N-1",
        "rep": "R1",
        "customer_code": "C-NEW",
        "customer_name": "新客户",
        "amount": "1000.00",
        "won_date": "2026-11-20",
        "channel": "visit",
        "client_id": "form-1",
    }
    return {**data, **changes}


def deals_csv(*rows: str) -> bytes:
    return ("\n".join([DEALS_HEADER, *rows]) + "\n").encode()


def new_customer_credit(rep) -> Decimal:
    return sum(
        (f.value for f in Fact.objects.filter(metric=NEW_CUSTOMERS.code, person=rep)),
        Decimal(0),
    )


@pytest.fixture
def book(org):
    """C-R2 (R2's, HZ1), C-R5 (R5's, branch NB), a deal of R5's on C-R5 on 11-10."""
    customer_create(code="C-R2", name="二号的客户", owner=org.reps["R2"], by=org.reps["R2"])
    customer_create(code="C-R5", name="宁波客户", owner=org.reps["R5"], by=org.reps["R5"])
    deal(org.reps["R5"], 5000, dt.date(2026, 11, 10), customer="C-R5", deal_no="D-R5", today=TODAY)
    return org


# --- 1. deals on customers the recorder cannot see --------------------------------------------


def test_a_deal_on_a_foreign_customer_is_404_and_moves_no_credit(book):
    r1, r5 = book.reps["R1"], book.reps["R5"]
    assert new_customer_credit(r5) == 1
    # a back-dated ¥0.01 deal on another branch's customer, naming it anew
    response = api(
        client_for(r1),
        "post",
        "/deals",
        deal_body(customer_code="C-R5", customer_name="改名", amount="0.01", won_date="2026-11-01"),
    )
    assert response.status_code == 404
    assert response.json()["field"] == "customer_code"
    assert "宁波客户" not in response.content.decode()
    assert Customer.objects.get(code="C-R5").name == "宁波客户"
    assert not Deal.objects.filter(deal_no="N-1").exists()
    assert new_customer_credit(r5) == 1 and new_customer_credit(r1) == 0


def test_the_credited_rep_must_see_the_customer_too(book):
    # the supervisor sees R2's customer, R1 (credited) does not
    response = api(client_for(book.supervisor_a), "post", "/deals", deal_body(customer_code="C-R2"))
    assert response.status_code == 404
    # for R2, its owner, the same deal is fine
    response = api(
        client_for(book.supervisor_a),
        "post",
        "/deals",
        deal_body(employee_no="R2", customer_code="C-R2"),
    )
    assert response.status_code == 201, response.content


def test_a_deal_never_renames_an_existing_customer(book):
    response = api(
        client_for(book.reps["R2"]),
        "post",
        "/deals",
        deal_body(employee_no="R2", customer_code="C-R2", customer_name="新名字"),
    )
    assert response.status_code == 201
    assert response.json()["customer_name"] == "二号的客户"
    assert Customer.objects.get(code="C-R2").name == "二号的客户"
    # a new customer takes the name given, in the pool of the rep's team
    api(client_for(book.reps["R1"]), "post", "/deals", deal_body(deal_no="N-2"))
    created = Customer.objects.get(code="C-NEW")
    assert (created.name, created.owner, created.unit) == ("新客户", None, book.team_a)


def test_correcting_a_deal_onto_a_foreign_customer_is_404(book):
    deal(book.reps["R1"], 100, dt.date(2026, 11, 3), customer="C-R1", deal_no="D-R1", today=TODAY)
    body = deal_body(customer_code="C-R5", reason="x")
    body.pop("deal_no")
    assert api(client_for(book.reps["R1"]), "put", "/deals/D-R1", body).status_code == 404
    assert Deal.objects.get(deal_no="D-R1").customer.code == "C-R1"
    # the deal pages: the form says so, nothing is written
    page = client_for(book.reps["R1"]).post(
        "/deals/D-R1/edit", deal_form(deal_no="D-R1", customer_code="C-R5", reason="x")
    )
    assert page.status_code == 200 and b"unknown customer C-R5" in page.content
    assert Deal.objects.get(deal_no="D-R1").customer.code == "C-R1"
    assert DealChange.objects.filter(deal_no="D-R1").count() == 1


def test_the_deal_page_refuses_a_foreign_customer(book):
    response = client_for(book.reps["R1"]).post("/deals/new", deal_form(customer_code="C-R5"))
    assert response.status_code == 200
    assert b"unknown customer C-R5" in response.content
    assert not Deal.objects.filter(deal_no="N-1").exists()


def test_a_deal_import_row_on_a_foreign_customer_is_an_error_row(book):
    result = run_import(
        "deals",
        deals_csv(
            "I-1,R3,C-OK,好客户,100,2026-11-05,visit",
            "I-2,R1,C-R5,改名,0.01,2026-11-01,visit",
        ),
        "d.csv",
        by=book.manager,
        today=TODAY,
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "customer_code")]
    assert not Deal.objects.filter(deal_no__in=["I-1", "I-2"]).exists()
    assert Customer.objects.get(code="C-R5").name == "宁波客户"


# --- 2. one validation of customer codes ------------------------------------------------------


@pytest.mark.parametrize("code", ["A/B", "A B", "a?b", "50%", "new", "x\x01y", "C" * 33])
def test_a_bad_customer_code_is_refused_on_every_path(org, code):
    r1 = client_for(org.reps["R1"])
    response = api(r1, "post", "/deals", deal_body(customer_code=code))
    assert response.status_code in (400, 422), response.content
    if response.status_code == 400:
        assert response.json()["field"] == "customer_code"
    page = r1.post("/deals/new", deal_form(customer_code=code))
    assert page.status_code == 200 and b"errorlist" in page.content
    result = run_import(
        "deals", deals_csv(f"I-1,R1,{code},客户,100,2026-11-05,visit"), "d.csv", by=org.admin
    )
    assert [e.column for e in result.errors] == ["customer_code"]
    with pytest.raises(TiejunError):
        customer_create(code=code, name="客户")
    assert not Deal.objects.exists() and not Customer.objects.exists()
    # the customer list stays up for everyone
    assert r1.get("/customers/").status_code == 200


def test_the_customer_admin_repairs_a_bad_code(org):
    assert isinstance(admin.site._registry.get(Customer), admin.ModelAdmin)
    broken = Customer.objects.create(code="A/B", name="坏代码")
    data = {"code": "A/B", "name": "坏代码", "status": "prospect", "priority": "B", "notes": ""}
    form = CustomerAdminForm(data=data, instance=broken)
    assert not form.is_valid() and "code" in form.errors
    form = CustomerAdminForm(data={**data, "code": "A-B"}, instance=broken)
    assert form.is_valid(), form.errors
    form.save()
    assert Customer.objects.get(pk=broken.pk).code == "A-B"
    assert client_for(org.reps["R1"]).get("/customers/").status_code == 200


# --- 3. the open pool's scope; foreign numbers and codes tell nothing -------------------------


def test_leaders_edit_and_hand_over_only_their_subtrees_pool(org):
    s1, manager = org.supervisor_a, org.manager
    coordinator = person("K1", org.branch, Role.COORDINATOR)
    home = customer_create(code="P-HZ1", name="一组公海", by=org.reps["R1"])
    other_team = customer_create(code="P-HZ2", name="二组公海", by=org.reps["R3"])
    far = customer_create(code="P-NB1", name="宁波公海", by=org.reps["R5"])
    assert (home.unit, other_team.unit, far.unit) == (org.team_a, org.team_b, org.team_c)
    assert can_edit_customer(s1, home) and can_handover(s1, home)
    assert not can_edit_customer(s1, other_team) and not can_handover(s1, other_team)
    assert can_edit_customer(manager, other_team) and can_handover(manager, other_team)
    assert not can_edit_customer(manager, far) and not can_handover(manager, far)
    assert not can_edit_customer(coordinator, home)
    assert can_edit_customer(org.admin, far)
    # through the API and the pages: seen (the pool is everyone's to see), not theirs to edit
    assert api(client_for(s1), "patch", "/customers/P-HZ2", {"size": "9"}).status_code == 403
    assert api(client_for(manager), "patch", "/customers/P-NB1", {"size": "9"}).status_code == 403
    assert api(client_for(s1), "patch", "/customers/P-HZ1", {"size": "9"}).status_code == 200
    assert client_for(manager).get("/customers/P-NB1/edit").status_code == 403
    handover = client_for(manager).post("/customers/P-NB1/handover", {"to": "R1"})
    assert handover.status_code == 403
    assert Customer.objects.get(code="P-NB1").owner is None
    assert Customer.objects.get(code="P-HZ2").size == ""


def test_a_released_customer_stays_in_its_teams_pool(org):
    customer = customer_create(code="C-1", name="客户", owner=org.reps["R3"], by=org.reps["R3"])
    customer_release(customer=customer, by=org.reps["R3"])
    customer.refresh_from_db()
    assert customer.unit == org.team_b
    assert not can_edit_customer(org.supervisor_a, customer)
    assert can_edit_customer(org.manager, customer)


def test_a_pool_customer_import_row_outside_the_file_scope_is_refused(org):
    customer_create(code="P-NB1", name="宁波公海", by=org.reps["R5"])
    result = run_import(
        "customers",
        "customer_code,name,industry,address,lat,lon,owner_employee_no,phone,priority\n"
        "P-NB1,改名,,,,,R1,,\n".encode(),
        "c.csv",
        by=org.manager,
    )
    assert [e.column for e in result.errors] == ["customer_code"]
    assert Customer.objects.get(code="P-NB1").name == "宁波公海"


def test_a_foreign_customer_code_is_not_found_not_exists(org):
    customer_create(code="C-R5", name="宁波客户", owner=org.reps["R5"], by=org.reps["R5"])
    customer_create(code="C-R1", name="自己的", owner=org.reps["R1"], by=org.reps["R1"])
    r1 = client_for(org.reps["R1"])
    foreign = api(r1, "post", "/customers", {"customer_code": "C-R5", "name": "x"})
    assert foreign.status_code == 404
    assert "exists" not in foreign.json()["detail"] and "宁波" not in foreign.json()["detail"]
    own = api(r1, "post", "/customers", {"customer_code": "C-R1", "name": "x"})
    assert own.status_code == 400 and "exists" in own.json()["detail"]
    page = r1.post(
        "/customers/new/", {"code": "C-R5", "name": "x", "status": "prospect", "priority": "B"}
    )
    assert page.status_code == 200 and b"exists" not in page.content
    assert b"cannot be used" in page.content
    result = run_import(
        "customers",
        b"customer_code,name,industry,address,lat,lon,owner_employee_no,phone,priority\n"
        b"C-R5,x,,,,,,,\n",
        "c.csv",
        by=org.manager,
    )
    assert "taken" not in result.errors[0].problem
    assert Customer.objects.get(code="C-R5").name == "宁波客户"


def test_a_foreign_deal_number_tells_nothing_on_the_page_and_in_an_import(book):
    page = client_for(book.reps["R1"]).post("/deals/new", deal_form(deal_no="D-R5"))
    assert page.status_code == 200
    assert b"already used" not in page.content and b"cannot be used" in page.content
    result = run_import(
        "deals", deals_csv("D-R5,R1,C-X,客户,100,2026-11-05,visit"), "d.csv", by=book.manager
    )
    assert [e.column for e in result.errors] == ["deal_no"]
    assert "taken" not in result.errors[0].problem
    assert Deal.objects.get(deal_no="D-R5").person == book.reps["R5"]


# --- 9. names with control characters ---------------------------------------------------------

BAD_NAMES = ["张\n三", "张\r三", "张\t三", "张\x00三", "张\x1b三", "张\u2028三"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_with_control_characters_are_refused_by_the_services(org, name):
    with pytest.raises(TiejunError) as raised:
        person_create(
            employee_no="N1",
            name=name,
            unit=org.team_a,
            role=Role.REP,
            start_date=dt.date(2026, 1, 1),
        )
    assert raised.value.field == "name" and "control characters" in str(raised.value)
    with pytest.raises(TiejunError):
        person_update(person=org.reps["R1"], name=name, email="", phone="")
    with pytest.raises(TiejunError):
        unit_create(code="HZ9", name=name, kind=UnitKind.TEAM, parent=org.branch)
    with pytest.raises(TiejunError):
        unit_update(unit=org.team_a, name=name)
    customer = customer_create(code="C-1", name="好名字")
    with pytest.raises(TiejunError):
        customer_create(code="C-2", name=name)
    with pytest.raises(TiejunError):
        customer_update(customer=customer, name=name)
    with pytest.raises(TiejunError):
        contact_add(customer=customer, name=name)
    org.reps["R1"].refresh_from_db()
    org.team_a.refresh_from_db()
    assert org.reps["R1"].name == "员工R1" and org.team_a.name == "杭州一组"
    assert Customer.objects.get().name == "好名字" and not Contact.objects.exists()


def test_names_with_a_newline_are_refused_through_the_api_pages_and_imports(org):
    r1 = client_for(org.reps["R1"])
    response = api(r1, "post", "/deals", deal_body(customer_name="西湖\n茶业"))
    assert response.status_code == 400 and response.json()["field"] == "customer_name"
    response = api(r1, "post", "/customers", {"customer_code": "C-1", "name": "西湖\r\n茶业"})
    assert response.status_code == 400 and response.json()["field"] == "name"
    customer_create(code="C-R1", name="客户", owner=org.reps["R1"], by=org.reps["R1"])
    response = api(r1, "post", "/customers/C-R1/contacts", {"name": "王\n经理"})
    assert response.status_code == 400 and response.json()["field"] == "name"
    page = r1.post(
        "/customers/new/",
        {"code": "C-2", "name": "西湖\x0b茶业", "status": "prospect", "priority": "B"},
    )
    assert page.status_code == 200 and b"control characters" in page.content
    page = r1.post("/deals/new", deal_form(customer_name="西湖\n茶业"))
    assert page.status_code == 200 and b"control characters" in page.content
    people = run_import(
        "people",
        'employee_no,name,unit_code,role,start_date,email,phone\nN1,"张\n三",HZ1,rep,2026-01-01,,\n'.encode(),
        "p.csv",
        by=org.admin,
    )
    assert [e.column for e in people.errors] == ["name"]
    units = run_import(
        "units", 'code,name,kind,parent_code\nHZ9,"杭州\n九组",team,HZ\n'.encode(), "u.csv"
    )
    assert [e.column for e in units.errors] == ["name"]
    deals = run_import(
        "deals", deals_csv('I-1,R1,C-9,"西湖\n茶业",100,2026-11-05,visit'), "d.csv", by=org.admin
    )
    assert [e.column for e in deals.errors] == ["customer_name"]
    customers = run_import(
        "customers",
        "customer_code,name,industry,address,lat,lon,owner_employee_no,phone,priority\n"
        'K1,"西湖\n茶业",,,,,,,\n'.encode(),
        "c.csv",
        by=org.admin,
    )
    assert [e.column for e in customers.errors] == ["name"]
    assert not Deal.objects.exists()
    assert list(Customer.objects.values_list("code", flat=True)) == ["C-R1"]


# --- 17. two creates with the same number ----------------------------------------------------


def test_a_create_that_lost_the_race_is_409_and_overwrites_nothing(org, monkeypatch):
    """The other create commits between this request's look (outside the transaction) and its
    write: the check inside the transaction must catch it, not treat the write as a correction."""
    import tiejun.crm.api.deals as deals_api

    deal(org.reps["R1"], 700, dt.date(2026, 11, 4), customer="C-A", deal_no="N-1", today=TODAY)
    real = deals_api.deal_existing
    looks: list[dict] = []

    def first_look_misses(**kw):  # the request's first look still saw no deal
        looks.append(kw)
        return None if len(looks) == 1 else real(**kw)

    monkeypatch.setattr(deals_api, "deal_existing", first_look_misses)
    response = api(
        client_for(org.supervisor_a),
        "post",
        "/deals",
        deal_body(employee_no="R2", customer_code="C-B", amount="5"),
    )
    assert response.status_code == 409, response.content
    kept = Deal.objects.get(deal_no="N-1")
    assert (kept.person, kept.amount, kept.customer.code) == (org.reps["R1"], 700, "C-A")
    assert DealChange.objects.filter(deal_no="N-1").count() == 1
    assert not Customer.objects.filter(code="C-B").exists()
