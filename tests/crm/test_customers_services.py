import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import deal
from tiejun.crm.models import Customer, OwnershipChange
from tiejun.crm.services.contacts import contact_add
from tiejun.crm.services.customers import customer_create, customer_touch, customer_update
from tiejun.crm.services.opportunities import opportunity_create
from tiejun.crm.services.ownership import (
    customer_claim,
    customer_handover,
    customer_release,
    customers_reassign_leaver,
    customers_return_idle,
)
from tiejun.crm.tasks import return_idle_customers
from tiejun.errors import Forbidden, TiejunError
from tiejun.org.models import Role
from tiejun.org.services import membership_move

TODAY = timezone.localdate()
Reason = OwnershipChange.Reason


def pool(code="P1", **fields):
    return customer_create(code=code, name=f"客户{code}", **fields)


def owned(rep, code):
    return customer_create(code=code, name=f"客户{code}", owner=rep, by=rep)


def audit(customer):
    return [
        (c.reason, c.from_person_id, c.to_person_id, c.changed_by_id)
        for c in OwnershipChange.objects.filter(customer=customer).order_by("id")
    ]


def test_create_checks_fields_and_writes_nothing_on_bad_input(org):
    with pytest.raises(TiejunError) as err:
        customer_create(code="X1", name="x", lat="91", lon="120")
    assert err.value.field == "lat"
    with pytest.raises(TiejunError):
        customer_create(code="X1", name="x", priority="D")
    with pytest.raises(TiejunError):
        customer_create(code="", name="x")
    assert not Customer.objects.exists()
    customer = customer_create(code="X1", name="西湖", lat="30.25", lon="120.16", priority="a")
    assert customer.owner is None and customer.priority == "A"
    with pytest.raises(TiejunError):
        customer_create(code="X1", name="again")
    customer_update(customer=customer, name="西湖茶业", status="customer")
    customer.refresh_from_db()
    assert (customer.name, customer.status) == ("西湖茶业", "customer")


def test_claim_from_pool_is_audited_and_refuses_an_owned_customer(org):
    r1, r2 = org.reps["R1"], org.reps["R2"]
    customer = pool()
    customer_claim(customer=customer, person=r1)
    customer.refresh_from_db()
    assert customer.owner == r1 and customer.owned_since is not None
    assert customer.last_activity_on == TODAY
    assert audit(customer) == [(Reason.CLAIM, None, r1.pk, r1.pk)]
    with pytest.raises(TiejunError, match="not in the open pool"):
        customer_claim(customer=customer, person=r2)
    assert Customer.objects.get(pk=customer.pk).owner == r1


def test_claim_refuses_over_the_private_customer_limit(org, settings):
    settings.MAX_PRIVATE_CUSTOMERS = 2
    r1 = org.reps["R1"]
    owned(r1, "A1")
    owned(r1, "A2")
    customer = pool("P9")
    with pytest.raises(TiejunError, match="already holds 2 private customers"):
        customer_claim(customer=customer, person=r1)
    assert Customer.objects.get(pk=customer.pk).owner is None
    assert not OwnershipChange.objects.filter(customer=customer).exists()
    with pytest.raises(TiejunError):
        owned(r1, "A3")
    assert not Customer.objects.filter(code="A3").exists()
    # Releasing one makes room again.
    customer_release(customer=Customer.objects.get(code="A1"), by=r1)
    customer_claim(customer=customer, person=r1)


def test_handover_by_supervisor_manager_or_admin_only(org):
    r1, r2, r3 = org.reps["R1"], org.reps["R2"], org.reps["R3"]
    customer = owned(r1, "H1")
    with pytest.raises(Forbidden):
        customer_handover(customer=customer, to=r2, by=r1)
    with pytest.raises(Forbidden):
        customer_handover(customer=customer, to=r2, by=r2)
    # The supervisor of HZ1 cannot give it to HZ2.
    with pytest.raises(TiejunError, match="not in a unit you lead"):
        customer_handover(customer=customer, to=r3, by=org.supervisor_a)
    customer_handover(customer=customer, to=r2, by=org.supervisor_a, note="R1 busy")
    customer_handover(customer=customer, to=r3, by=org.manager)
    customer_handover(customer=customer, to=org.reps["R5"], by=org.admin)
    assert Customer.objects.get(pk=customer.pk).owner == org.reps["R5"]
    assert audit(customer) == [
        (Reason.CLAIM, None, r1.pk, r1.pk),
        (Reason.HANDOVER, r1.pk, r2.pk, org.supervisor_a.pk),
        (Reason.HANDOVER, r2.pk, r3.pk, org.manager.pk),
        (Reason.HANDOVER, r3.pk, org.reps["R5"].pk, org.admin.pk),
    ]
    assert OwnershipChange.objects.filter(note="R1 busy").count() == 1
    # The supervisor of HZ1 is not over R5 in NB1.
    with pytest.raises(Forbidden):
        customer_handover(customer=customer, to=r1, by=org.supervisor_a)


def test_handover_respects_the_limit_of_the_receiver(org, settings):
    settings.MAX_PRIVATE_CUSTOMERS = 1
    owned(org.reps["R2"], "L1")
    customer = owned(org.reps["R1"], "L2")
    with pytest.raises(TiejunError, match="already holds"):
        customer_handover(customer=customer, to=org.reps["R2"], by=org.supervisor_a)
    assert Customer.objects.get(pk=customer.pk).owner == org.reps["R1"]


