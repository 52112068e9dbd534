"""The demo on an empty database: what it refuses and what the shaped histories write (here, not
beside the tests that keep a demo company for their module)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from tiejun.crm.models import OpportunityStageChange
from tiejun.demo.shapes import build_shape
from tiejun.org.models import Unit

TODAY = dt.date(2026, 6, 15)


def test_too_few_reps_is_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least"):
        call_command("demo", reps=3, today="2026-06-15", stdout=io.StringIO())
    assert not Unit.objects.exists()


def test_shapes_write_an_opportunity_history_without_changing_the_facts(db):
    from tiejun.scoreboard.models import Fact

    build_shape("push", reps=16, months=4, seed=3, today=TODAY)
    assert OpportunityStageChange.objects.filter(to_stage="won").count() > 100
    assert OpportunityStageChange.objects.filter(to_stage="lost").count() > 50
    total = sum(v for v in Fact.objects.values_list("value", flat=True))
    assert total > 0
