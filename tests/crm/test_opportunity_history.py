"""An opportunity's stage history: written on open, on every stage change and on close."""

import datetime as dt

import pytest

from tiejun.crm.models import OpportunityStageChange
from tiejun.crm.selectors.pipeline import open_pipeline
from tiejun.crm.services.customers import customer_create
from tiejun.crm.services.opportunities import (
    opportunity_close,
    opportunity_create,
    opportunity_update,
)
from tiejun.errors import TiejunError
from tiejun.pipeline import DEFAULT_RATE


def history(opp):
    return [
        (c.from_stage, c.to_stage, c.by_id)
        for c in OpportunityStageChange.objects.filter(opportunity=opp)
    ]


@pytest.fixture
def customer(org):
    rep = org.reps["R1"]
    return customer_create(code="C1", name="客户C1", owner=rep, by=rep)


def test_history_follows_the_stages(org, customer):
    rep = org.reps["R1"]
    opp = opportunity_create(customer=customer, title="采购", amount="1000", by=rep)
    opportunity_update(opportunity=opp, title="年度采购", by=rep)  # no stage change
    opportunity_update(opportunity=opp, stage="proposal", by=rep)
    opportunity_update(opportunity=opp, stage="proposal", by=rep)  # the same: nothing new
    opportunity_close(opportunity=opp, outcome="won", by=rep)
    assert history(opp) == [("", "lead", rep.pk), ("lead", "proposal", rep.pk),
                            ("proposal", "won", rep.pk)]  # fmt: skip


def test_bad_input_writes_no_history(org, customer):
    rep = org.reps["R1"]
    opp = opportunity_create(customer=customer, title="采购", amount="1000", by=rep)
    for bad in ({"stage": "done"}, {"stage": "qualified", "expected_close": "2026-02-30"}):
        with pytest.raises(TiejunError):
            opportunity_update(opportunity=opp, by=rep, **bad)
    with pytest.raises(TiejunError):
        opportunity_close(opportunity=opp, outcome="maybe", by=rep)
    opp.refresh_from_db()
    assert opp.stage == "lead"
    assert history(opp) == [("", "lead", rep.pk)]


def test_open_pipeline_learns_rates_and_lists_the_reps_open_deals(org, customer):
    rep, other = org.reps["R1"], org.reps["R2"]
    for i in range(4):
        o = opportunity_create(customer=customer, title=f"赢{i}", amount="10", stage="proposal")
        opportunity_close(opportunity=o, outcome="won")
    for i in range(4):
        o = opportunity_create(customer=customer, title=f"输{i}", amount="10")
        opportunity_close(opportunity=o, outcome="lost")
    day = dt.date(2026, 12, 16)
    kept = opportunity_create(customer=customer, title="本月", amount="5000", stage="proposal",
                              expected_close=dt.date(2026, 12, 28))  # fmt: skip
    opportunity_create(customer=customer, title="下月", amount="9000", stage="proposal",
                       expected_close=dt.date(2027, 1, 5))  # fmt: skip
    opportunity_create(customer=customer, title="今天", amount="9000", expected_close=day)
    opportunity_create(customer=customer, title="无期", amount="9000")
    pipe = open_pipeline([rep.pk, other.pk], as_of=day, closing_after=day,
                         closing_until=dt.date(2026, 12, 31))  # fmt: skip
    # proposal: 4 of 4 won, shrunk with 5 at the overall (4 + 5×0.2) / 13
    overall = (4 + 5 * DEFAULT_RATE) / 13
    assert pipe.rates["proposal"] == pytest.approx((4 + 5 * overall) / 9)
    assert pipe.rates["lead"] == pytest.approx((0 + 5 * overall) / 9)  # the won began later
    assert pipe.by_person == {rep.pk: [(5000.0, pytest.approx(pipe.rates["proposal"]))]}
    assert kept.owner == rep
    # as of a day before any of it, nothing was open and nothing was learned
    before = open_pipeline([rep.pk], as_of=dt.date(2026, 12, 1), closing_after=day,
                           closing_until=dt.date(2026, 12, 31))  # fmt: skip
    assert before.by_person == {}
    assert before.rates["lead"] == pytest.approx(DEFAULT_RATE)


def test_api_takes_expected_close_and_refuses_a_bad_date(org, customer):
    from tests.factories import client_for

    client = client_for(org.reps["R1"])
    url = "/api/v1/customers/C1/opportunities"
    bad = client.post(url, {"title": "x", "amount": "1", "expected_close": "2026-02-30"},
                      content_type="application/json")  # fmt: skip
    assert 400 <= bad.status_code < 500
    assert OpportunityStageChange.objects.count() == 0
    made = client.post(url, {"title": "x", "amount": "1", "expected_close": "2026-12-30"},
                       content_type="application/json")  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["expected_close"] == "2026-12-30"
    patched = client.patch(f"{url}/{made.json()['id']}", {"stage": "lost"},
                           content_type="application/json")  # fmt: skip
    assert patched.status_code == 200
    assert [c.to_stage for c in OpportunityStageChange.objects.all()] == ["lead", "lost"]


def test_migration_backfill_starts_each_history_at_its_opening(org, customer):
    import importlib

    from django.apps import apps

    from tiejun.crm.models import Opportunity

    backfill = importlib.import_module(
        "tiejun.crm.migrations.0005_opportunity_stage_change"
    ).backfill
    opp = Opportunity.objects.create(customer=customer, title="旧", amount=1, stage="proposal")
    Opportunity.objects.filter(pk=opp.pk).update(created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    backfill(apps, None)
    change = OpportunityStageChange.objects.get(opportunity=opp)
    assert (change.from_stage, change.to_stage) == ("", "proposal")
    assert change.at == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
