"""The demo's field work is the same for a seed (its own module: it flushes the database, so it
cannot share the demo company the other field tests keep for their module)."""

import pytest
from django.core.management import call_command

from tiejun.field.models import Visit

from .test_demo_field import TODAY


@pytest.mark.django_db(transaction=True)  # flush truncates: not inside a test's transaction
def test_field_work_is_the_same_for_a_seed():
    call_command("demo", reps=40, months=2, history_years=0, today=TODAY.isoformat(), verbosity=0)
    first = sorted(Visit.objects.values_list("id", "customer__code", "checkin_at"))
    call_command("flush", interactive=False, verbosity=0)
    call_command("demo", reps=40, months=2, history_years=0, today=TODAY.isoformat(), verbosity=0)
    assert sorted(Visit.objects.values_list("id", "customer__code", "checkin_at")) == first
