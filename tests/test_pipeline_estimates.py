"""An opportunity's estimate is history: a replay reads the amount and expected close known on
the day, not today's (the stage-change rows carry them)."""

import datetime as dt

import pytest

from tiejun.crm.models import OpportunityStageChange
from tiejun.crm.selectors.pipeline import stage_changes
from tiejun.crm.services.customers import customer_create
from tiejun.crm.services.opportunities import opportunity_create, opportunity_update


@pytest.fixture
def customer(org):
    rep = org.reps["R1"]
    return customer_create(code="C1", name="客户C1", owner=rep, by=rep)


def test_a_revised_estimate_is_recorded_and_replayed_as_it_stood(org, customer):
    rep = org.reps["R1"]
    opp = opportunity_create(customer=customer, title="采购", amount="1000", by=rep,
                             expected_close=dt.date(2026, 12, 20))  # fmt: skip
    opportunity_update(opportunity=opp, title="年度采购", by=rep)  # no estimate: no row
    assert OpportunityStageChange.objects.filter(opportunity=opp).count() == 1
    OpportunityStageChange.objects.update(at=dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC))
    opportunity_update(opportunity=opp, amount="5000", expected_close="2027-01-10", by=rep)
    rows = list(OpportunityStageChange.objects.filter(opportunity=opp).order_by("at", "id"))
    assert [(r.from_stage, r.to_stage) for r in rows] == [("", "lead"), ("lead", "lead")]
    assert rows[-1].amount == 5000 and rows[-1].expected_close == dt.date(2027, 1, 10)
    # as of December 1st the replay sees the first estimate, not today's
    (first,) = stage_changes(dt.date(2026, 12, 1))
    assert (first.amount, first.expected_close) == (1000.0, dt.date(2026, 12, 20))
    assert stage_changes()[-1].amount == 5000.0


def test_rows_older_than_the_estimate_fields_read_todays(org, customer):
    opp = opportunity_create(customer=customer, title="采购", amount="1000")
    OpportunityStageChange.objects.update(amount=None, expected_close=None)
    opportunity_update(opportunity=opp, title="x")
    opp.amount = 2000
    opp.save(update_fields=["amount"])
    (change,) = stage_changes()
    assert change.amount == 2000.0
