import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import person
from tiejun.crm.models import Customer, Deal, DealChange
from tiejun.crm.services.deals import DealInput, deal_delete, deal_record
from tiejun.errors import TiejunError
from tiejun.org.models import Role
from tiejun.org.services import membership_move
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.services import scoreboard_rebuild

TODAY = dt.date(2026, 11, 28)


def record(
    rep,
    amount,
    won,
    customer="C1",
    deal_no="D1",
    *,
    by=None,
    reason="",
    client_id=None,
    channel="visit",
):
    item = DealInput(
        deal_no=deal_no,
        person=rep,
        customer_code=customer,
        customer_name=f"客户{customer}",
        amount=Decimal(str(amount)),
        won_date=won,
        channel=channel,
        client_id=client_id,
    )
    return deal_record(item=item, by=by, reason=reason, today=TODAY)


def facts(metric=None):
    qs = Fact.objects.all() if metric is None else Fact.objects.filter(metric=metric)
    return sorted(
        (f.metric, f.day, f.unit.code, f.person.employee_no if f.person else None, f.value)
        for f in qs.select_related("unit", "person")
    )


def test_recording_a_deal_credits_revenue_and_new_customers(org):
    # when
    deal, created = record(org.reps["R1"], "1234.50", dt.date(2026, 6, 5), by=org.supervisor_a)
    # then
    assert created
    assert deal.unit == org.team_a
    assert facts() == [
        ("new_customers", dt.date(2026, 6, 5), "HZ1", "R1", Decimal(1)),
        ("revenue", dt.date(2026, 6, 5), "HZ1", "R1", Decimal("1234.50")),
    ]
    change = DealChange.objects.get()
    assert change.before is None
    assert change.after["amount"] == "1234.50"
    assert change.changed_by == org.supervisor_a


def test_a_second_deal_of_a_customer_is_revenue_only(org):
    record(org.reps["R1"], 100, dt.date(2026, 6, 5), deal_no="D1")
    record(org.reps["R1"], 50, dt.date(2026, 6, 5), deal_no="D2")
    record(org.reps["R2"], 70, dt.date(2026, 6, 8), deal_no="D3")
    assert facts() == [
        ("new_customers", dt.date(2026, 6, 5), "HZ1", "R1", Decimal(1)),
        ("revenue", dt.date(2026, 6, 5), "HZ1", "R1", Decimal(150)),
        ("revenue", dt.date(2026, 6, 8), "HZ1", "R2", Decimal(70)),
    ]


def test_corrections_move_the_facts_and_are_audited(org):
    record(org.reps["R1"], 100, dt.date(2026, 6, 5))
    # amount
    record(org.reps["R1"], 120, dt.date(2026, 6, 5), by=org.manager, reason="typo")
    assert facts("revenue") == [("revenue", dt.date(2026, 6, 5), "HZ1", "R1", Decimal(120))]
    # date
    record(org.reps["R1"], 120, dt.date(2026, 6, 9), reason="wrong day")
    assert facts() == [
        ("new_customers", dt.date(2026, 6, 9), "HZ1", "R1", Decimal(1)),
        ("revenue", dt.date(2026, 6, 9), "HZ1", "R1", Decimal(120)),
    ]
    # rep (another team)
    deal, created = record(org.reps["R3"], 120, dt.date(2026, 6, 9), reason="R3's deal")
    assert not created and deal.unit == org.team_b
    assert facts() == [
        ("new_customers", dt.date(2026, 6, 9), "HZ2", "R3", Decimal(1)),
        ("revenue", dt.date(2026, 6, 9), "HZ2", "R3", Decimal(120)),
    ]
    # customer: the old one has no deal left, the new one is new
    record(org.reps["R3"], 120, dt.date(2026, 6, 9), customer="C2", reason="other customer")
    assert facts("new_customers") == [
        ("new_customers", dt.date(2026, 6, 9), "HZ2", "R3", Decimal(1))
    ]
    assert Deal.objects.get().customer.code == "C2"
    # the audit trail: before and after of each correction, who and why
    changes = list(DealChange.objects.order_by("id"))
    assert [c.reason for c in changes] == ["", "typo", "wrong day", "R3's deal", "other customer"]
    assert (changes[1].before["amount"], changes[1].after["amount"]) == ("100.00", "120.00")
    assert changes[1].changed_by == org.manager
    assert (changes[2].before["won_date"], changes[2].after["won_date"]) == (
        "2026-06-05",
        "2026-06-09",
    )
    assert (changes[3].before["employee_no"], changes[3].after["employee_no"]) == ("R1", "R3")
    assert (changes[4].before["customer_code"], changes[4].after["customer_code"]) == ("C1", "C2")


