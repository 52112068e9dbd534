"""The route optimiser: a pure core (no Django) around Google OR-Tools' routing solver.

Times are whole seconds since midnight; distances whole metres. A route starts at a depot (the
office or home), visits stops, and comes back. Each stop may have opening hours and a service
time; the day has a start, an end and an optional lunch break during which the rep neither
drives nor visits. Stops that cannot fit are dropped (with a penalty), never a failure.

The solver improves a route; it does not have to find one. ``cheapest_insertion()`` builds a
feasible first route in plain Python before the solver starts, and the solver only replaces it
with something better, so a short time limit (or a busy machine) costs distance, never stops.

``schedule()`` recomputes the times of a given order (used after a hand reorder), and
``held_karp()`` is the exact optimum for small instances (tests and the benchmark).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

EARTH_RADIUS_M = 6_371_008.8
DAY = 24 * 3600


@dataclass(frozen=True)
class Point:
    """A place on the route. ``opens``/``closes`` in seconds since midnight (None: always open)."""

    id: str
    lat: float
    lon: float
    opens: int | None = None
    closes: int | None = None
    service_s: int = 30 * 60


class DistanceProvider(Protocol):
    """Road distances (m) and driving durations (s) between every pair of points."""

    def matrix(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]: ...


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class GreatCircleProvider:
    """Great-circle distance × a road factor, driven at a constant city speed.

    The default; production may plug in a map service's distance matrix instead.
    """

    road_factor: float = 1.3
    speed_kmh: float = 30.0

    def matrix(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]:
        n = len(points)
        dist = [[0] * n for _ in range(n)]
        dur = [[0] * n for _ in range(n)]
        speed = self.speed_kmh / 3.6
        for i, a in enumerate(points):
            for j in range(i + 1, n):
                b = points[j]
                d = haversine_m(a.lat, a.lon, b.lat, b.lon) * self.road_factor
                dist[i][j] = dist[j][i] = round(d)
                dur[i][j] = dur[j][i] = round(d / speed)
        return dist, dur


@dataclass
class Route:
    """A solved (or hand-ordered) route. ``order`` lists stop ids, without the depot."""

    order: list[str]
    arrivals: dict[str, int]  # stop id -> when the visit starts (after any wait for opening)
    leg_distance_m: list[int]  # one per leg: depot→first, …, last→depot
    leg_duration_s: list[int]
    distance_m: int
    duration_s: int  # driving time
    start_at: int
    return_at: int
    lunch_at: int | None = None  # when lunch starts, if the day spans it
    dropped: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)  # stops whose window is missed (hand orders)

    @property
    def stops(self) -> int:
        return len(self.order)


def hhmm(seconds: int) -> str:
    seconds = max(0, seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def parse_hhmm(text: str) -> int:
    """'09:30' -> 34200; raises ValueError on anything else."""
    hours, _, minutes = text.strip().partition(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(text)
    return h * 3600 + m * 60


def schedule(
    depot: Point,
    stops: Sequence[Point],
    dist: Sequence[Sequence[int]],
    dur: Sequence[Sequence[int]],
    *,
    start_time: int,
    end_time: int,
    lunch: tuple[int, int] | None = None,
    end: Point | None = None,
) -> Route:
    """Earliest times for visiting ``stops`` in the given order.

    ``dist``/``dur`` are indexed like ``[depot, *stops]``, plus ``end`` last when the route
    ends somewhere else. Lunch is the fixed interval
    ``[from, from + duration)``: driving pauses during it and no visit overlaps it.
    """
    points = [depot, *stops] + ([end] if end is not None else [])
    return _route(
        points,
        dist,
        dur,
        list(range(1, len(stops) + 1)),
        len(stops) + 1 if end is not None else 0,
        start_time=start_time,
        end_time=end_time,
        lunch=lunch,
    )


@dataclass
class _Timeline:
    arrivals: list[int]  # one per visited node, in order
    legs_d: list[int]
    legs_t: list[int]
    return_at: int
    lunch_at: int | None
    late: list[int]  # nodes whose window (or, for the last node, the day's end) is missed


def _timeline(
    points: Sequence[Point],
    dist: Sequence[Sequence[int]],
    dur: Sequence[Sequence[int]],
    nodes: Sequence[int],
    last: int,
    *,
    start_time: int,
    end_time: int,
    lunch: tuple[int, int] | None,
) -> _Timeline:
    """Walk from node 0 through ``nodes`` to ``last`` (indices into ``points`` and the
    matrices), each visit as early as its opening hours and lunch allow."""
    lunch_from, lunch_len = lunch if lunch else (0, 0)
    lunch_open = lunch is not None and lunch_len > 0 and start_time <= lunch_from
    t = start_time
    here = 0
    arrivals: list[int] = []
    legs_d: list[int] = []
    legs_t: list[int] = []
    late: list[int] = []
    lunch_at = None

    def drive(t: int, seconds: int) -> int:
        nonlocal lunch_open, lunch_at
        if lunch_open and t + seconds > lunch_from:
            lunch_open, lunch_at = False, lunch_from
            return max(t, lunch_from) + lunch_len + max(0, seconds - max(0, lunch_from - t))
        return t + seconds

    for k in nodes:
        stop = points[k]
        legs_d.append(dist[here][k])
        legs_t.append(dur[here][k])
        t = drive(t, dur[here][k])
        begin = max(t, stop.opens or 0)
        if lunch_open and begin >= lunch_from + lunch_len:
            lunch_open, lunch_at = False, lunch_from  # eaten while waiting for the door to open
        elif lunch_open and begin + stop.service_s > lunch_from:
            lunch_open, lunch_at = False, lunch_from
            begin = lunch_from + lunch_len
        arrivals.append(begin)
        if stop.closes is not None and begin + stop.service_s > stop.closes:
            late.append(k)
        t = begin + stop.service_s
        here = k
    legs_d.append(dist[here][last])
    legs_t.append(dur[here][last])
    t = drive(t, dur[here][last])
    if t > end_time:
        late.append(last)
    return _Timeline(arrivals, legs_d, legs_t, t, lunch_at, late)


def _route(
    points: Sequence[Point],
    dist: Sequence[Sequence[int]],
    dur: Sequence[Sequence[int]],
    nodes: Sequence[int],
    last: int,
    *,
    start_time: int,
    end_time: int,
    lunch: tuple[int, int] | None,
) -> Route:
    line = _timeline(
        points, dist, dur, nodes, last, start_time=start_time, end_time=end_time, lunch=lunch
    )
    return Route(
        order=[points[k].id for k in nodes],
        arrivals={points[k].id: at for k, at in zip(nodes, line.arrivals, strict=True)},
        leg_distance_m=line.legs_d,
        leg_duration_s=line.legs_t,
        distance_m=sum(line.legs_d),
        duration_s=sum(line.legs_t),
        start_at=start_time,
        return_at=line.return_at,
        lunch_at=line.lunch_at,
        late=[points[k].id for k in line.late],
    )


def cheapest_insertion(
    points: Sequence[Point],
    dist: Sequence[Sequence[int]],
    dur: Sequence[Sequence[int]],
    *,
    last: int = 0,
    start_time: int,
    end_time: int,
    lunch: tuple[int, int] | None,
    by_deadline: bool = False,
) -> list[int]:
    """A feasible route built without a solver: repeatedly insert the stop whose cheapest
    feasible insertion adds the least distance, until no further stop fits. ``by_deadline``
    takes the stops one at a time instead, the earliest closing first, each at its cheapest
    feasible place (better when opening hours, not distance, decide what fits).

    ``points`` is ``[depot, *stops]`` (plus the end point when ``last`` names it); returns the
    stop nodes in visiting order. Every route it builds keeps every window and the day's end.
    """

    def fits(order: list[int]) -> bool:
        line = _timeline(
            points, dist, dur, order, last, start_time=start_time, end_time=end_time, lunch=lunch
        )
        return not line.late

    todo = [k for k in range(1, len(points)) if k != last and fits([k])]
    if by_deadline:
        todo.sort(key=lambda k: (_or(points[k].closes, DAY), _or(points[k].opens, 0), k))
    route: list[int] = []
    # An insertion between a and b that breaks the schedule stays broken once more stops
    # are added elsewhere (they only delay the visits), so it is never tried again.
    broken: set[tuple[int, int, int]] = set()
    while todo:
        path = [0, *route, last]
        candidates = sorted(
            (dist[a][k] + dist[k][b] - dist[a][b], k, pos)
            for k in (todo[:1] if by_deadline else todo)
            for pos, (a, b) in enumerate(itertools.pairwise(path))
            if (k, a, b) not in broken
        )
        for _cost, k, pos in candidates:
            trial = [*route[:pos], k, *route[pos:]]
            if not fits(trial):
                broken.add((k, path[pos], path[pos + 1]))
                continue
            route = trial
            todo.remove(k)
            break
        else:
            if not by_deadline:
                break
            todo.pop(0)  # this one fits nowhere; the next may
    return route


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def auto_time_limit(n: int) -> float:
    """Guided local search runs until its time limit: small instances need little."""
    if n <= 10:
        return 0.05
    if n <= 12:
        return 0.1
    return min(1.0, 0.04 * n)


def solve(
    depot: Point,
    stops: Sequence[Point],
    *,
    start_time: int = 9 * 3600,
    end_time: int = 18 * 3600,
    lunch: tuple[int, int] | None = (12 * 3600, 3600),
    time_limit_s: float | None = None,
    provider: DistanceProvider | None = None,
    matrices: tuple[Sequence[Sequence[int]], Sequence[Sequence[int]]] | None = None,
    end: Point | None = None,
) -> Route:
    """The shortest route from ``depot`` through as many ``stops`` as fit, and back (or on to
    ``end``).

    ``lunch`` is ``(from, seconds)`` or None. ``matrices`` (distance, duration) indexed like
    ``[depot, *stops]`` (and ``end`` last, if given) override the provider.
    """
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    stops = list(stops)
    ids = [s.id for s in stops]
    if len(set(ids)) != len(ids) or depot.id in ids or (end is not None and end.id in ids):
        raise ValueError("point ids must be unique")
    points = [depot, *stops] + ([end] if end is not None else [])
    dist: Sequence[Sequence[int]]
    dur: Sequence[Sequence[int]]
    if matrices is None:
        dist, dur = (provider or GreatCircleProvider()).matrix(points)
    else:
        dist, dur = matrices
    if not stops:
        return schedule(
            depot, [], dist, dur, start_time=start_time, end_time=end_time, lunch=lunch, end=end
        )

    n = len(points)
    end_node = n - 1 if end is not None else 0
    service = [0] + [s.service_s for s in stops] + ([0] if end is not None else [])
    # A stop that cannot be served inside its own window is dropped before the model sees it.
    impossible = {
        k
        for k, s in enumerate(stops, start=1)
        if s.closes is not None and (s.opens or 0) + s.service_s > s.closes
    }
    has_lunch = lunch is not None and lunch[1] > 0 and start_time <= lunch[0]
    limit = time_limit_s if time_limit_s is not None else auto_time_limit(len(stops))
    windowed = has_lunch or any(s.opens is not None or s.closes is not None for s in stops)
    day = {"start_time": start_time, "end_time": end_time}

    def run(exact_lunch: bool, initial: list[int], seconds: float) -> list[int] | None:
        manager = pywrapcp.RoutingIndexManager(n, 1, [0], [end_node])
        model = pywrapcp.RoutingModel(manager)

        def distance_cb(a: int, b: int) -> int:
            return dist[manager.IndexToNode(a)][manager.IndexToNode(b)]

        def time_cb(a: int, b: int) -> int:
            i, j = manager.IndexToNode(a), manager.IndexToNode(b)
            return service[i] + dur[i][j]

        model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitCallback(distance_cb))
        model.AddDimension(model.RegisterTransitCallback(time_cb), DAY, DAY, False, "Time")
        time_dim = model.GetDimensionOrDie("Time")
        time_dim.CumulVar(model.Start(0)).SetRange(start_time, start_time)
        time_dim.CumulVar(model.End(0)).SetRange(start_time, max(start_time, end_time))

        # Dropping a stop costs more than any route, so the solver serves as many as fit.
        penalty = 10 * (sum(max(row) for row in dist) + 1)
        for k, stop in enumerate(stops, start=1):
            index = manager.NodeToIndex(k)
            low = max(start_time, stop.opens or 0)
            high = min(end_time, stop.closes if stop.closes is not None else DAY) - stop.service_s
            if k in impossible or high < low:
                model.solver().Add(model.ActiveVar(index) == 0)
            else:
                time_dim.CumulVar(index).SetRange(low, high)
                if has_lunch and not exact_lunch:
                    # no visit overlaps lunch: it ends by lunch or starts after it
                    lo, hi = lunch[0] - stop.service_s + 1, lunch[0] + lunch[1] - 1  # type: ignore[index]
                    if max(lo, low) <= min(hi, high):
                        time_dim.CumulVar(index).RemoveInterval(max(lo, low), min(hi, high))
            model.AddDisjunction([index], penalty)

        if has_lunch and exact_lunch:
            solver = model.solver()
            brk = solver.FixedDurationIntervalVar(lunch[0], lunch[0], lunch[1], False, "lunch")  # type: ignore[index]
            node_visit = [service[manager.IndexToNode(i)] for i in range(model.Size())]
            time_dim.SetBreakIntervalsOfVehicle([brk], 0, node_visit)

        params = pywrapcp.DefaultRoutingSearchParameters()
        # Cheapest arc starts a plain tour best; with opening hours or lunch, parallel cheapest
        # insertion gives guided local search a start it improves to the long-run result
        # within the time limit (docs/benchmarks.md, "Routes"). Both only matter when the
        # constructive route cannot be read in as the start.
        strategy = routing_enums_pb2.FirstSolutionStrategy
        params.first_solution_strategy = (
            strategy.PARALLEL_CHEAPEST_INSERTION if windowed else strategy.PATH_CHEAPEST_ARC
        )
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
        model.CloseModelWithParameters(params)
        start = None
        if initial:
            start = model.ReadAssignmentFromRoutes(
                [[manager.NodeToIndex(k) for k in initial]], True
            )
        solution = model.SolveFromAssignmentWithParameters(start, params)
        if solution is None:
            return None
        order: list[int] = []
        index = solution.Value(model.NextVar(model.Start(0)))
        while not model.IsEnd(index):
            order.append(manager.IndexToNode(index))
            index = solution.Value(model.NextVar(index))
        return order

    def rank(order: list[int]) -> tuple[bool, int, int]:
        line = _timeline(points, dist, dur, order, end_node, **day, lunch=lunch)
        return (not line.late, len(order), -sum(line.legs_d))

    # The first route is built here, not left to the solver: on a busy machine the solver may
    # find no first solution inside its time limit, and a rep must never get fewer stops for
    # lack of time. The solver then improves it for whatever time remains.
    started = time.monotonic()
    first = max(
        (
            cheapest_insertion(
                points, dist, dur, last=end_node, by_deadline=by_deadline, **day, lunch=lunch
            )
            for by_deadline in (False, True)
        ),
        key=rank,
    )
    found: list[list[int]] = []
    if limit > 0:
        # Lunch first as "no visit overlaps it", which the solver searches fast; that ignores
        # driving paused for lunch, so if the exact schedule then misses a window or the end of
        # the day, solve again with lunch as a break interval of the time dimension (exact,
        # slower).
        order = run(False, first, limit - (time.monotonic() - started))
        if order is not None:
            found.append(order)
        if has_lunch and (order is None or not rank(order)[0]):
            order = run(True, first, limit)
            if order is not None:
                found.insert(0, order)
    # A solver route wins ties: it is at least as short as the route it started from.
    best = max([*found, first], key=rank)
    route = _route(points, dist, dur, best, end_node, **day, lunch=lunch)
    visited = set(best)
    route.dropped = [s.id for k, s in enumerate(stops, start=1) if k not in visited]
    return route


def held_karp(dist: Sequence[Sequence[int]]) -> tuple[int, list[int]]:
    """The exact shortest closed tour from node 0 through every node (n ≤ 13 nodes).

    Returns (length, order of nodes 1..n-1). O(2^n · n²): for tests and the benchmark.
    """
    n = len(dist)
    if n <= 1:
        return 0, []
    if n > 13:
        raise ValueError("held_karp is for at most 12 stops")
    m = n - 1
    full = (1 << m) - 1
    inf = float("inf")
    # best[mask][j]: shortest path from 0 visiting exactly mask (over nodes 1..m), ending at j.
    best = [[inf] * m for _ in range(1 << m)]
    parent = [[-1] * m for _ in range(1 << m)]
    for j in range(m):
        best[1 << j][j] = dist[0][j + 1]
    for mask in range(1, 1 << m):
        row = best[mask]
        for j in range(m):
            cost = row[j]
            if cost == inf or not (mask >> j) & 1:
                continue
            dj = dist[j + 1]
            for k in range(m):
                if (mask >> k) & 1:
                    continue
                nxt = mask | (1 << k)
                c = cost + dj[k + 1]
                if c < best[nxt][k]:
                    best[nxt][k] = c
                    parent[nxt][k] = j
    length, last = min((best[full][j] + dist[j + 1][0], j) for j in range(m))
    order = []
    mask = full
    while last != -1:
        order.append(last + 1)
        mask, last = mask ^ (1 << last), parent[mask][last]
    return int(length), order[::-1]
