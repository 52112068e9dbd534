import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from tiejun.bench.board import LEVELS, bench_board, bench_board_http, percentile
from tiejun.bench.reports import bench_reports
from tiejun.errors import TiejunError

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


def test_bench_board_reuses_the_demo_already_there(db):
    day = dt.date(2026, 6, 15)
    built = bench_board(reps=20, months=2, repeat=2, today=day)
    again = bench_board(reps=999, months=2, repeat=2, today=day, reuse=True)
    assert again["build_s"] is None
    assert again["reps"] is None  # the argument is ignored: nothing was built
    assert again["reps_on_day"] == built["reps_on_day"] > 0
    assert again["facts"] == built["facts"]


def test_bench_board_reuse_needs_a_demo(db):
    with pytest.raises(TiejunError, match="--reuse"):
        bench_board(reps=20, months=2, repeat=2, today=dt.date(2026, 6, 15), reuse=True)


def test_bench_board_over_http_measures_api_and_pages(transactional_db, live_server):
    day = dt.date(2026, 6, 15)
    bench_board(reps=20, months=2, repeat=1, today=day)
    result = bench_board_http(url=live_server.url, repeat=3, today=day, concurrency=2)
    assert set(result["levels"]) == set(LEVELS)
    assert set(result["levels"]["rep"]) == {"page"}
    for level in ("company", "region", "branch", "team"):
        assert set(result["levels"][level]) == {"api", "page"}
    for level in LEVELS:
        for figures in result["levels"][level].values():
            assert figures["statuses"] == {"200": 3}, (level, figures)
            assert figures["p95_ms"] >= figures["p50_ms"] >= 0
    json.dumps(result)


def test_bench_reports_through_the_queue_waits_for_delivery(transactional_db, settings):
    from huey.contrib.djhuey import HUEY

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    saved = HUEY.immediate
    HUEY.immediate = True  # stands in for the running consumers
    try:
        result = bench_reports(
            reps=20, months=1, today=dt.date(2026, 6, 15), through_queue=True, queue_timeout=10
        )
    finally:
        HUEY.immediate = saved
    email = result["email"]
    assert email["queued"] == email["sent"] > 0
    assert email["received_by_smtp"] is None


def test_bench_reports_sends_every_report_to_a_mail_server_of_its_own(transactional_db):
    # one worker: the test database is SQLite in memory, whose threads lock each other's tables
    result = bench_reports(reps=20, months=1, today=dt.date(2026, 6, 15), workers=1)
    email = result["email"]
    # every report queued, sent over SMTP and received by the server in its own process
    assert email["queued"] == email["sent"] == email["received_by_smtp"] > 0
    assert email["messages_per_second"] > 0
    assert set(result["battle_report_ms"]) == {"branch", "team", "all"}


def test_team_names_count_past_ninety_nine():
    # A 20,000-rep demo has branches of well over 99 teams.
    from tiejun.demo.company import chinese_number

    assert [chinese_number(n) for n in (9, 10, 19, 99)] == ["九", "十", "十九", "九十九"]
    assert [chinese_number(n) for n in (100, 101, 110, 119, 139, 999)] == [
        "一百",
        "一百零一",
        "一百一十",
        "一百一十九",
        "一百三十九",
        "九百九十九",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["checkin", "--workers", "0"], "--workers must be at least 1"),
        (["reports", "--repeat", "0"], "--repeat must be at least 1"),
    ],
)
def test_bench_refuses_nonsense_counts_before_building_anything(db, args, message):
    from django.core.management.base import CommandError

    from tiejun.org.models import Unit

    with pytest.raises(CommandError, match=message):
        call_command("bench", *args)
    assert not Unit.objects.exists()
