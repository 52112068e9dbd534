import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

KEYS = [
    "model",
    "touches",
    "customers_touched",
    "customers_won",
    "revenue",
    "rep_hours",
    "direct_cost",
    "full_cost",
    "revenue_per_hour",
    "cost_per_customer",
    "conversion",
    "median_cycle_days",
]
MONEY = re.compile(r"^-?\d+\.\d\d$")


def run(*args):
    out = io.StringIO()
    call_command("lab", "efficiency", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_efficiency_json_contract(history, settings):
    settings.LAB_HOURLY_COST = "100"
    data = json.loads(run("--from", "2026-06-01", "--to", "2026-06-30", "--unit", "HZ", "--json"))
    assert list(data) == ["from", "to", "unit", "attribution", "rows"]
    assert (data["from"], data["to"], data["unit"], data["attribution"]) == (
        "2026-06-01",
        "2026-06-30",
        "HZ",
        "last_touch",
    )
    for row in data["rows"]:
        assert list(row) == KEYS
        assert isinstance(row["model"], str)
        for key in ("touches", "customers_touched", "customers_won"):
            assert type(row[key]) is int
        for key in ("revenue", "rep_hours", "direct_cost", "full_cost"):
            assert MONEY.match(row[key]), (key, row[key])
        for key in ("revenue_per_hour", "cost_per_customer"):
            assert row[key] is None or MONEY.match(row[key])
        assert row["conversion"] is None or (
            isinstance(row["conversion"], float)
            and round(row["conversion"], 4) == row["conversion"]
        )
        assert row["median_cycle_days"] is None or isinstance(row["median_cycle_days"], float)
    rows = {r["model"]: r for r in data["rows"]}
    assert rows["salon"] == {
        "model": "salon",
        "touches": 3,
        "customers_touched": 3,
        "customers_won": 2,
        "revenue": "10000.00",
        "rep_hours": "6.00",
        "direct_cost": "300.00",
        "full_cost": "900.00",
        "revenue_per_hour": "1666.67",
        "cost_per_customer": "450.00",
        "conversion": 0.6667,
        "median_cycle_days": 21.0,
    }
    assert rows["partner"]["conversion"] is None and rows["partner"]["revenue_per_hour"] is None
    assert rows["visit"]["cost_per_customer"] is None


def test_efficiency_options(history):
    data = json.loads(
        run(
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30",
            "--attribution",
            "position",
            "--lookback-days",
            "30",
            "--hourly-cost",
            "0",
            "--json",
        )
    )
    assert data["unit"] is None and data["attribution"] == "position"
    rows = {r["model"]: r for r in data["rows"]}
    assert rows["salon"]["full_cost"] == rows["salon"]["direct_cost"] == "300.00"
    text = run("--from", "2026-06-01", "--to", "2026-06-30")
    assert "salon" in text and "revenue_per_hour" in text


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-06-31", "--to", "2026-07-01"],
        ["--from", "2026-07-01", "--to", "2026-06-01"],
        ["--from", "2026-06-01", "--to", "2026-06-30", "--unit", "NOPE"],
        ["--from", "2026-06-01", "--to", "2026-06-30", "--hourly-cost", "-1"],
        ["--from", "2026-06-01", "--to", "2026-06-30", "--lookback-days", "-1"],
    ],
)
def test_bad_arguments_are_command_errors(db, args):
    with pytest.raises(CommandError):
        run(*args)
