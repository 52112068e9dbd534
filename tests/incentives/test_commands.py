"""``tiejun incentives …``: the plan file, the statement and milestones JSON, bad input."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import deal
from tiejun.audit.models import AuditEntry
from tiejun.incentives.models import Plan, PlanMilestone
from tiejun.targets.services import target_set

D = Decimal


def run(*args):
    out = StringIO()
    call_command("incentives", *args, stdout=out)
    return out.getvalue()


def load(tmp_path, data, name="plan.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return run("plan", "load", str(path))


def refused(tmp_path, data):
    with pytest.raises(CommandError) as info:
        load(tmp_path, data)
    assert info.value.returncode == 2
    return str(info.value)


def test_load_the_issues_plan(org, tmp_path, plan_data):
    out = load(tmp_path, plan_data)
    assert "STD-2026" in out
    plan = Plan.objects.get()
    assert plan.effective_from == dt.date(2026, 1, 1) and plan.effective_to is None
    assert [u.code for u in plan.units.all()] == ["HQ"]
    assert plan.tiers[2] == {"from": "1.0", "to": None, "rate": "0.08"}
    milestone = PlanMilestone.objects.get()
    assert milestone.threshold == D(1000000) and milestone.forfeit_on_promotion
    assert AuditEntry.objects.filter(object_type="incentive_plan", action="create").count() == 1


def test_loading_the_same_code_again_replaces_it_from_its_start(org, tmp_path, plan_data):
    load(tmp_path, plan_data)
    later = {**plan_data, "name": "新方案", "effective_from": "2026-07-01", "milestones": []}
    load(tmp_path, later)
    first, second = Plan.objects.order_by("effective_from")
    assert first.effective_to == dt.date(2026, 6, 30)
    assert (second.name, second.effective_to) == ("新方案", None)
    # the same start again replaces that version, and a start before both replaces both
    load(tmp_path, {**later, "name": "再改"})
    assert list(Plan.objects.values_list("name", flat=True).order_by("effective_from")) == [
        "标准提成",
        "再改",
    ]
    load(tmp_path, {**plan_data, "effective_from": "2025-12-01"})
    assert Plan.objects.count() == 1
    assert PlanMilestone.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"units": ["NOPE"]}, "unknown unit NOPE"),
        ({"roles": ["boss"]}, "unknown role boss"),
        ({"metric": "smiles"}, "unknown metric smiles"),
        ({"effective_from": "2026-13-01"}, "effective_from"),
        (
            {
                "tiers": [
                    {"from": 0, "to": 0.8, "rate": 0.03},
                    {"from": 0.9, "to": None, "rate": 0.05},
                ]
            },
            "tier 2 must start at 0.8",
        ),
        ({"tiers": [{"from": 0, "to": None, "rate": "abc"}]}, "tiers[1].rate"),
        ({"cap": -1}, "cap"),
        ({"channels": ["fax"]}, "channels"),
        ({"bonus": 1}, "bonus"),
        ({"milestones": [{"code": "M1", "threshold": "-5", "reward": "x"}]}, "threshold"),
    ],
)
def test_bad_plans_are_refused_and_nothing_is_written(org, tmp_path, plan_data, change, message):
    text = refused(tmp_path, {**plan_data, **change})
    assert message in text
    assert not Plan.objects.exists()
    assert not AuditEntry.objects.filter(object_type="incentive_plan").exists()


def test_unreadable_files_are_refused(org, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON") as info:
        run("plan", "load", str(path))
    assert info.value.returncode == 2
    with pytest.raises(CommandError, match="cannot read") as info:
        run("plan", "load", str(tmp_path / "missing.json"))
    assert info.value.returncode == 2


def expected_tiers(achieved, target):
    """The issue's ladder, the long way round."""

    def fen(x):
        return x.quantize(D("0.01"), rounding="ROUND_HALF_UP")

    bands = [(D(0), D("0.8"), D("0.03")), (D("0.8"), D(1), D("0.05")), (D(1), None, D("0.08"))]
    lines = []
    for lo, hi, rate in bands:
        low = fen(lo * target)
        high = achieved if hi is None else min(achieved, fen(hi * target))
        base = max(high - low, D(0))
        lines.append((base, fen(base * rate)))
    return lines