def test_recording_the_same_deal_unchanged_is_no_correction(org):
    record(org.reps["R1"], 100, dt.date(2026, 6, 5))
    _deal, created = record(org.reps["R1"], 100, dt.date(2026, 6, 5))
    assert not created
    assert DealChange.objects.count() == 1


def test_the_first_won_deal_defines_new_customers_through_corrections_and_deletions(org):
    # given: customer C1 first bought from R1 on 5 June, then from R3 on 10 June
    record(org.reps["R1"], 100, dt.date(2026, 6, 5), deal_no="D1")
    record(org.reps["R3"], 100, dt.date(2026, 6, 10), deal_no="D2")
    assert facts("new_customers") == [
        ("new_customers", dt.date(2026, 6, 5), "HZ1", "R1", Decimal(1))
    ]
    # when D1 is corrected to 15 June, D2 is the first deal
    record(org.reps["R1"], 100, dt.date(2026, 6, 15), deal_no="D1", reason="date")
    assert facts("new_customers") == [
        ("new_customers", dt.date(2026, 6, 10), "HZ2", "R3", Decimal(1))
    ]
    # when D2 is deleted, D1 is the first again
    deal_delete(deal=Deal.objects.get(deal_no="D2"), by=org.manager, reason="cancelled")
    assert facts("new_customers") == [
        ("new_customers", dt.date(2026, 6, 15), "HZ1", "R1", Decimal(1))
    ]
    assert facts("revenue") == [("revenue", dt.date(2026, 6, 15), "HZ1", "R1", Decimal(100))]
    last = DealChange.objects.filter(deal_no="D2").order_by("-id").first()
    assert last.after == {} and last.before["deal_no"] == "D2" and last.reason == "cancelled"
    # when D1 goes too, nothing is left
    deal_delete(deal=Deal.objects.get(deal_no="D1"))
    assert facts() == []


def test_an_earlier_deal_recorded_later_takes_over_new_customers(org):
    # given: C1's deal with R1 on 10 June is recorded first
    record(org.reps["R1"], 100, dt.date(2026, 6, 10), deal_no="D1")
    # when: an earlier deal of C1, by R3 in another team, is recorded afterwards
    record(org.reps["R3"], 100, dt.date(2026, 6, 5), deal_no="D2")
    # then: only the earlier deal defines the new customer
    assert facts("new_customers") == [
        ("new_customers", dt.date(2026, 6, 5), "HZ2", "R3", Decimal(1))
    ]
    # and a correction into another customer's history does the same
    record(org.reps["R5"], 100, dt.date(2026, 6, 20), customer="C2", deal_no="D3")
    record(org.reps["R1"], 100, dt.date(2026, 6, 10), customer="C2", deal_no="D1", reason="C2")
    assert facts("new_customers") == [
        ("new_customers", dt.date(2026, 6, 5), "HZ2", "R3", Decimal(1)),
        ("new_customers", dt.date(2026, 6, 10), "HZ1", "R1", Decimal(1)),
    ]


def test_a_deal_cannot_be_won_in_the_future(org):
    with pytest.raises(TiejunError) as error:
        record(org.reps["R1"], 100, TODAY + dt.timedelta(days=1))
    assert error.value.field == "won_date"
    assert not Deal.objects.exists() and not Fact.objects.exists()
    assert not Customer.objects.exists()


def test_a_rep_without_membership_on_the_won_date_is_rejected(org):
    newcomer = person("R9", org.team_a, start=dt.date(2026, 6, 1))
    with pytest.raises(TiejunError) as error:
        record(newcomer, 100, dt.date(2026, 5, 31))
    assert error.value.field == "won_date"
    assert not Deal.objects.exists() and not Fact.objects.exists()
    record(newcomer, 100, dt.date(2026, 6, 1))
    assert Deal.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "channel", "field"),
    [
        ("0", "visit", "amount"),
        ("-5", "visit", "amount"),
        ("1.234", "visit", "amount"),
        ("5", "telepathy", "channel"),
    ],
)
def test_bad_deals_are_rejected_and_write_nothing(org, amount, channel, field):
    with pytest.raises(TiejunError) as error:
        record(org.reps["R1"], amount, dt.date(2026, 6, 5), channel=channel)
    assert error.value.field == field
    assert (
        not Deal.objects.exists() and not Fact.objects.exists() and not DealChange.objects.exists()
    )


