"""Creating and editing customers, contacts and opportunities: the services' rules."""

import datetime as dt
from decimal import Decimal

import pytest

from tiejun.audit.models import AuditEntry
from tiejun.crm.models import Contact, Customer, Opportunity
from tiejun.crm.selectors.customers import (
    access_contact,
    access_customer_to_edit,
    access_opportunity,
    can_edit_customer,
    customer_has_twin,
)
from tiejun.crm.services.contacts import contact_add, contact_remove, contact_update
from tiejun.crm.services.customers import customer_create, customer_update
from tiejun.crm.services.opportunities import (
    opportunity_close,
    opportunity_create,
    opportunity_update,
)
from tiejun.errors import Forbidden, NotFound, TiejunError


def owned(rep, code="C1", **fields):
    return customer_create(code=code, name=f"客户{code}", owner=rep, by=rep, **fields)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "A B"}, "code"),
        ({"code": "A/B"}, "code"),
        ({"code": "new"}, "code"),
        ({"name": "  "}, "name"),
        ({"lat": "-90.5"}, "lat"),
        ({"lon": "181"}, "lon"),
        ({"lon": "east"}, "lon"),
        ({"priority": "D"}, "priority"),
        ({"status": "vip"}, "status"),
        ({"opens_at": "25:00"}, "opens_at"),
        ({"opens_at": "18:00", "closes_at": "09:00"}, "closes_at"),
        ({"notes": "x" * 5001}, "notes"),
        ({"name": "a\x00b"}, "name"),
    ],
)
def test_create_refuses_bad_input_with_the_field_and_writes_nothing(org, fields, field):
    args = {"code": "C1", "name": "西湖茶业", **fields}
    with pytest.raises(TiejunError) as err:
        customer_create(**args, owner=org.reps["R1"], by=org.reps["R1"])
    assert err.value.field == field
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.filter(object_type="customer").exists()


def test_create_takes_every_detail_and_is_audited(org):
    rep = org.reps["R1"]
    customer = customer_create(
        code="C1",
        name="西湖茶业",
        by=rep,
        owner=rep,
        industry="茶叶",
        size="50-100",
        address="杭州市西湖区龙井路1号",
        lat="30.2431",
        lon="120.1283",
        phone="0571-8888",
        status="customer",
        priority="A",
        opens_at="08:30",
        closes_at=dt.time(17, 30),
        notes="老板周一在",
    )
    customer.refresh_from_db()
    assert customer.owner == rep and customer.lat == Decimal("30.243100")
    assert (customer.opens_at, customer.closes_at) == (dt.time(8, 30), dt.time(17, 30))
    entry = AuditEntry.objects.get(object_type="customer", action="create")
    assert entry.object_id == "C1" and entry.actor == rep
    assert entry.after["owner"] == "R1" and entry.after["lat"] == "30.243100"


def test_a_rep_at_the_private_limit_is_refused_and_may_create_in_the_pool(org, settings):
    settings.MAX_PRIVATE_CUSTOMERS = 1
    rep = org.reps["R1"]
    owned(rep, "C1")
    with pytest.raises(TiejunError) as err:
        owned(rep, "C2")
    assert err.value.field == "owner"
    assert not Customer.objects.filter(code="C2").exists()
    pooled = customer_create(code="C2", name="公海", by=rep)
    assert pooled.owner is None


def test_update_audits_the_changed_fields_only(org):
    rep = org.reps["R1"]
    customer = owned(rep, priority="B", phone="1")
    customer_update(customer=customer, by=rep, priority="a", phone="1", lat="30.1", lon="120.1")
    entry = AuditEntry.objects.get(object_type="customer", action="update")
    assert entry.before == {"priority": "B", "lat": None, "lon": None}
    assert entry.after == {"priority": "A", "lat": "30.100000", "lon": "120.100000"}
    customer_update(customer=customer, by=rep, priority="A")  # no change, no entry
    assert AuditEntry.objects.filter(action="update").count() == 1
    with pytest.raises(TiejunError):
        customer_update(customer=customer, by=rep, name="新名字", lat="99")
    customer.refresh_from_db()
    assert customer.name == "客户C1"


