import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import deal
from tiejun.errors import TiejunError
from tiejun.scoreboard.selectors import split_weights
from tiejun.targets.allocation import allocate
from tiejun.targets.models import Target, TargetChange
from tiejun.targets.selectors import allocation_gap, cascade_for_unit
from tiejun.targets.services import month_is_locked, target_set, target_split, targets_set_many

MONTH = dt.date(2026, 6, 1)  # first working day: Monday 1 June 2026
BEFORE = dt.date(2026, 5, 20)  # June is open
LOCKED = dt.date(2026, 6, 10)  # June is locked


def test_month_locks_on_its_first_working_day(db):
    # October 2026 starts with the National Day holiday; its first working day is 8 October
    assert not month_is_locked(dt.date(2026, 10, 1), today=dt.date(2026, 10, 7))
    assert month_is_locked(dt.date(2026, 10, 1), today=dt.date(2026, 10, 8))
    assert not month_is_locked(MONTH, today=dt.date(2026, 5, 31))
    assert month_is_locked(MONTH, today=MONTH)


def test_first_set_is_allowed_in_a_locked_month_and_audited(org):
    target_set(
        month=MONTH,
        metric="revenue",
        unit=org.team_a,
        value=Decimal(5000),
        by=org.manager,
        today=LOCKED,
    )
    change = TargetChange.objects.get()
    assert Target.objects.get(unit=org.team_a).value == Decimal("5000.00")
    assert change.old_value is None
    assert change.new_value == Decimal("5000.00")
    assert change.locked is True
    assert change.changed_by == org.manager
    assert change.unit == org.team_a
    assert change.reason == ""


def test_changing_a_locked_month_without_a_reason_raises_and_writes_nothing(org):
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(5000), today=BEFORE)
    with pytest.raises(TiejunError) as error:
        target_set(
            month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(6000), today=LOCKED
        )
    assert error.value.field == "reason"
    with pytest.raises(TiejunError):
        target_set(
            month=MONTH, metric="revenue", unit=org.team_a, value=6000, reason="   ", today=LOCKED
        )
    assert Target.objects.get(unit=org.team_a).value == Decimal(5000)
    assert TargetChange.objects.count() == 1


def test_changing_a_locked_month_with_a_reason_is_audited(org):
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(5000), today=BEFORE)
    target_set(
        month=MONTH,
        metric="revenue",
        unit=org.team_a,
        value=Decimal("6000.5"),
        by=org.manager,
        reason="new big customer",
        today=LOCKED,
    )
    assert Target.objects.get(unit=org.team_a).value == Decimal("6000.50")
    change = TargetChange.objects.order_by("-id").first()
    assert (change.old_value, change.new_value) == (Decimal(5000), Decimal("6000.50"))
    assert change.changed_by == org.manager
    assert change.reason == "new big customer"
    assert change.locked is True
    assert change.changed_at is not None


def test_setting_the_same_value_again_is_no_change(org):
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(5000), today=BEFORE)
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(5000), today=LOCKED)
    assert TargetChange.objects.count() == 1


@pytest.mark.parametrize(
    ("metric", "value"),
    [("revenue", "-1"), ("new_customers", "-1"), ("new_customers", "1.5"), ("visits", "0.2")],
)
def test_negative_or_fractional_count_values_are_rejected(org, metric, value):
    with pytest.raises(TiejunError) as error:
        target_set(
            month=MONTH, metric=metric, person=org.reps["R1"], value=Decimal(value), today=BEFORE
        )
    assert error.value.field == "value"
    assert not Target.objects.exists()
    assert not TargetChange.objects.exists()


def test_a_target_belongs_to_a_unit_or_a_person_and_a_known_metric(org):
    with pytest.raises(TiejunError):
        target_set(month=MONTH, metric="revenue", value=Decimal(1), today=BEFORE)
    with pytest.raises(TiejunError):
        target_set(
            month=MONTH,
            metric="revenue",
            unit=org.team_a,
            person=org.reps["R1"],
            value=Decimal(1),
            today=BEFORE,
        )
    with pytest.raises(TiejunError):
        target_set(month=MONTH, metric="smiles", unit=org.team_a, value=Decimal(1), today=BEFORE)
    assert not Target.objects.exists()


