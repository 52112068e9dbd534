"""``tiejun bench route``: solve time and gap to the optimum of the route optimiser.

Seeded random instances around Hangzhou. n = 10 without time windows: the gap to the exact
optimum (Held–Karp). n = 25 and n = 50 with time windows, service times and a lunch break: the
gap to a run ten times as long (a stop left out counts as worse than any distance).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

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


def _timed(points: list[Point], matrices, *, windows: bool, limit: float | None):
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
