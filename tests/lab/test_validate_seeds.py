"""``tiejun lab validate --seeds``: the aims over many synthetic companies, and honesty where
the data is too thin to give a point."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tiejun import labmath
from tiejun.lab import validate


def test_thin_models_are_those_whose_interval_is_wider_than_the_aim():
    result = labmath.validate(seed=2, draws=60)
    for row in result["rows"]:
        low, high = row["interval"]
        mean = row["fitted_revenue_per_hour"]
        assert row["thin"] == ((high - low) / 2 > labmath.THIN_HALF_WIDTH * mean + 0.01) or (
            abs((high - low) / 2 - labmath.THIN_HALF_WIDTH * mean) <= 0.01
        )
        assert row["truth_in_interval"] == (low <= row["true_revenue_per_hour"] <= high)
    assert result["thin_models"] == [r["model"] for r in result["rows"] if r["thin"]]
    known = [r["error"] for r in result["rows"] if not r["thin"]]
    assert result["max_error_where_known"] == (max(known) if known else 0.0)


def test_validate_over_seeds_counts_the_aims_met():
    out = io.StringIO()
    summary = validate.run_seeds([1, 2, 3], stdout=out, draws=40)
    assert summary["seeds"] == [1, 2, 3]
    assert [r["seed"] for r in summary["results"]] == [1, 2, 3]
    for aim, count in summary["met"].items():
        assert count == sum(1 for r in summary["results"] if r["aims"][aim])
    assert summary["met"]["ranking_correct"] == 3
    text = out.getvalue()
    assert "Over 3 seeds: ranking right on 3" in text
    assert "too thin to know" in text


def test_the_command_takes_a_range_of_seeds_and_refuses_nonsense(db):
    out = io.StringIO()
    call_command("lab", "validate", "--seeds", "4-5", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["seeds"] == [4, 5]
    assert validate.seeds_range("1,3,5") == [1, 3, 5]
    with pytest.raises(CommandError, match="--seeds must be a range"):
        call_command("lab", "validate", "--seeds", "one-twenty", stdout=out)
    with pytest.raises(CommandError, match="between 1 and 100"):
        call_command("lab", "validate", "--seeds", "1-500", stdout=out)


def test_a_single_seed_says_which_models_are_too_thin():
    out = io.StringIO()
    result = validate.run(seed=20, stdout=out, draws=60)
    text = out.getvalue()
    assert result["thin_models"], "seed 20's salon data is too thin to pin down"
    for model in result["thin_models"]:
        assert f"{model}: too little data to know within 10 %" in text
