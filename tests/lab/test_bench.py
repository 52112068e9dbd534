import datetime as dt
import io
import json

from django.core.management import call_command

from tiejun.bench.lab import bench_lab
from tiejun.lab.attribution import RULES


def test_bench_lab_builds_touches_and_times_the_report(db):
    result = bench_lab(reps=20, months=3, repeat=1, today=dt.date(2026, 6, 15))
    assert result["touches"] > 0 and result["deals_in_period"] > 0
    assert set(RULES) <= set(result["timings"])
    assert all(t["max_s"] >= 0 for t in result["timings"].values())
    json.dumps(result)


def test_bench_command_lab_prints_json(db):
    out = io.StringIO()
    call_command(
        "bench",
        "lab",
        reps=20,
        months=2,
        repeat=1,
        today="2026-06-15",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert json.loads(out.getvalue())["months"] == 2


def test_the_bench_adds_touches_when_the_demo_has_none(db):
    from tiejun.bench.lab import touches_generate
    from tiejun.demo.generator import demo_build
    from tiejun.lab.models import Touch

    demo_build(reps=20, months=2, seed=1, today=dt.date(2026, 6, 15))
    Touch.objects.all().delete()
    made = touches_generate(seed=1, first_day=dt.date(2026, 5, 1), progress=lambda _m: None)
    assert made == Touch.objects.count() > 0
    assert not Touch.objects.filter(date__lt=dt.date(2026, 5, 1)).exists()
