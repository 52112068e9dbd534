"""The evening review counts the open pipeline and says how much of the forecast stands on it."""

import datetime as dt
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from tests.factories import client_for
from tests.rhythm.test_selectors import DAY, review_org  # noqa: F401
from tiejun.crm.models import OpportunityStageChange
from tiejun.crm.services.customers import customer_create
from tiejun.crm.services.opportunities import opportunity_close, opportunity_create
from tiejun.rhythm.selectors.review import review_for_unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _back_to(day):
    """Date the stage history back to ``day`` (the suite's clock is in December)."""
    OpportunityStageChange.objects.update(at=dt.datetime.combine(day, dt.time(9), SHANGHAI))


@pytest.fixture
def piped(review_org):  # noqa: F811
    """R2 (500 this month, then nothing) has a 30000 proposal closing on 20 June; the history
    says proposals win: three of three."""
    r2 = review_org.reps["R2"]
    customer = customer_create(code="C9", name="客户C9", owner=r2, by=r2)
    for i in range(3):
        won = opportunity_create(customer=customer, title=f"旧{i}", amount="10", stage="proposal")
        opportunity_close(opportunity=won, outcome="won")
    opportunity_create(customer=customer, title="大单", amount="30000", stage="proposal",
                       expected_close=dt.date(2026, 6, 20))  # fmt: skip
    opportunity_create(customer=customer, title="七月", amount="90000", stage="proposal",
                       expected_close=dt.date(2026, 7, 2))  # fmt: skip
    _back_to(dt.date(2026, 6, 1))
    return review_org


def test_without_opportunities_nothing_stands_on_pipeline(review_org):  # noqa: F811
    before = review_for_unit(review_org.team_a, day=DAY)
    rows = {r.code: r for r in before.rows}
    assert rows["R2"].pipeline is None and before.totals.pipeline is None
    assert "pipeline" not in rows["R2"].to_json(before.metric)


def test_review_says_what_stands_on_the_pipeline(piped):
    review = review_for_unit(piped.team_a, day=DAY)
    rows = {r.code: r for r in review.rows}
    r2 = rows["R2"]
    assert r2.pipeline is not None and r2.pipeline.opportunities == 1  # July's is not counted
    assert rows["R1"].pipeline is None
    # 3 of 3 proposals won, shrunk: (3 + 5 × overall) / 8, overall (3 + 1) / 8
    rate = (3 + 5 * 0.5) / 8
    assert r2.pipeline.expected_value == pytest.approx(30000 * rate)
    # R2's pace is near nothing: almost all of the pipeline's value is above it
    assert 0.9 * 30000 * rate < r2.pipeline.amount <= 30000 * rate + 1
    assert r2.expected > Decimal(30000 * rate)
    data = r2.to_json(review.metric)["pipeline"]
    assert data["opportunities"] == 1
    assert review.totals.pipeline.opportunities == 1
    assert review.totals.pipeline.amount == pytest.approx(r2.pipeline.amount)
    # R2 stays a risk point (idle since 1 June) and the risk says what the forecast stands on
    notes = {r.pipeline_note for r in review.risks if r.code == "R2"}
    assert notes and all("forecast stands on 1 open opportunity." in n for n in notes)


def test_the_page_shows_it(piped, client):
    response = client_for(piped.manager).get(f"/rhythm/review/HZ1/?date={DAY.isoformat()}")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert html.count('data-figure="pipeline"') == 2  # the team's total and R2's row
    assert "forecast stands on 1 open opportunity" in html
    assert 'data-figure="risk-pipeline"' in html


def test_on_the_last_day_of_the_month_no_pipeline_is_counted(piped):
    after = review_for_unit(piped.team_a, day=dt.date(2026, 6, 30))
    assert all(r.pipeline is None for r in after.rows)  # the month is over


def test_backtest_scores_the_forecast_with_and_without_the_pipeline(piped):
    from tiejun.rhythm.backtest import forecast_backtest

    data = forecast_backtest(
        today=dt.date(2026, 7, 15), months=1, calibration_months=0, as_of_days=(5, 10)
    ).to_json()
    assert {"brier", "by_as_of_day", "calibration", "units"} <= set(data)
    pipe = data["pipeline"]
    # R2's proposal was open on June's 5th and 10th working days, closing on the 20th
    assert (pipe["forecasts_with_pipeline"], pipe["opportunities"]) == (2, 2)
    assert pipe["mean_amount"] > 0
    assert set(pipe["brier"]) == {"uncalibrated", "without_pipeline"}
    assert pipe["brier"]["uncalibrated"] is not None
