"""The planner's incentive-cost card, registered by the incentives app through ``lab.hooks``."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import kept_for_the_module
from tiejun.demo.generator import demo_build
from tiejun.incentives.labcost import cost_of, unit_pay
from tiejun.incentives.maths import ModelTerms
from tiejun.incentives.models import Plan
from tiejun.incentives.services import plan_load
from tiejun.lab.hooks import cost_panels
from tiejun.org.models import Person, Unit

PLAN = {
    "code": "STD",
    "name": "标准提成",
    "effective_from": "2026-01-01",
    "units": ["TJ"],
    "roles": ["rep"],
    "metric": "revenue",
    "tiers": [
        {"from": 0, "to": 0.8, "rate": 0.03},
        {"from": 0.8, "to": 1.0, "rate": 0.05},
        {"from": 1.0, "to": None, "rate": 0.08},
    ],
}


@pytest.fixture(scope="module")
def _company_data(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        demo_build(reps=40, months=3, seed=11, today=timezone.localdate(), history_years=1)
        yield


@pytest.fixture
def company(_company_data, db):
    return _company_data


@pytest.fixture
def admin_client(client, company):
    client.force_login(Person.objects.get(employee_no="admin"))
    return client


def test_the_incentives_app_registers_its_panel():
    assert any(p.__name__ == "planner_cost_panel" for p in cost_panels())


def test_without_a_plan_the_card_says_so(admin_client):
    response = admin_client.get("/lab/planner/?unit=TJ")
    assert response.status_code == 200
    assert 'data-cost="no-plan"' in response.content.decode()


def test_card_shows_cost_and_net_of_both_mixes_with_the_plan_named(
    admin_client, django_assert_num_queries
):
    # given
    plan_load(data=PLAN)
    # when: the planner's 12 queries and the card's 5 (the plan: unit depths, plan links, plan
    # versions; the reps; their targets), whatever the number of reps
    with django_assert_num_queries(17):
        response = admin_client.get("/lab/planner/?unit=TJ")
    # then
    html = response.content.decode()
    assert "标准提成" in html and "STD" in html
    assert 'data-cost-mix="current"' in html and 'data-cost-mix="recommended"' in html
    pay = unit_pay(Unit.objects.get(code="TJ"), timezone.localdate())
    result = response.context["result"]
    best = cost_of(pay, {r.code: r.recommended_revenue for r in result.fitted_rows})
    assert best.cost > 0
    assert best.net == best.revenue - best.cost
    assert 'data-cost="whatif"' not in html


def test_what_if_a_flat_rate_shows_the_difference(admin_client):
    plan_load(data=PLAN)
    response = admin_client.get("/lab/planner/?unit=TJ&cost_model=online&cost_flat=5")
    html = response.content.decode()
    assert 'data-cost="whatif"' in html
    pay = unit_pay(Unit.objects.get(code="TJ"), timezone.localdate())
    rows = response.context["result"].fitted_rows
    recommended = {r.code: r.recommended_revenue for r in rows}
    base = cost_of(pay, recommended)
    changed = cost_of(pay, recommended, {"online": ModelTerms(flat=Decimal("0.05"))})
    assert changed.cost != base.cost
    assert "5 %" in html
    assert Plan.objects.get(code="STD").tiers == [
        {"from": "0", "to": "0.8", "rate": "0.03"},
        {"from": "0.8", "to": "1.0", "rate": "0.05"},
        {"from": "1.0", "to": None, "rate": "0.08"},
    ]  # nothing written


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cost_model=nope&cost_flat=5", "is not a sales model"),
        ("cost_model=online&cost_flat=abc", "must be a number"),
        ("cost_model=online&cost_flat=150", "between 0 and 100"),
        ("cost_model=online&cost_multiplier=-1", "0 or more"),
        ("cost_model=online&cost_flat=5&cost_multiplier=2", "not both"),
        ("cost_model=online", "give a flat rate or a multiplier"),
    ],
)
def test_bad_what_if_input_gives_a_clear_message(admin_client, query, message):
    plan_load(data=PLAN)
    response = admin_client.get(f"/lab/planner/?unit=TJ&{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-cost="error"' in html and message in html
    assert 'data-cost="whatif"' not in html


def test_the_what_if_form_keeps_the_planners_inputs(admin_client):
    plan_load(data=PLAN)
    html = admin_client.get("/lab/planner/?unit=TJ&hours=2500").content.decode()
    assert '<input type="hidden" name="hours" value="2500">' in html
