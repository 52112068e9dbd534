"""The backfill of migration crm 0004: every existing customer gets the team whose pool it is."""

import datetime as dt
import importlib

from django.apps import apps

from tests.factories import deal
from tiejun.crm.models import Customer
from tiejun.crm.services.customers import customer_create
from tiejun.crm.services.ownership import customer_release

backfill = importlib.import_module("tiejun.crm.migrations.0004_customer_pool_unit").backfill


def test_backfill_sets_each_customers_team(org):
    # given: an owned customer, one released by its owner, one only a deal knows, one unknown
    r1, r5 = org.reps["R1"], org.reps["R5"]
    owned = customer_create(code="OWNED", name="甲公司", by=r1, owner=r1)
    released = customer_create(code="LEFT", name="乙公司", by=r5, owner=r5)
    customer_release(customer=released, by=r5)
    from_deal = deal(org.reps["R3"], 1000, dt.date(2026, 11, 3), customer="FROMDEAL").customer
    Customer.objects.filter(pk=from_deal.pk).update(owner=None)
    nobody = Customer.objects.create(code="NOBODY", name="丙公司")
    Customer.objects.update(unit=None)

    # when
    backfill(apps, None)

    # then
    units = dict(Customer.objects.values_list("code", "unit__code"))
    assert units[owned.code] == "HZ1"
    assert units[released.code] == "NB1"
    assert units[from_deal.code] == "HZ2"
    assert units[nobody.code] is None