def test_release_by_owner_or_leader_not_by_a_teammate(org):
    r1, r2 = org.reps["R1"], org.reps["R2"]
    customer = owned(r1, "R-1")
    with pytest.raises(Forbidden):
        customer_release(customer=customer, by=r2)
    customer_release(customer=customer, by=r1, note="no budget")
    assert Customer.objects.get(pk=customer.pk).owner is None
    with pytest.raises(TiejunError, match="open pool already"):
        customer_release(customer=customer, by=r1)
    other = owned(r2, "R-2")
    customer_release(customer=other, by=org.supervisor_a)
    assert audit(customer)[-1] == (Reason.RELEASE, r1.pk, None, r1.pk)
    assert audit(other)[-1] == (Reason.RELEASE, r2.pk, None, org.supervisor_a.pk)


def test_idle_customers_return_to_the_pool(org, settings):
    settings.POOL_RETURN_DAYS = 30
    r1 = org.reps["R1"]
    idle, fresh, touched = owned(r1, "I1"), owned(r1, "I2"), owned(r1, "I3")
    Customer.objects.filter(pk=idle.pk).update(last_activity_on=TODAY - dt.timedelta(days=31))
    Customer.objects.filter(pk=fresh.pk).update(last_activity_on=TODAY - dt.timedelta(days=30))
    Customer.objects.filter(pk=touched.pk).update(last_activity_on=TODAY - dt.timedelta(days=40))
    customer_touch(customer_id=touched.pk, day=TODAY - dt.timedelta(days=2))
    pool("I4")  # the pool stays as it is
    assert customers_return_idle(today=TODAY) == 1
    assert list(Customer.objects.filter(owner__isnull=True).values_list("code", flat=True)) == [
        "I1",
        "I4",
    ]
    assert audit(idle)[-1] == (Reason.AUTO_RETURN, r1.pk, None, None)
    assert customers_return_idle(today=TODAY) == 0


def test_the_daily_task_runs_the_return(org, settings):
    settings.POOL_RETURN_DAYS = 5
    customer = owned(org.reps["R1"], "T1")
    Customer.objects.filter(pk=customer.pk).update(last_activity_on=TODAY - dt.timedelta(days=9))
    assert return_idle_customers.call_local() == 1
    assert Customer.objects.get(pk=customer.pk).owner is None


def test_a_mover_hands_customers_to_the_old_supervisor(org, settings):
    settings.LEAVER_CUSTOMERS_TO = "supervisor"
    r1 = org.reps["R1"]
    a, b = owned(r1, "M-1"), owned(r1, "M-2")
    membership_move(person=r1, effective=TODAY, unit=org.team_b)
    assert set(Customer.objects.filter(owner=org.supervisor_a).values_list("code", flat=True)) == {
        "M-1",
        "M-2",
    }
    assert audit(a)[-1] == (Reason.LEAVER, r1.pk, org.supervisor_a.pk, None)
    assert audit(b)[-1][0] == Reason.LEAVER


def test_without_a_team_supervisor_the_manager_above_takes_them(org):
    r3 = org.reps["R3"]  # HZ2 has no supervisor; M1 leads the branch HZ
    customer = owned(r3, "N-1")
    membership_move(person=r3, effective=TODAY, unit=org.team_c)
    assert Customer.objects.get(pk=customer.pk).owner == org.manager


def test_a_mover_releases_customers_to_the_pool_when_configured(org, settings):
    settings.LEAVER_CUSTOMERS_TO = "pool"
    r1 = org.reps["R1"]
    customer = owned(r1, "Q-1")
    membership_move(person=r1, effective=TODAY, unit=org.team_c)
    assert Customer.objects.get(pk=customer.pk).owner is None
    assert audit(customer)[-1] == (Reason.LEAVER, r1.pk, None, None)


def test_a_promotion_in_the_same_team_keeps_the_customers(org):
    r1 = org.reps["R2"]
    customer = owned(r1, "K-1")
    membership_move(person=r1, effective=TODAY, role=Role.SUPERVISOR)
    assert Customer.objects.get(pk=customer.pk).owner == r1


def test_reassign_a_leaver_directly(org):
    r2 = org.reps["R2"]
    owned(r2, "L-1")
    assert customers_reassign_leaver(person=r2, from_unit_id=org.team_a.pk, by=org.admin) == 1
    assert Customer.objects.get(code="L-1").owner == org.supervisor_a


def test_contacts_and_opportunities(org):
    customer = owned(org.reps["R1"], "O-1")
    contact_add(customer=customer, name="王经理", title="采购", phone="13800000000")
    with pytest.raises(TiejunError):
        contact_add(customer=customer, name=" ")
    opp = opportunity_create(customer=customer, title="年度采购", amount="50000", probability="0.4")
    assert opp.owner == org.reps["R1"] and str(opp.probability) == "0.400"
    with pytest.raises(TiejunError):
        opportunity_create(customer=customer, title="x", amount="1", probability="2")
    with pytest.raises(TiejunError):
        opportunity_create(customer=customer, title="x", amount="-1")
    assert customer.opportunities.count() == 1 and customer.contacts.count() == 1


def test_a_deal_for_a_pool_customer_makes_it_a_customer(org):
    customer = pool("D-1")
    deal(org.reps["R1"], 100, TODAY - dt.timedelta(days=1), customer="D-1", today=TODAY)
    customer.refresh_from_db()
    assert customer.status == "customer" and customer.owner is None
