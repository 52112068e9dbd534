"""A rep's page shows one "needed today" figure: the same on the card and on the chart."""

import datetime as dt
from decimal import Decimal

from tests.factories import client_for
from tests.scoreboard.test_views import PERIOD, june_results
from tiejun.web.templatetags.tiejun_web import money


def test_card_and_chart_show_the_same_required_daily(org):
    june_results(org)
    response = client_for(org.reps["R1"]).get("/me/" + PERIOD)
    html = response.content.decode()
    card = response.context["figures"][0]["f"].required_daily
    assert card == Decimal("2999.50") / 13
    assert response.context["chart"]["pace"] == card
    assert f'data-figure="required_daily">{money(card)}<' in html
    line = html[html.index('class="daychart-pace"') :]
    assert money(card) in line[: line.index("</div>")]
    # the line stays under the top of the chart, clear of the metric tabs
    assert float(response.context["chart"]["pace_bottom"].rstrip("%")) < 90


def test_days_at_or_above_the_figure_are_hits(org):
    june_results(org)
    chart = client_for(org.reps["R1"]).get("/me/" + PERIOD).context["chart"]
    by_day = {d["day"]: d for d in chart["days"]}
    assert by_day[dt.date(2026, 6, 3)]["hit"]  # 6,000 that day
    assert by_day[dt.date(2026, 6, 10)]["hit"]  # 1,000.50 ≥ 2,999.50 ÷ 13
    assert not by_day[dt.date(2026, 6, 9)]["hit"]  # nothing that day
