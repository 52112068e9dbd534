"""The demo sets monthly visits targets, so the board's visits metric shows progress."""

import datetime as dt

import pytest
from django.core.management import call_command

from tiejun.org.models import Unit, UnitKind
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.targets.models import Target
from tiejun.workdays import add_months

TODAY = dt.date(2026, 6, 15)
CURRENT = dt.date(2026, 6, 1)


@pytest.fixture
def demo(db):
    call_command("demo", reps=40, months=2, history_years=0, today=TODAY.isoformat(), verbosity=0)


def test_visits_targets_per_rep_roll_up_and_show_progress(demo):
    # given: visits targets for this month and the next, none for a month without visit data
    targets = Target.objects.filter(metric="visits")
    assert not targets.filter(month=add_months(CURRENT, -1)).exists()
    for month in (CURRENT, add_months(CURRENT, 1)):
        reps = list(
            targets.filter(month=month, person__isnull=False).values_list("value", flat=True)
        )
        assert len(reps) >= 30
        assert all(90 <= v <= 180 for v in reps), reps
        assert targets.filter(month=month, unit__code="TJ").exists()
    # then: every team board counts visits against a target, and the company is on the way
    completions = []
    for team in Unit.objects.filter(kind=UnitKind.TEAM):
        board = board_for_unit(team, month=CURRENT, as_of=TODAY, metric="visits")
        assert board.target
        completions += [r.completion for r in board.rows if r.completion is not None]
    assert len(completions) >= 30
    assert all(0 < c < 1.2 for c in completions), completions
    company = board_for_unit(
        Unit.objects.get(code="TJ"), month=CURRENT, as_of=TODAY, metric="visits"
    )
    assert company.target and 0.2 < company.completion < 0.9
