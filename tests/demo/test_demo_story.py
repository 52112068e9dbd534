import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Count, Min, Sum

from tests.factories import kept_for_the_module
from tiejun.crm.models import Deal
from tiejun.demo.generator import demo_build
from tiejun.lab.models import Attendee, Event, Touch
from tiejun.lab.planner import planner_for_unit
from tiejun.lab.selectors.panel import model_monthly_panel
from tiejun.org.models import Unit

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def _story_data(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        demo_build(reps=40, months=6, seed=2026, today=TODAY)  # two years of history by default
        yield


@pytest.fixture
def story(_story_data, db):
    return _story_data


def _per_branch_model(start, end):
    totals = defaultdict(lambda: [0.0, 0.0])
    for row in model_monthly_panel(start=start, end=end):
        cell = totals[(row["unit_code"], row["model"])]
        cell[0] += float(row["hours"])
        cell[1] += float(row["revenue"])
    return totals


def test_two_years_of_touches_even_with_six_months_of_targets(story):
    first = Touch.objects.aggregate(d=Min("date"))["d"]
    assert first <= dt.date(2024, 7, 31)
    assert Deal.objects.aggregate(d=Min("won_date"))["d"] <= dt.date(2024, 7, 31)
    assert not Touch.objects.filter(date__gt=TODAY).exists()


def test_visits_dominate_the_touches(story):
    counts = dict(Touch.objects.values_list("model__code").annotate(n=Count("id")))
    hours = dict(Touch.objects.values_list("model__code").annotate(h=Sum("hours")))
    assert max(counts, key=counts.get) == "visit"
    assert hours["visit"] > Decimal("0.6") * sum(hours.values())


def test_pilot_branches_earn_more_per_rep_hour_from_salons_and_online(story):
    totals = _per_branch_model(dt.date(2025, 7, 1), dt.date(2026, 5, 31))

    def per_hour(branch, model):
        hours, revenue = totals[(branch, model)]
        return revenue / hours

    assert per_hour("ZJ-YW", "salon") > 1.3 * per_hour("ZJ-YW", "visit")
    assert per_hour("ZJ-NB", "online") > 1.3 * per_hour("ZJ-NB", "visit")
    # the pilots are where salons and online happen
    assert ("ZJ-HZ", "salon") not in totals and ("ZJ-HZ", "online") not in totals


def test_the_return_on_visits_falls(story):
    early = _per_branch_model(dt.date(2024, 7, 1), dt.date(2024, 12, 31))
    late = _per_branch_model(dt.date(2025, 12, 1), dt.date(2026, 5, 31))

    def visit_rate(totals):
        hours = sum(v[0] for k, v in totals.items() if k[1] == "visit")
        return sum(v[1] for k, v in totals.items() if k[1] == "visit") / hours

    assert visit_rate(late) < 0.8 * visit_rate(early)


def test_salons_are_events_with_attendees(story):
    salons = Event.objects.filter(model__code="salon")
    assert salons.exists()
    assert set(salons.values_list("unit__parent__code", flat=True)) == {"ZJ-YW"}
    event = salons.first()
    assert Attendee.objects.filter(event=event).count() == event.touches.count()
    assert event.touches.aggregate(h=Sum("hours"))["h"] == event.hours


def test_deal_channels_follow_the_story(story):
    yw = Deal.objects.filter(unit__parent__code="ZJ-YW", won_date__gte=dt.date(2026, 1, 1))
    channels = dict(yw.values_list("channel").annotate(n=Count("id")))
    assert channels["salon"] > 0.2 * sum(channels.values())


def test_the_planner_recommends_a_shift_toward_salons_and_online(story):
    result = planner_for_unit(Unit.objects.get(code="TJ"), today=TODAY, draws=50)
    plan = result.plan
    now, rec = plan.current.hours, plan.recommended.hours
    assert rec["salon"] + rec["online"] > 1.5 * (now["salon"] + now["online"])
    assert rec["visit"] < now["visit"]
    assert plan.recommended.total.mean > plan.current.total.mean