@pytest.mark.parametrize(
    ("metric", "total", "step"),
    [
        ("revenue", Decimal("100000.01"), Decimal("0.01")),
        ("new_customers", Decimal(10), Decimal(1)),
    ],
)
def test_split_shares_add_up_exactly_to_the_total(org, metric, total, step):
    weights = {("unit", org.team_a.pk): Decimal(1), ("unit", org.team_b.pk): Decimal(1)}
    weights[("unit", 999_999)] = Decimal(1)  # three ways: thirds do not divide evenly
    shares = allocate(total, weights, step)
    assert sum(shares.values()) == total
    assert all(s % step == 0 for s in shares.values())
    assert max(shares.values()) - min(shares.values()) <= step


@pytest.mark.parametrize(("metric", "total"), [("revenue", "10000.03"), ("new_customers", "7")])
def test_target_split_sets_the_unit_and_its_children_with_no_gap(org, metric, total):
    weights = split_weights(org.team_a, month=MONTH, metric=metric, method="even")
    shares = target_split(
        unit=org.team_a,
        month=MONTH,
        metric=metric,
        total=Decimal(total),
        weights=weights,
        today=BEFORE,
    )
    assert set(shares) == {("person", org.reps["R1"].pk), ("person", org.reps["R2"].pk)}
    assert sum(shares.values()) == Decimal(total)
    stored = Target.objects.filter(month=MONTH, metric=metric, person__isnull=False)
    assert sum(t.value for t in stored) == Decimal(total)
    assert Target.objects.get(month=MONTH, metric=metric, unit=org.team_a).value == Decimal(total)
    cascade = cascade_for_unit(org.team_a, MONTH, metric)
    assert cascade.gap == 0
    assert TargetChange.objects.count() == 3


def test_split_weights_even_last_month_and_last_three_months(org):
    # given: HZ1 sold 300 in May and 100 in March; HZ2 sold 100 in May and 500 in April
    deal(org.reps["R1"], 300, dt.date(2026, 5, 6))
    deal(org.reps["R2"], 100, dt.date(2026, 3, 9))
    deal(org.reps["R3"], 100, dt.date(2026, 5, 7))
    deal(org.reps["R4"], 500, dt.date(2026, 4, 8))
    deal(org.reps["R4"], 900, dt.date(2026, 2, 10))  # four months before: never counted
    deal(org.reps["R4"], 900, dt.date(2026, 6, 2))  # the month itself: never counted
    a, b = ("unit", org.team_a.pk), ("unit", org.team_b.pk)
    # then
    assert split_weights(org.branch, month=MONTH, metric="revenue", method="even") == {a: 1, b: 1}
    assert split_weights(org.branch, month=MONTH, metric="revenue", method="last_month") == {
        a: Decimal(300),
        b: Decimal(100),
    }
    assert split_weights(org.branch, month=MONTH, metric="revenue", method="last_3_months") == {
        a: Decimal(400),
        b: Decimal(600),
    }
    # a team's weights are its reps' results
    team = split_weights(org.team_a, month=MONTH, metric="revenue", method="last_3_months")
    assert team == {
        ("person", org.reps["R1"].pk): Decimal(300),
        ("person", org.reps["R2"].pk): Decimal(100),
    }
    with pytest.raises(TiejunError):
        split_weights(org.branch, month=MONTH, metric="revenue", method="astrology")


def test_split_by_last_month_share(org):
    deal(org.reps["R1"], 300, dt.date(2026, 5, 6))
    deal(org.reps["R3"], 100, dt.date(2026, 5, 7))
    weights = split_weights(org.branch, month=MONTH, metric="revenue", method="last_month")
    shares = target_split(
        unit=org.branch,
        month=MONTH,
        metric="revenue",
        total=Decimal(1000),
        weights=weights,
        today=BEFORE,
    )
    assert shares == {("unit", org.team_a.pk): Decimal(750), ("unit", org.team_b.pk): Decimal(250)}


def test_split_with_no_history_falls_back_to_even(org):
    weights = split_weights(org.branch, month=MONTH, metric="revenue", method="last_3_months")
    shares = target_split(
        unit=org.branch,
        month=MONTH,
        metric="revenue",
        total=Decimal(1001),
        weights=weights,
        today=BEFORE,
    )
    assert sorted(shares.values()) == [Decimal("500.50"), Decimal("500.50")]