def test_statement_json_on_generated_months(org, tmp_path, plan_data):
    load(tmp_path, plan_data)
    rng = random.Random(16)
    rep = org.reps["R1"]
    for month in (8, 9, 10, 11):
        target = D(rng.randrange(50, 200) * 1000)
        target_set(
            month=dt.date(2026, month, 1),
            metric="revenue",
            value=target,
            person=rep,
            by=org.admin,
            reason="测试目标设定原因说明",
            today=dt.date(2026, month, 1) - dt.timedelta(days=3),
        )
        amounts = [D(rng.randrange(100, 4000000)) / 100 for _ in range(rng.randrange(1, 12))]
        for amount in amounts:
            deal(rep, amount, dt.date(2026, month, rng.randrange(1, 28)))
        achieved = sum(amounts, D(0))
        data = json.loads(run("statement", "R1", "--month", f"2026-{month:02d}", "--json"))
        lines = expected_tiers(achieved, target)
        assert data["employee_no"] == "R1" and data["month"] == f"2026-{month:02d}"
        assert data["target"] == f"{target:.2f}"
        assert data["achieved"] == f"{achieved:.2f}"
        assert [(line["base"], line["amount"]) for line in data["lines"]] == [
            (f"{b:.2f}", f"{a:.2f}") for b, a in lines
        ]
        assert [(line["from"], line["to"], line["rate"]) for line in data["lines"]] == [
            ("0", "0.8", "0.03"),
            ("0.8", "1", "0.05"),
            ("1", None, "0.08"),
        ]
        assert data["clawback"] == "0.00"
        assert data["total"] == f"{sum(a for _b, a in lines):.2f}"


def test_statement_bad_input(org):
    with pytest.raises(CommandError, match="YYYY-MM") as info:
        run("statement", "R1", "--month", "2026-13", "--json")
    assert info.value.returncode == 2
    with pytest.raises(CommandError, match="unknown employee") as info:
        run("statement", "NOBODY", "--month", "2026-11", "--json")
    assert info.value.returncode == 2


def test_statement_without_a_plan_is_empty(org):
    data = json.loads(run("statement", "R1", "--month", "2026-11", "--json"))
    assert data["lines"] == [] and data["total"] == "0.00" and data["plan"] is None


def test_milestones_json(org, tmp_path, plan_data):
    load(tmp_path, plan_data)
    rep, other = org.reps["R1"], org.reps["R2"]
    # R1: 400k on 03-02, 350k on 06-15, 300k on 09-09 → reached on 09-09
    for amount, day in [(400000, "2026-03-02"), (350000, "2026-06-15"), (300000, "2026-09-09")]:
        deal(rep, amount, dt.date.fromisoformat(day))
    deal(other, 120000, dt.date(2026, 11, 2))
    data = json.loads(run("milestones", "--unit", "HZ1", "--year", "2026", "--json"))
    by_no = {row["employee_no"]: row for row in data}
    assert set(by_no) == {"R1", "R2"}  # the supervisor's role does not count
    assert by_no["R1"] == {
        **by_no["R1"],
        "milestone": "M1",
        "ytd": "1050000.00",
        "threshold": "1000000.00",
        "reached_on": "2026-09-09",
        "projected_on": None,
        "probability": 1.0,
    }
    assert by_no["R2"]["reached_on"] is None
    assert by_no["R2"]["ytd"] == "120000.00"
    assert 0 <= by_no["R2"]["probability"] < 0.05  # one deal in sixty days: no way to 1M


def test_milestones_bad_input(org):
    for args, message in [
        (("--unit", "NOPE", "--year", "2026"), "unknown unit"),
        (("--unit", "HZ1", "--year", "20x6"), "--year"),
    ]:
        with pytest.raises(CommandError, match=message) as info:
            run("milestones", *args, "--json")
        assert info.value.returncode == 2


def test_milestone_dates_on_generated_data(org, tmp_path, plan_data):
    # given: a lower threshold and random deals for the five reps over the year
    plan_data["milestones"][0]["threshold"] = "300000"
    load(tmp_path, plan_data)
    rng = random.Random(2026)
    expected = {}
    for no, rep in org.reps.items():
        deals = sorted(
            (
                dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 349)),
                D(rng.randrange(1000, 60000)),
            )
            for _ in range(rng.randrange(3, 20))
        )
        for day, amount in deals:
            deal(rep, amount, day, today=dt.date(2026, 12, 16))
        running, reached = D(0), None
        for day, amount in deals:
            running += amount
            if reached is None and running >= D(300000):
                reached = day
        expected[no] = (f"{running:.2f}", reached.isoformat() if reached else None)
    # when
    data = json.loads(run("milestones", "--unit", "HQ", "--year", "2026", "--json"))
    # then: every rep once, with the running total's first crossing
    got = {row["employee_no"]: (row["ytd"], row["reached_on"]) for row in data}
    assert got == expected
    for row in data:
        assert (row["projected_on"] is None) == (
            row["reached_on"] is not None or row["probability"] < 0.5
        )
