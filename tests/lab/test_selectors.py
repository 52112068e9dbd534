import datetime as dt
from decimal import Decimal

import pytest

from tiejun.errors import TiejunError
from tiejun.lab.selectors.efficiency import efficiency_json, efficiency_report, headline
from tiejun.lab.selectors.panel import model_monthly_panel

from .conftest import JUNE, customer


def rows_of(report):
    return {r["model"]: r for r in report["rows"]}


def test_efficiency_last_touch_exact_figures(history):
    # when
    report = efficiency_report(start=JUNE[0], end=JUNE[1], hourly_cost=Decimal(100))
    rows = rows_of(report)
    # then: touch figures count June only (A1 is in May)
    visit, online, salon, partner = rows["visit"], rows["online"], rows["salon"], rows["partner"]
    assert (visit["touches"], visit["customers_touched"], visit["rep_hours"]) == (
        2,
        2,
        Decimal("4.50"),
    )
    assert (online["touches"], online["customers_touched"], online["rep_hours"]) == (
        2,
        2,
        Decimal("1.50"),
    )
    assert (salon["touches"], salon["customers_touched"], salon["rep_hours"]) == (
        3,
        3,
        Decimal("6.00"),
    )
    assert partner["touches"] == 0 and partner["customers_touched"] == 0
    # revenue: D1 → online (A5 last), D2 and D4 → salon (the event), D3 → partner (its channel)
    assert [rows[m]["revenue"] for m in ("visit", "online", "salon", "partner")] == [
        Decimal("0.00"),
        Decimal("10000.00"),
        Decimal("10000.00"),
        Decimal("2000.00"),
    ]
    assert [rows[m]["customers_won"] for m in ("visit", "online", "salon", "partner")] == [
        0,
        1,
        2,
        1,
    ]
    assert [rows[m]["conversion"] for m in ("visit", "online", "salon", "partner")] == [
        0.0,
        0.5,
        0.6667,
        None,
    ]
    # full cost = direct + hours × 100
    assert visit["full_cost"] == Decimal("460.00")
    assert online["full_cost"] == Decimal("155.00")
    assert salon["full_cost"] == Decimal("900.00")
    assert online["revenue_per_hour"] == Decimal("6666.67")
    assert visit["revenue_per_hour"] == Decimal("0.00")
    assert partner["revenue_per_hour"] is None
    assert online["cost_per_customer"] == Decimal("155.00")
    assert salon["cost_per_customer"] == Decimal("450.00")
    assert visit["cost_per_customer"] is None
    assert online["return_on_cost"] == round(10000 / 155, 4)
    # cycle: D1 from A1 (20 May) 26 days; D2 from A3 (5 June) 15, D4 from A4 (3 June) 27 → 21
    assert online["median_cycle_days"] == 26.0
    assert salon["median_cycle_days"] == 21.0
    assert partner["median_cycle_days"] is None
    # the trend: one month
    assert [p["month"] for p in online["trend"]] == [JUNE[0]]
    assert online["trend"][0]["revenue"] == Decimal("10000.00")
    assert online["trend"][0]["revenue_per_hour"] == Decimal("6666.67")


def test_efficiency_other_rules_share_the_same_deals(history):
    def revenue(rule):
        rows = rows_of(efficiency_report(start=JUNE[0], end=JUNE[1], attribution=rule))
        return {m: str(r["revenue"]) for m, r in rows.items() if r["revenue"]}

    assert revenue("first_touch") == {
        "visit": "16000.00",
        "online": "4000.00",
        "partner": "2000.00",
    }
    # D1: A1 A2 visit, A5 online; D2: A3 visit, salon; D4: A4 online, salon
    assert revenue("linear") == {
        "visit": "9666.67",
        "online": "5333.33",
        "salon": "5000.00",
        "partner": "2000.00",
    }
    # D1 40/20/40: visit 4000+2000, online 4000; D2, D4: 50/50
    assert revenue("position") == {
        "visit": "9000.00",
        "online": "6000.00",
        "salon": "5000.00",
        "partner": "2000.00",
    }


def test_look_back_is_a_parameter(history):
    # A1 (20 May) is 26 days before D1: a 20-day look-back leaves A2 (2 June) first
    rows = rows_of(
        efficiency_report(start=JUNE[0], end=JUNE[1], attribution="first_touch", lookback_days=20)
    )
    assert rows["visit"]["median_cycle_days"] == 14.0  # D1 from 2 June 13 days, D2 15
    rows = rows_of(
        efficiency_report(start=JUNE[0], end=JUNE[1], attribution="last_touch", lookback_days=0)
    )
    # no touch on a won day: every deal falls back to its channel (D1, D2, D4 visit, D3 partner)
    assert {m: str(r["revenue"]) for m, r in rows.items() if r["revenue"]} == {
        "visit": "20000.00",
        "partner": "2000.00",
    }
    assert rows["visit"]["customers_won"] == 3
    assert rows["visit"]["median_cycle_days"] is None