def test_split_of_a_locked_month_needs_a_reason_and_writes_nothing_without(org):
    weights = split_weights(org.team_a, month=MONTH, metric="revenue", method="even")
    target_split(
        unit=org.team_a,
        month=MONTH,
        metric="revenue",
        total=Decimal(100),
        weights=weights,
        today=BEFORE,
    )
    before = sorted(Target.objects.values_list("id", "value"))
    changes = TargetChange.objects.count()
    with pytest.raises(TiejunError):
        target_split(
            unit=org.team_a,
            month=MONTH,
            metric="revenue",
            total=Decimal(200),
            weights=weights,
            today=LOCKED,
        )
    assert sorted(Target.objects.values_list("id", "value")) == before
    assert TargetChange.objects.count() == changes
    target_split(
        unit=org.team_a,
        month=MONTH,
        metric="revenue",
        total=Decimal(200),
        weights=weights,
        reason="mid-month push",
        by=org.manager,
        today=LOCKED,
    )
    assert TargetChange.objects.filter(reason="mid-month push", locked=True).count() == 3


def test_targets_set_many_counts_changes_and_rolls_back_all_on_error(org):
    r1, r2 = org.reps["R1"], org.reps["R2"]
    values = {("person", r1.pk): Decimal(10), ("person", r2.pk): Decimal(20)}
    assert targets_set_many(month=MONTH, metric="revenue", values=values, today=BEFORE) == 2
    assert targets_set_many(month=MONTH, metric="revenue", values=values, today=BEFORE) == 0
    bad = {("person", r1.pk): Decimal(11), ("person", r2.pk): Decimal(-1)}
    with pytest.raises(TiejunError):
        targets_set_many(month=MONTH, metric="revenue", values=bad, today=BEFORE)
    assert Target.objects.get(person=r1).value == Decimal(10)


def test_allocation_gap_rule():
    assert allocation_gap(None, Decimal(5)) == 0
    assert allocation_gap(Decimal(100), None) == Decimal(100)
    assert allocation_gap(Decimal(100), Decimal(60)) == Decimal(40)
    assert allocation_gap(Decimal(100), Decimal(160)) == 0


def test_cascade_shows_each_units_allocation_gap(org, django_assert_max_num_queries):
    # given: branch 1000 over teams 600 (own) and nothing (HZ2 falls back to its reps: 150)
    target_set(month=MONTH, metric="revenue", unit=org.branch, value=Decimal(1000), today=BEFORE)
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(600), today=BEFORE)
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R1"], value=Decimal(250), today=BEFORE
    )
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R2"], value=Decimal(250), today=BEFORE
    )
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R3"], value=Decimal(150), today=BEFORE
    )
    # when
    with django_assert_max_num_queries(4):
        cascade = cascade_for_unit(org.branch, MONTH, "revenue")
    # then
    assert cascade.own == Decimal(1000)
    assert cascade.children_sum == Decimal(750)  # 600 + HZ2's reps' 150
    assert cascade.gap == Decimal(250)
    rows = {r.code: r for r in cascade.rows}
    assert list(rows) == ["HZ1", "HZ2"]
    assert (rows["HZ1"].target, rows["HZ1"].children_sum, rows["HZ1"].gap) == (
        Decimal(600),
        Decimal(500),
        Decimal(100),
    )
    assert (rows["HZ2"].target, rows["HZ2"].children_sum, rows["HZ2"].gap) == (
        None,
        Decimal(150),
        0,
    )
    # a region's cascade: the gap of each branch, from the whole subtree
    region = cascade_for_unit(org.region, MONTH, "revenue")
    assert region.own is None and region.gap == 0
    assert {r.code: r.gap for r in region.rows} == {"HZ": Decimal(250), "NB": 0}
    assert region.children_sum == Decimal(1000)
    # a team's rows are its reps
    team = cascade_for_unit(org.team_a, MONTH, "revenue")
    assert [(r.code, r.target) for r in team.rows] == [("R1", Decimal(250)), ("R2", Decimal(250))]
    assert team.gap == Decimal(100)
    # other months and metrics are apart
    assert cascade_for_unit(org.branch, MONTH, "new_customers").own is None
    assert cascade_for_unit(org.branch, dt.date(2026, 7, 1), "revenue").own is None
