"""The board's shortcuts for large companies give the same numbers as the plain walk.

``_unit_board`` sums the facts per unit and rolls them up to the board's children in Python
(instead of joining every fact to the closure table), and resolves only the targets the board
shows (person targets only for teams without a target of their own).
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from tests.factories import deal
from tiejun.org.models import Unit, UnitClosure
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.selectors import board_for_unit, effective_targets
from tiejun.targets.services import target_set

MONTH = dt.date(2026, 6, 1)
EARLY = dt.date(2026, 5, 1)
AS_OF = dt.date(2026, 6, 10)


def _closure_sum(unit: Unit) -> Decimal:
    below = UnitClosure.objects.filter(ancestor=unit).values("descendant_id")
    total = Fact.objects.filter(
        metric="revenue", unit_id__in=below, day__gte=MONTH, day__lte=AS_OF
    ).aggregate(v=Sum("value"))["v"]
    return total or Decimal(0)


def _subtree(unit: Unit) -> dict[int, Unit]:
    below = UnitClosure.objects.filter(ancestor=unit).values("descendant_id")
    return {u.pk: u for u in Unit.objects.filter(pk__in=below)}


def test_board_figures_match_the_closure_and_the_full_target_walk(org):
    # Own targets on some units only: HZ1 and NB have one, HZ2 falls back to its reps'.
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(900), today=EARLY)
    target_set(
        month=MONTH, metric="revenue", unit=org.other_branch, value=Decimal(5000), today=EARLY
    )
    for no, value in [("R1", 100), ("R2", 200), ("R3", 300), ("R4", 400), ("R5", 500)]:
        target_set(
            month=MONTH, metric="revenue", person=org.reps[no], value=Decimal(value), today=EARLY
        )
    for i, no in enumerate(["R1", "R2", "R3", "R4", "R5"], start=1):
        deal(org.reps[no], 10 * i, dt.date(2026, 6, 2))
        deal(org.reps[no], 7 * i, AS_OF)
        deal(org.reps[no], 1000, dt.date(2026, 6, 20))  # after as_of: not counted

    for unit in (org.company, org.region, org.branch, org.other_branch):
        board = board_for_unit(unit, month=MONTH, as_of=AS_OF)
        full, own, children_sum = effective_targets(_subtree(unit), "revenue", MONTH, AS_OF)
        assert board.achieved == _closure_sum(unit), unit.code
        assert board.target == full.get(unit.pk), unit.code
        assert board.own_target == own.get(unit.pk), unit.code
        assert board.children_target == children_sum.get(unit.pk), unit.code
        for row in board.rows:
            child = Unit.objects.get(code=row.code)
            assert row.achieved == _closure_sum(child), row.code
            assert row.target == full.get(child.pk), row.code
        assert sum((r.achieved for r in board.rows), Decimal(0)) == board.achieved

    branch = board_for_unit(org.branch, month=MONTH, as_of=AS_OF).to_json()
    rows = {r["code"]: r for r in branch["rows"]}
    assert rows["HZ1"]["target"] == "900.00"  # its own
    assert rows["HZ2"]["target"] == "700.00"  # R3 + R4
    assert branch["target"] == "1600.00"


def test_a_board_with_every_target_set_reads_no_person_target(org, django_assert_num_queries):
    for unit in (org.company, org.region, org.branch, org.other_branch, org.team_a, org.team_b):
        target_set(month=MONTH, metric="revenue", unit=unit, value=Decimal(100), today=EARLY)
    target_set(month=MONTH, metric="revenue", unit=org.team_c, value=Decimal(100), today=EARLY)
    units = _subtree(org.company)
    with django_assert_num_queries(1):
        effective_targets(units, "revenue", MONTH, AS_OF, root=org.company.pk)
    with django_assert_num_queries(2):
        effective_targets(units, "revenue", MONTH, AS_OF)