def test_a_retry_with_the_same_client_id_returns_the_first_deal(org):
    first, created = record(org.reps["R1"], 100, dt.date(2026, 6, 5), client_id="phone-1")
    again, created_again = record(
        org.reps["R1"], 100, dt.date(2026, 6, 5), deal_no="D-other", client_id="phone-1"
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert Deal.objects.count() == 1
    assert facts("revenue") == [("revenue", dt.date(2026, 6, 5), "HZ1", "R1", Decimal(100))]


def test_a_backdated_transfer_recredits_the_deals_after_it(org):
    record(org.reps["R1"], 100, dt.date(2026, 6, 5), deal_no="D1")
    record(org.reps["R1"], 80, dt.date(2026, 6, 9), deal_no="D2", customer="C2")
    # when R1 is moved to HZ2 from 8 June, after the deal was recorded
    membership_move(
        person=org.reps["R1"], effective=dt.date(2026, 6, 8), unit=org.team_b, role=Role.REP
    )
    # then the 9 June deal counts for HZ2, the 5 June one stays with HZ1
    assert Deal.objects.get(deal_no="D1").unit == org.team_a
    assert Deal.objects.get(deal_no="D2").unit == org.team_b
    assert facts("revenue") == [
        ("revenue", dt.date(2026, 6, 5), "HZ1", "R1", Decimal(100)),
        ("revenue", dt.date(2026, 6, 9), "HZ2", "R1", Decimal(80)),
    ]
    assert facts("new_customers") == [
        ("new_customers", dt.date(2026, 6, 5), "HZ1", "R1", Decimal(1)),
        ("new_customers", dt.date(2026, 6, 9), "HZ2", "R1", Decimal(1)),
    ]


# --- incremental upkeep equals a rebuild -------------------------------------------------------

REPS = ["R1", "R2", "R3", "R4", "R5"]
FIRST_DAY = dt.date(2026, 5, 1)
days = st.integers(min_value=0, max_value=75).map(lambda n: FIRST_DAY + dt.timedelta(days=n))
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5000), places=2)
customers = st.sampled_from(["C1", "C2", "C3", "C4"])
reps = st.sampled_from(REPS)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), reps, amounts, days, customers),
        st.tuples(st.just("correct"), st.integers(0, 30), reps, amounts, days, customers),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("move"), reps, st.sampled_from(["HZ1", "HZ2", "NB1"]), days),
    ),
    min_size=1,
    max_size=14,
)


def fact_tuples():
    return sorted(Fact.objects.values_list("metric", "day", "unit_id", "person_id", "value"))


class Rollback(Exception):
    pass


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_incremental_facts_equal_a_rebuild(org, ops):
    teams = {"HZ1": org.team_a, "HZ2": org.team_b, "NB1": org.team_c}
    try:
        with transaction.atomic():
            _run(org, ops, teams)
            incremental = fact_tuples()
            units = sorted(Deal.objects.values_list("deal_no", "unit_id"))
            scoreboard_rebuild()
            assert fact_tuples() == incremental
            assert sorted(Deal.objects.values_list("deal_no", "unit_id")) == units
            raise Rollback
    except Rollback:
        pass


def _run(org, ops, teams):
    numbers: list[str] = []
    for n, op in enumerate(ops):
        kind = op[0]
        if kind == "create":
            _, rep, amount, day, customer = op
            record(org.reps[rep], amount, day, customer, deal_no=f"P{n}")
            numbers.append(f"P{n}")
        elif kind == "correct" and numbers:
            _, index, rep, amount, day, customer = op
            record(org.reps[rep], amount, day, customer, deal_no=numbers[index % len(numbers)])
        elif kind == "delete" and numbers:
            deal_no = numbers.pop(op[1] % len(numbers))
            deal_delete(deal=Deal.objects.get(deal_no=deal_no))
        elif kind == "move":
            _, rep, team, day = op
            # the same team again, or before the current membership, is not a move
            with contextlib.suppress(TiejunError):
                membership_move(
                    person=org.reps[rep], effective=day, unit=teams[team], role=Role.REP
                )
