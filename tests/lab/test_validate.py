import io
import json

from django.core.management import call_command

from tiejun.lab import validate


def test_validation_ranks_models_right_with_small_regret():
    out = io.StringIO()
    result = validate.run(seed=1, stdout=out)
    assert result["ranking_correct"]
    assert result["regret"] <= 0.05
    assert result["max_error"] <= 0.10
    assert result["recommended_true_revenue"] >= result["current_true_revenue"]
    text = out.getvalue()
    assert "Ranking" in text and "regret" in text and "Aims met" in text


def test_validation_is_deterministic_and_prints_json():
    first, second = io.StringIO(), io.StringIO()
    validate.run(seed=4, stdout=first, as_json=True)
    validate.run(seed=4, stdout=second, as_json=True)
    assert first.getvalue() == second.getvalue()
    data = json.loads(first.getvalue())
    assert {r["model"] for r in data["rows"]} == {"visit", "salon", "online", "partner"}
    assert set(data["aims"]) == {
        "ranking_correct",
        "error_within_10_percent",
        "regret_within_5_percent",
        "error_within_10_percent_where_known",
        "thin_intervals_hold_truth",
    }


def test_the_lab_validate_command(db):
    out = io.StringIO()
    call_command("lab", "validate", "--seed", "2", "--json", stdout=out)
    assert json.loads(out.getvalue())["seed"] == 2
