import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import deal
from tiejun.errors import Forbidden, TiejunError
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


def test_cascade_shows_each_units_allocation_gap(org, django_assert_num_queries):
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
    with django_assert_num_queries(4):
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


# --- a locked target: a real reason, and the level above for one's own ------------------------


def _locked_team_a(org, value=5000):
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(value), today=BEFORE)


@pytest.mark.parametrize(
    "reason", [".", "。。。", "— ! ? —", "改目标", "cut it ...", "合同 延期", "降一点"]
)
def test_a_locked_change_needs_a_reason_of_ten_real_characters(org, reason):
    # given: team A's June target, set before June locked
    _locked_team_a(org)
    # when: the manager cuts it with a token reason
    with pytest.raises(TiejunError) as error:
        target_set(
            month=MONTH,
            metric="revenue",
            unit=org.team_a,
            value=Decimal(1),
            by=org.manager,
            reason=reason,
            today=LOCKED,
        )
    # then: the message says what counts, and nothing is written
    assert error.value.field == "reason"
    assert "at least 10 letters or digits, or half as many Chinese characters" in str(error.value)
    assert "spaces and punctuation do not count" in str(error.value)
    assert Target.objects.get(unit=org.team_a).value == Decimal(5000)
    assert TargetChange.objects.count() == 1


@pytest.mark.parametrize(
    "reason", ["客户合同延期到下月签约", "新客户大单", "two new hires", "Q3 plan: 2 reps left"]
)
def test_a_reason_of_ten_characters_in_any_script_is_enough(org, reason):
    _locked_team_a(org)
    target_set(
        month=MONTH,
        metric="revenue",
        unit=org.team_a,
        value=Decimal(4000),
        by=org.manager,
        reason=reason,
        today=LOCKED,
    )
    assert Target.objects.get(unit=org.team_a).value == Decimal(4000)
    assert TargetChange.objects.order_by("-id").first().reason == reason


REASON = "客户合同延期到下个月签约"


def _set(org, by, *, unit=None, person=None, value=1):
    return target_set(
        month=MONTH,
        metric="revenue",
        unit=unit,
        person=person,
        value=Decimal(value),
        by=by,
        reason=REASON,
        today=LOCKED,
    )


def test_a_supervisor_may_not_change_their_own_teams_locked_target(org):
    # given: team A's and the supervisor's own June targets, set before June locked
    _locked_team_a(org)
    supervisor = org.supervisor_a
    target_set(month=MONTH, metric="revenue", person=supervisor, value=Decimal(900), today=BEFORE)
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R1"], value=Decimal(800), today=BEFORE
    )
    # when / then: their own team and their own target are refused, even with a good reason
    with pytest.raises(Forbidden, match="level above you") as error:
        _set(org, supervisor, unit=org.team_a)
    assert error.value.field == "code"
    with pytest.raises(Forbidden, match="level above you"):
        _set(org, supervisor, person=supervisor)
    assert Target.objects.get(unit=org.team_a).value == Decimal(5000)
    assert Target.objects.get(person=supervisor).value == Decimal(900)
    assert TargetChange.objects.count() == 3
    # a rep of the team is below them: allowed
    _set(org, supervisor, person=org.reps["R1"], value=700)
    assert Target.objects.get(person=org.reps["R1"]).value == Decimal(700)
    # the level above (the branch manager) changes the team's target
    _set(org, org.manager, unit=org.team_a, value=4500)
    assert Target.objects.get(unit=org.team_a).value == Decimal(4500)
    # an open month is the supervisor's to set, as before
    target_set(month=dt.date(2026, 7, 1), metric="revenue", unit=org.team_a, value=1, by=supervisor)


def test_a_manager_may_not_change_their_own_branchs_locked_target_admin_may(org):
    target_set(month=MONTH, metric="revenue", unit=org.branch, value=Decimal(9000), today=BEFORE)
    target_set(month=MONTH, metric="revenue", person=org.manager, value=Decimal(100), today=BEFORE)
    with pytest.raises(Forbidden):
        _set(org, org.manager, unit=org.branch)
    with pytest.raises(Forbidden):
        _set(org, org.manager, person=org.manager)
    assert Target.objects.get(unit=org.branch).value == Decimal(9000)
    _set(org, org.admin, unit=org.branch, value=8000)
    assert Target.objects.get(unit=org.branch).value == Decimal(8000)


def test_a_split_of_ones_own_locked_team_is_refused_as_a_whole(org):
    # given: June's team A target and its reps' shares, set before June locked
    target_split(
        unit=org.team_a,
        month=MONTH,
        metric="revenue",
        total=Decimal(6000),
        weights={("person", org.reps["R1"].pk): Decimal(1), ("person", org.reps["R2"].pk): 1},
        today=BEFORE,
    )
    before = set(Target.objects.values_list("unit_id", "person_id", "value"))
    changes = TargetChange.objects.count()
    # when: the supervisor re-splits a smaller total over the team
    with pytest.raises(Forbidden):
        target_split(
            unit=org.team_a,
            month=MONTH,
            metric="revenue",
            total=Decimal(1),
            weights={("person", org.reps["R1"].pk): Decimal(1)},
            by=org.supervisor_a,
            reason=REASON,
            today=LOCKED,
        )
    # then: nothing at all is written
    assert set(Target.objects.values_list("unit_id", "person_id", "value")) == before
    assert TargetChange.objects.count() == changes


def test_set_many_refuses_the_changers_own_target(org):
    target_set(month=MONTH, metric="revenue", person=org.supervisor_a, value=50, today=BEFORE)
    with pytest.raises(Forbidden):
        targets_set_many(
            month=MONTH,
            metric="revenue",
            values={("person", org.reps["R1"].pk): Decimal(5), ("person", org.supervisor_a.pk): 1},
            by=org.supervisor_a,
            reason=REASON,
            today=LOCKED,
        )
    assert not Target.objects.filter(person=org.reps["R1"]).exists()
    assert Target.objects.get(person=org.supervisor_a).value == Decimal(50)
