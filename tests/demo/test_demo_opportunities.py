"""The demo's opportunity history: the pipeline as it stood on any past day can be rebuilt."""

import datetime as dt
import itertools
from collections import defaultdict

import pytest
from django.utils import timezone

from tests.factories import kept_for_the_module
from tiejun.crm.models import Deal, Opportunity, OpportunityStageChange
from tiejun.crm.selectors.pipeline import open_pipeline, stage_changes
from tiejun.demo.generator import demo_build
from tiejun.org.models import Person
from tiejun.workdays import month_end

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def _demo_data(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        demo_build(reps=24, months=4, today=TODAY, history_years=1)
        yield


@pytest.fixture
def demo(_demo_data, db):
    return _demo_data


def _paths():
    paths = defaultdict(list)
    for row in OpportunityStageChange.objects.order_by("at", "id"):
        paths[row.opportunity_id].append(row)
    return paths


def test_won_opportunities_open_weeks_before_their_deal(demo):
    # given the demo's history
    paths = _paths()
    won = [p for p in paths.values() if p[-1].to_stage == "won"]
    deals = Deal.objects.count()
    # then most deals came out of an opportunity, opened one to eight weeks before the win
    assert 0.7 * deals < len(won) <= deals
    local = timezone.localtime
    ages = [(local(p[-1].at).date() - local(p[0].at).date()).days for p in won]
    assert min(ages) >= 7 and max(ages) <= 56
    # each went through open stages, dated in order, the first change an opening
    final = dict(Opportunity.objects.values_list("pk", "amount"))
    for p in won:
        assert p[0].from_stage == ""
        assert [c.from_stage for c in p[1:]] == [c.to_stage for c in p[:-1]]
        assert all(a.at <= b.at for a, b in itertools.pairwise(p))
        assert p[-1].amount == final[p[-1].opportunity_id]
    # the estimates were recorded with every change: a first amount off the final one and a
    # first expected close that slipped
    assert all(c.amount is not None and c.expected_close is not None for p in won for c in p)
    assert sum(p[0].amount != p[-1].amount for p in won) > 0.8 * len(won)
    assert sum(p[0].expected_close < local(p[-1].at).date() for p in won) > 0.4 * len(won)


def test_lost_and_stalled_opportunities_sit_beside_the_won(demo):
    stages = defaultdict(int)
    for stage in Opportunity.objects.values_list("stage", flat=True):
        stages[stage] += 1
    assert stages["lost"] > 0.5 * stages["won"]
    assert sum(stages[s] for s in ("lead", "qualified", "proposal", "negotiation")) > 0
    # nothing is dated after today
    end = timezone.make_aware(dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time.min))
    assert not OpportunityStageChange.objects.filter(at__gte=end).exists()
    assert not Opportunity.objects.filter(created_at__gte=end).exists()


def test_the_pipeline_of_a_past_day_is_rebuilt_from_the_history(demo):
    # given a past as-of day
    day = dt.date(2026, 4, 8)
    reps = list(Person.objects.filter(employee_no__regex=r"\d\d$").values_list("pk", flat=True))
    # when the pipeline is taken as it stood then
    pipe = open_pipeline(reps, as_of=day, closing_after=day, closing_until=month_end(day))
    # then reps had opportunities closing in April, with later stages likelier to be won
    assert sum(len(v) for v in pipe.by_person.values()) > len(reps) / 2
    assert pipe.rates["negotiation"] > pipe.rates["proposal"] > pipe.rates["lead"]
    # and each carries the estimate recorded by then, not today's
    changes = [c for c in stage_changes(day) if c.day <= day]
    final = dict(Opportunity.objects.values_list("pk", "amount"))
    assert any(c.amount != float(final[c.opportunity]) for c in changes)
