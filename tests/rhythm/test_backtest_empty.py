"""The backtest on an empty database (not beside the tests that keep a demo for their module)."""

import json

from .test_backtest import TODAY, _run


def test_backtest_on_an_empty_database_prints_nothing_to_score(db):
    data = json.loads(_run("--json", "--today", TODAY.isoformat()))
    assert data["forecasts"] == 0
    assert data["brier"]["forecast"] is None and data["brier"]["baseline"] is None
    assert data["units"]["forecasts"] == 0 and data["units"]["brier"]["forecast"] is None
