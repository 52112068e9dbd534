import datetime as dt
import io
import json

from django.core.management import call_command

from tiejun.bench.board import LEVELS, bench_board, percentile

FIELDS = {"p50_ms", "p95_ms", "lower_bound_p50_ms", "lower_bound_p95_ms", "ratio_p95"}


def test_bench_board_measures_every_level(db):
    result = bench_board(reps=20, months=2, repeat=2, today=dt.date(2026, 6, 15))
    assert result["reps"] == 20
    assert result["months"] == 2
    assert result["database"] in {"sqlite", "postgresql"}
    assert result["facts"] > 0
    assert isinstance(result["build_s"], float)
    assert set(result["levels"]) == set(LEVELS)
    for level in LEVELS:
        figures = result["levels"][level]
        assert set(figures) == FIELDS
        assert all(isinstance(v, int | float) and v >= 0 for v in figures.values()), level
    json.dumps(result)


def test_bench_command_prints_json(db):
    out = io.StringIO()
    call_command(
        "bench",
        "board",
        reps=20,
        months=2,
        repeat=2,
        today="2026-06-15",
        stdout=out,
        stderr=io.StringIO(),
    )
    result = json.loads(out.getvalue())
    assert set(result["levels"]) == set(LEVELS)


def test_percentile_is_nearest_rank():
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 0.95) == 95.0
    assert percentile(samples, 0.5) == 50.0
    assert percentile([3.0], 0.95) == 3.0
