import pytest
from django.utils import timezone

from tests.factories import kept_for_the_module
from tiejun.demo.generator import demo_build
from tiejun.lab.planner import REP_HOURS_PER_QUARTER, ModelRow, parse_number, planner_for_unit
from tiejun.org.models import Person, Unit


@pytest.fixture(scope="module")
def _company_data(django_db_setup, django_db_blocker):
    """A small demo company with a year of sales-model history up to today."""
    with kept_for_the_module(django_db_blocker):
        demo_build(reps=40, months=3, seed=11, today=timezone.localdate(), history_years=1)
        yield


@pytest.fixture
def company(_company_data, db):
    return _company_data


def test_planner_recommends_a_mix_with_intervals(company):
    result = planner_for_unit(Unit.objects.get(code="TJ"), today=timezone.localdate(), draws=50)
    plan = result.plan
    assert plan is not None
    assert plan.recommended.total.mean >= plan.current.total.mean
    assert plan.current.total.low <= plan.current.total.mean <= plan.current.total.high
    assert sum(plan.recommended.hours.values()) <= result.total_hours * (1 + 1e-6)
    fitted = {r.code for r in result.fitted_rows}
    assert {"visit", "salon", "online"} <= fitted


def test_planner_honours_the_inputs(company):
    unit = Unit.objects.get(code="TJ")
    result = planner_for_unit(
        unit,
        today=timezone.localdate(),
        total_hours=3000,
        budget=10_000_000,
        bounds={"visit": (2000, None)},
        draws=20,
    )
    assert sum(result.plan.recommended.hours.values()) <= 3000 * (1 + 1e-6)
    assert result.plan.recommended.hours["visit"] >= 2000 - 1e-6


def test_page_renders_for_admin_with_sliders(client, company, django_assert_num_queries):
    client.force_login(Person.objects.get(employee_no="admin"))
    # 12 for the planner, 2 for the incentive-cost card finding no plan for the unit's reps
    # (tests/lab/test_planner_cost.py pins the card with a plan)
    with django_assert_num_queries(14):
        response = client.get("/lab/planner/?unit=TJ")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mix planner" in html
    assert 'type="range"' in html
    assert "planner-curves" in html
    assert "expected" in html


def test_page_takes_next_quarters_inputs(client, company):
    client.force_login(Person.objects.get(employee_no="admin"))
    response = client.get("/lab/planner/?unit=TJ&hours=2500&budget=500000&min_visit=1000")
    assert response.status_code == 200
    assert response.context["result"].total_hours == 2500
    assert response.context["plan"].recommended.hours["visit"] >= 1000 - 1e-6


def test_page_is_404_for_reps_and_for_units_out_of_sight(client, company):
    client.force_login(Person.objects.get(employee_no="ZJ-HZ-0101"))  # a rep
    assert client.get("/lab/planner/?unit=ZJ-HZ").status_code == 404
    client.force_login(Person.objects.get(employee_no="ZJ-HZ-0000"))  # Hangzhou's manager
    assert client.get("/lab/planner/?unit=ZJ-HZ").status_code == 200
    assert client.get("/lab/planner/?unit=ZJ-NB").status_code == 404
    assert client.get("/lab/planner/?unit=NOPE").status_code == 404


def test_anonymous_is_sent_to_login(client, db):
    assert client.get("/lab/planner/").status_code == 302


def test_parse_number():
    assert parse_number("1,200") == 1200
    assert parse_number("") is None
    assert parse_number("-3") is None
    assert parse_number("abc") is None
    assert parse_number(None) is None


def test_planner_speaks_in_people_and_names_its_caps(client, company):
    """Issue 14: the move is said in reps' time with a range; a recommendation stopped by a cap
    says so, in plain words (no "bootstrap", no "unit-months")."""
    client.force_login(Person.objects.get(employee_no="admin"))
    response = client.get("/lab/planner/?unit=TJ")
    result = response.context["result"]
    html = response.content.decode()
    explanation = result.explanation
    if explanation is not None:
        assert explanation["reps"] == round(explanation["hours"] / REP_HOURS_PER_QUARTER, 1)
        assert f"Move about {explanation['reps']} reps" in html
        if explanation["low"] is not None:
            assert explanation["low"] <= explanation["gain"] <= explanation["high"]
            assert "(range ¥" in html
    for row in result.capped_rows:
        assert f'data-cap="{row.code}"' in html
    if result.capped_rows:
        assert 'id="cap-note"' in html and "three times its share" in html
    page = html.lower()
    for jargon in ("bootstrap", "unit-months", "last_touch", "marginal"):
        assert jargon not in page, jargon
    assert "/lab/efficiency/?unit=TJ&amp;from=" in html and "attribution=linear" in html


def test_a_row_at_its_maximum_is_at_the_cap():
    row = ModelRow(code="online", name="online", fitted=True, recommended_hours=4775, high=4775)
    assert row.at_cap
    row.recommended_hours = 3000
    assert not row.at_cap
    assert not ModelRow(code="x", name="x", fitted=False, high=10, recommended_hours=10).at_cap
