"""The demo company's field work: placed customers, an open pool, recent visits and reports."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Count, Max
from django.utils import timezone

from tests.factories import kept_for_the_module
from tiejun.crm.models import Customer, Deal
from tiejun.field.models import DailyReport, FieldNote, PlanStop, Visit, VisitPlan
from tiejun.org.models import Membership, Role
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.services import scoreboard_rebuild

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def _demo_data(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        call_command(
            "demo", reps=40, months=2, history_years=0, today=TODAY.isoformat(), verbosity=0
        )
        yield


@pytest.fixture
def demo(_demo_data, db):
    return _demo_data


def test_customers_are_placed_held_or_pooled(demo):
    assert not Customer.objects.filter(lat__isnull=True).exists()
    assert Customer.objects.filter(owner__isnull=True).count() > 0  # the open pool
    assert Customer.objects.filter(status="prospect").count() > 0
    held = Customer.objects.filter(owner__isnull=False).values("owner").distinct()
    reps = Membership.objects.on(TODAY).filter(role=Role.REP, person__in=held)
    assert reps.count() == held.count()  # only current reps hold customers


def test_recent_visits_daily_reports_notes_and_plans(demo):
    visits = Visit.objects.all()
    assert visits.count() > 0
    local = [timezone.localtime(v.checkin_at) for v in visits]
    assert all(t.date() < TODAY and dt.time(9) <= t.time() <= dt.time(17, 30) for t in local)
    per_day = visits.values("person", "checkin_at__date").annotate(n=Count("id"))
    assert max(row["n"] for row in per_day) <= 7
    assert visits.filter(outside_geofence=True).exists()
    assert DailyReport.objects.filter(submitted_at__isnull=False).exists()
    assert FieldNote.objects.filter(starred_by__isnull=False).exists() or FieldNote.objects.exists()
    plan = VisitPlan.objects.first()
    assert plan is not None
    assert plan.date > TODAY
    assert PlanStop.objects.filter(plan=plan).count() > 0


def _written():
    facts = Fact.objects.values_list("day", "metric", "unit__code", "person__employee_no", "value")
    deals = Deal.objects.values_list("deal_no", "unit__code")
    visits = Visit.objects.values_list("id", "unit__code")
    return [sorted(rows, key=repr) for rows in (facts, deals, visits)]


def test_facts_are_what_a_rebuild_makes(demo):
    # given: the demo's facts, and the teams its deals and visits count for
    before = _written()
    assert {metric for _day, metric, *_rest in before[0]} == {"revenue", "new_customers", "visits"}
    # when: every fact is recomputed from the rows, deals and visits following the memberships
    scoreboard_rebuild()
    # then
    assert _written() == before


def test_last_activity_is_the_last_visit_else_the_last_deal(demo):
    last_visit: dict[str, dt.date] = {}
    for code, at in Visit.objects.values_list("customer__code", "checkin_at"):
        day = timezone.localtime(at).date()
        last_visit[code] = max(day, last_visit.get(code, day))
    last_deal = dict(Deal.objects.values_list("customer__code").annotate(day=Max("won_date")))
    assert last_visit
    for code, on in Customer.objects.values_list("code", "last_activity_on"):
        assert on == last_visit.get(code, last_deal.get(code)), code
