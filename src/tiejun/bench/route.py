"""The route optimiser's benchmarks: solve time and gap to the optimum.

``tiejun bench route``: seeded random instances around Hangzhou. n = 10 without time windows:
the gap to the exact optimum (Held–Karp). n = 25 and n = 50 with time windows, service times and
a lunch break: the gap to a run ten times as long (a stop left out counts as worse than any
distance).

``tiejun bench tsplib``: TSPLIB instances of 13 to 51 stops, the gap to their published optima
(``bench_tsplib``).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from tiejun import routing
from tiejun.routing import GreatCircleProvider, Point

H = 3600


def instance(seed: int, n: int, *, windows: bool) -> list[Point]:
    """A depot and ``n`` stops in a city district; with ``windows``, 40 % of the stops keep
    opening hours (a morning or an afternoon) and each visit takes 5 to 15 minutes."""
    rng = random.Random(seed)
    points = [Point("depot", 30.27, 120.15, service_s=0)]
    spread = 0.1 if n <= 10 else 0.05
    for i in range(n):
        opens = closes = None
        if windows and rng.random() < 0.4:
            opens = rng.choice([8, 9, 13, 14]) * H
            closes = opens + rng.choice([4, 5]) * H
        points.append(
            Point(
                f"s{i}",
                30.27 + rng.uniform(-spread, spread),
                120.15 + rng.uniform(-1.2 * spread, 1.2 * spread),
                opens,
                closes,
                rng.choice([5, 10, 15]) * 60 if windows else 0,
            )
        )
    return points


def _timed(points: list[Point], matrices: Any, *, windows: bool, limit: float | None) -> Any:
    kwargs = (
        {"start_time": 8 * H, "end_time": 20 * H, "lunch": (12 * H, H)}
        if windows
        else {"start_time": 0, "end_time": 24 * H - 1, "lunch": None}
    )
    started = time.perf_counter()
    route = routing.solve(points[0], points[1:], time_limit_s=limit, matrices=matrices, **kwargs)
    return route, time.perf_counter() - started


def _gap(value: int, best: int) -> float:
    return 0.0 if best == 0 else (value - best) / best * 100


def bench_route(
    *, instances: int = 5, seed: int = 2026, progress: Callable[[str], None] = print
) -> dict:
    provider = GreatCircleProvider()
    warm = instance(seed - 1, 10, windows=False)  # load OR-Tools before the clock runs
    _timed(warm, provider.matrix(warm), windows=False, limit=0.01)
    results: dict = {"instances": instances, "seed": seed, "sizes": []}

    times, gaps, optimal = [], [], 0
    for k in range(instances):
        points = instance(seed + k, 10, windows=False)
        matrices = provider.matrix(points)
        started = time.perf_counter()
        best, _order = routing.held_karp(matrices[0])
        dp_s = time.perf_counter() - started
        route, seconds = _timed(points, matrices, windows=False, limit=None)
        times.append(seconds)
        gaps.append(_gap(route.distance_m, best))
        optimal += route.distance_m == best
        progress(
            f"n=10 #{k}: {seconds * 1000:.0f} ms, {route.distance_m} m vs optimum {best} m "
            f"(DP {dp_s * 1000:.0f} ms)"
        )
    results["sizes"].append(
        {
            "n": 10,
            "windows": False,
            "reference": "exact (Held–Karp)",
            "time_limit_s": routing.auto_time_limit(10),
            "median_ms": round(statistics.median(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1),
            "optimal": f"{optimal}/{instances}",
            "mean_gap_pct": round(statistics.mean(gaps), 3),
            "max_gap_pct": round(max(gaps), 3),
        }
    )

    for n in (25, 50):
        limit = routing.auto_time_limit(n)
        times, gaps, dropped, long_dropped = [], [], [], []
        for k in range(instances):
            points = instance(seed + 100 * n + k, n, windows=True)
            matrices = provider.matrix(points)
            route, seconds = _timed(points, matrices, windows=True, limit=limit)
            long, _long_s = _timed(points, matrices, windows=True, limit=10 * limit)
            if len(route.dropped) == len(long.dropped):
                gap = _gap(route.distance_m, long.distance_m)
            else:  # a stop left out that the long run fits is worse than any distance
                gap = float("inf") if len(route.dropped) > len(long.dropped) else -100.0
            times.append(seconds)
            gaps.append(gap)
            dropped.append(len(route.dropped))
            long_dropped.append(len(long.dropped))
            progress(
                f"n={n} #{k}: {seconds * 1000:.0f} ms, {route.distance_m} m "
                f"({len(route.dropped)} left out) vs long run {long.distance_m} m "
                f"({len(long.dropped)} left out): gap {gap:.2f} %"
            )
        finite = [g for g in gaps if g != float("inf")]
        results["sizes"].append(
            {
                "n": n,
                "windows": True,
                "reference": f"{10 * limit:g} s run",
                "time_limit_s": limit,
                "median_ms": round(statistics.median(times) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
                "mean_gap_pct": round(statistics.mean(finite), 3) if finite else None,
                "max_gap_pct": round(max(gaps), 3) if max(gaps) != float("inf") else "inf",
                "left_out": sum(dropped),
                "left_out_long_run": sum(long_dropped),
            }
        )
    return results


def bench_tsplib(
    *,
    runs: int = 3,
    time_limit_s: float | None = None,
    names: Sequence[str] | None = None,
    progress: Callable[[str], None] = print,
) -> dict:
    """``tiejun bench tsplib``: the route optimiser on TSPLIB instances of 13 to 51 stops with
    their published optima (no opening hours, no lunch: a plain tour), at the automatic time
    limit unless ``time_limit_s``. Each instance is solved ``runs`` times; the worst tour and
    the slowest run are reported (a busy machine gives the search less time). ``names``
    picks some of the instances (default: all)."""
    from django.utils.translation import gettext as _

    from tiejun.bench.tsplib import INSTANCES, TsplibProvider

    warm = INSTANCES[0].points()  # load OR-Tools and warm the caches before the clock runs
    routing.solve(warm[0], warm[1:], lunch=None, provider=TsplibProvider(INSTANCES[0]))
    results: dict = {"runs": runs, "time_limit_s": time_limit_s or "auto", "instances": []}
    for inst in INSTANCES:
        if names is not None and inst.name not in names:
            continue
        points = inst.points()
        lengths, times = [], []
        for _run in range(runs):
            started = time.perf_counter()
            route = routing.solve(
                points[0],
                points[1:],
                start_time=0,
                end_time=routing.DAY - 1,
                lunch=None,
                provider=TsplibProvider(inst),
                time_limit_s=time_limit_s,
            )
            times.append(time.perf_counter() - started)
            if route.dropped or route.distance_m != inst.tour_length([points[0].id, *route.order]):
                raise AssertionError(f"{inst.name}: not a tour through every stop")
            lengths.append(route.distance_m)
        found = max(lengths)
        gap = _gap(found, inst.optimum)
        results["instances"].append(
            {
                "name": inst.name,
                "stops": inst.stops,
                "optimum": inst.optimum,
                "found": found,
                "gap_pct": round(gap, 2),
                "optimal": f"{lengths.count(inst.optimum)}/{runs}",
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
            }
        )
        progress(
            _(
                "{name}: {stops} stops, optimum {optimum}, found {found} ({gap:.2f} % above), "
                "{seconds:.2f} s (slowest of {runs})"
            ).format(
                name=inst.name,
                stops=inst.stops,
                optimum=inst.optimum,
                found=found,
                gap=gap,
                seconds=max(times),
                runs=runs,
            )
        )
    results["max_gap_pct"] = max(row["gap_pct"] for row in results["instances"])
    return results