def test_unit_filter_counts_its_touches_and_its_deals(history):
    org = history.org
    branch = rows_of(efficiency_report(start=JUNE[0], end=JUNE[1], unit=org.branch))
    assert branch["salon"]["touches"] == 3  # the event belongs to the branch
    assert branch["partner"]["revenue"] == Decimal(0)  # D3 is Ningbo's
    team = rows_of(efficiency_report(start=JUNE[0], end=JUNE[1], unit=org.team_a))
    assert team["visit"]["touches"] == 2 and team["online"]["touches"] == 0
    assert team["salon"]["touches"] == 0
    # D1's last touch is R3's (another team): the customer's journey counts whole
    assert team["online"]["revenue"] == Decimal("10000.00")
    assert team["salon"]["revenue"] == Decimal("6000.00")
    ningbo = rows_of(efficiency_report(start=JUNE[0], end=JUNE[1], unit=org.other_branch))
    assert {m: str(r["revenue"]) for m, r in ningbo.items() if r["revenue"]} == {
        "partner": "2000.00"
    }


def test_late_attendees_keep_the_event_split_consistent(history):
    from tiejun.lab.services import attendee_add

    attendee_add(event=history.event, customer=customer("C1"))
    salon = rows_of(efficiency_report(start=JUNE[0], end=JUNE[1], hourly_cost=Decimal(0)))["salon"]
    assert (salon["touches"], salon["rep_hours"], salon["direct_cost"]) == (
        4,
        Decimal("6.00"),
        Decimal("300.00"),
    )
    assert sorted(t.hours for t in history.event.touches.all()) == [Decimal("1.50")] * 4


def test_events_nobody_attended_still_cost(history):
    from tiejun.lab.services import event_record

    from .conftest import TODAY, model

    event_record(
        event_id="E2",
        model=model("livestream"),
        unit=history.org.branch,
        date=dt.date(2026, 6, 20),
        title="直播",
        hours=Decimal(2),
        cost=Decimal(80),
        today=TODAY,
    )
    live = rows_of(efficiency_report(start=JUNE[0], end=JUNE[1], hourly_cost=Decimal(10)))[
        "livestream"
    ]
    assert (live["touches"], live["rep_hours"], live["full_cost"]) == (
        0,
        Decimal("2.00"),
        Decimal("100.00"),
    )


def test_contract_json(history):
    data = efficiency_json(efficiency_report(start=JUNE[0], end=JUNE[1], unit=history.org.branch))
    assert list(data) == ["from", "to", "unit", "attribution", "rows"]
    assert data["unit"] == "HZ" and data["from"] == "2026-06-01"
    online = next(r for r in data["rows"] if r["model"] == "online")
    assert online["revenue"] == "10000.00" and online["rep_hours"] == "1.50"


def test_bad_arguments():
    with pytest.raises(TiejunError, match="ends before"):
        efficiency_report(start=JUNE[1], end=JUNE[0])
    with pytest.raises(TiejunError, match="unknown attribution"):
        efficiency_report(start=JUNE[0], end=JUNE[1], attribution="u_shape")


def test_headline_compares_the_best_with_visits(history):
    best, other = headline(efficiency_report(start=JUNE[0], end=JUNE[1]))
    assert (best["model"], other["model"]) == ("online", "visit")


def test_monthly_panel_per_branch(history):
    rows = model_monthly_panel(start=dt.date(2026, 5, 1), end=JUNE[1])
    got = {
        (r["unit_code"], r["month"].month, r["model"]): (str(r["hours"]), str(r["revenue"]))
        for r in rows
    }
    assert got == {
        ("HZ", 5, "visit"): ("2.00", "0"),
        ("HZ", 6, "visit"): ("4.50", "9666.67"),
        ("HZ", 6, "online"): ("1.50", "5333.33"),
        ("HZ", 6, "salon"): ("6.00", "5000.00"),
        ("NB", 6, "partner"): ("0.00", "2000.00"),
    }
    assert set(rows[0]) == {"unit_code", "month", "model", "hours", "cost", "revenue"}


def test_query_count_does_not_grow_with_rows(history, django_assert_num_queries):
    with django_assert_num_queries(6):
        efficiency_report(start=JUNE[0], end=JUNE[1], unit=history.org.branch)