def test_who_may_edit(org):
    r1, r2, r5 = org.reps["R1"], org.reps["R2"], org.reps["R5"]
    mine = owned(r1, "C1")
    pool = customer_create(code="P1", name="公海", by=r2)  # in the pool of R2's team HZ1
    assert pool.unit == org.team_a
    assert can_edit_customer(r1, mine)
    assert can_edit_customer(org.supervisor_a, mine)
    assert can_edit_customer(org.manager, mine)
    assert can_edit_customer(org.admin, mine)
    assert not can_edit_customer(r2, mine)
    # a pool customer: leaders and admin, not a rep (who claims it first)
    assert not can_edit_customer(r1, pool)
    assert can_edit_customer(org.supervisor_a, pool)
    assert can_edit_customer(org.admin, pool)
    # the selector: someone else's customer is not found, a pool customer forbidden to a rep
    with pytest.raises(NotFound):
        access_customer_to_edit(r2, "C1")
    with pytest.raises(NotFound):
        access_customer_to_edit(r5, "C1")
    with pytest.raises(Forbidden):
        access_customer_to_edit(r1, "P1")
    assert access_customer_to_edit(org.supervisor_a, "C1") == mine


def test_contacts_add_update_remove(org):
    rep = org.reps["R1"]
    customer = owned(rep)
    contact = contact_add(customer=customer, name=" 王经理 ", title="采购", by=rep)
    assert contact.name == "王经理"
    with pytest.raises(TiejunError) as err:
        contact_update(contact=contact, name="", by=rep)
    assert err.value.field == "name"
    with pytest.raises(TiejunError) as err:
        contact_add(customer=customer, name="x", phone="1" * 33, by=rep)
    assert err.value.field == "phone"
    assert Contact.objects.count() == 1
    contact_update(contact=contact, phone="13800000000", by=rep)
    contact.refresh_from_db()
    assert (contact.name, contact.title, contact.phone) == ("王经理", "采购", "13800000000")
    # another customer's contact is not found through this one
    other = owned(org.reps["R2"], "C2")
    theirs = contact_add(customer=other, name="李总")
    with pytest.raises(NotFound):
        access_contact(rep, "C1", theirs.pk)
    with pytest.raises(NotFound):
        access_contact(rep, "C2", theirs.pk)
    contact_remove(contact=access_contact(rep, "C1", contact.pk), by=rep)
    assert list(Contact.objects.values_list("name", flat=True)) == ["李总"]


def test_opportunities_add_update_close(org):
    rep = org.reps["R1"]
    customer = owned(rep)
    opp = opportunity_create(
        customer=customer, title="年度采购", amount="50000", probability="0.4", by=rep
    )
    assert opp.owner == rep and opp.stage == "lead"
    for bad, field in [
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"probability": "1.5"}, "probability"),
        ({"stage": "done"}, "stage"),
        ({"expected_close": "2026-13-01"}, "expected_close"),
        ({"title": ""}, "title"),
    ]:
        with pytest.raises(TiejunError) as err:
            opportunity_update(opportunity=opp, by=rep, **bad)
        assert err.value.field == field, bad
    opp.refresh_from_db()
    assert (opp.amount, opp.probability) == (Decimal("50000.00"), Decimal("0.400"))
    opportunity_update(
        opportunity=opp, stage="proposal", amount="60000.50", expected_close="2026-12-31", by=rep
    )
    opp.refresh_from_db()
    assert (opp.stage, opp.amount, opp.expected_close) == (
        "proposal",
        Decimal("60000.50"),
        dt.date(2026, 12, 31),
    )
    with pytest.raises(TiejunError):
        opportunity_close(opportunity=opp, outcome="maybe", by=rep)
    opportunity_close(opportunity=opp, outcome="won", by=rep)
    opp.refresh_from_db()
    assert (opp.stage, opp.probability) == ("won", Decimal("1.000"))
    with pytest.raises(TiejunError):
        opportunity_close(opportunity=opp, outcome="lost", by=rep)
    with pytest.raises(NotFound):
        access_opportunity(org.reps["R2"], "C1", opp.pk)
    assert Opportunity.objects.count() == 1


def test_a_twin_at_the_same_address_is_noticed(org):
    customer_create(code="C1", name="西湖茶业", address="龙井路1号")
    twin = customer_create(code="C2", name="西湖茶业", address="龙井路1号")
    other = customer_create(code="C3", name="西湖茶业", address="")
    assert customer_has_twin(twin)
    assert not customer_has_twin(other)
