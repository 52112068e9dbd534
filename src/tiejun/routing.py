"""The route optimiser: a pure core (no Django) around Google OR-Tools' routing solver.

Times are whole seconds since midnight; distances whole metres. A route starts at a depot (the
office or home), visits stops, and comes back. Each stop may have opening hours and a service
time; the day has a start, an end and an optional lunch break during which the rep neither
drives nor visits. Stops that cannot fit are dropped (with a penalty), never a failure.

The solver improves a route; it does not have to find one. ``cheapest_insertion()`` builds a
feasible first route in plain Python before the solver starts, and the solver only replaces it
with something better, so a short time limit (or a busy machine) costs distance, never stops.

A plain tour (no opening hours, no lunch, a day long enough for any order) is a travelling-
salesman problem, which ``improve_tour()`` (iterated 2-opt and Or-opt in plain Python) solves
better and faster than the solver's guided local search; the solver takes everything else.

``schedule()`` recomputes the times of a given order (used after a hand reorder), and
``held_karp()`` is the exact optimum for small instances (tests and the benchmark).
"""

from __future__ import annotations

import itertools
import math
import random
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
    """Guided local search runs until its time limit: small instances need little. A plain
    tour (see ``solve``) stops earlier, after its kicks."""
    if n <= 10:
        return 0.05
    if n <= 12:
        return 0.1
    return min(1.0, 0.04 * n)


def tour_kicks(n: int) -> int:
    """How many kicks the iterated local search of a plain tour of ``n`` stops makes (the
    time limit still stops it earlier).

    On TSPLIB's instances of 13 to 51 stops (and random ones of 49), eight seeds each, the
    search was within 1 % of the optimum after at most ~80 kicks and never more than 0.23 %
    above it after 10 a stop — about 0.1–0.4 s at 50 stops on the busy 2-core machine
    (docs/benchmarks.md, "Routes: TSPLIB"). Fewer kicks left 0.2 % more on one instance in
    eight; twice as many took twice the time and bought nothing.
    """
    return 10 * n


@dataclass(frozen=True)
class _Problem:
    """What ``solve`` works on: nodes ``[depot, *stops, end?]``, the route ends at ``last``."""

    points: Sequence[Point]
    dist: Sequence[Sequence[int]]
    dur: Sequence[Sequence[int]]
    last: int
    start_time: int
    end_time: int
    lunch: tuple[int, int] | None

    @property
    def stops(self) -> Sequence[Point]:
        return self.points[1 : self.last or len(self.points)]

    @property
    def day(self) -> dict:
        return {"start_time": self.start_time, "end_time": self.end_time, "lunch": self.lunch}

    @property
    def has_lunch(self) -> bool:
        return self.lunch is not None and self.lunch[1] > 0 and self.start_time <= self.lunch[0]

    @property
    def windowed(self) -> bool:
        return self.has_lunch or any(
            s.opens is not None or s.closes is not None for s in self.stops
        )

    @property
    def service(self) -> list[int]:
        return [0] + [s.service_s for s in self.stops] + ([0] if self.last else [])

    @property
    def open_all_day(self) -> bool:
        return all(s.opens is None and s.closes is None for s in self.stops)

    def rank(self, order: list[int]) -> tuple[bool, int, int]:
        line = _timeline(self.points, self.dist, self.dur, order, self.last, **self.day)
        return (not line.late, len(order), -sum(line.legs_d))


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

    A plain tour — no opening hours, no lunch, a day long enough for any order, symmetric
    distances — is a travelling-salesman problem: :func:`improve_tour` (iterated 2-opt and
    Or-opt) shortens it, reaching TSPLIB's optima in a fraction of the time in which OR-Tools'
    guided local search, on a busy machine, may stay several per cent above them. Everything
    else (opening hours, lunch, a day too short for every stop) goes to OR-Tools.
    """
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
    problem = _Problem(
        points, dist, dur, len(points) - 1 if end is not None else 0, start_time, end_time, lunch
    )
    limit = time_limit_s if time_limit_s is not None else auto_time_limit(len(stops))
    # The first route is built here, not left to the solver: on a busy machine the solver may
    # find no first solution inside its time limit, and a rep must never get fewer stops for
    # lack of time. The solver then improves it for whatever time remains.
    deadline = time.monotonic() + max(0.0, limit)
    first = max(
        (
            cheapest_insertion(points, dist, dur, last=problem.last, by_deadline=by, **problem.day)
            for by in (False, True)
        ),
        key=problem.rank,
    )
    if limit <= 0:
        best = first
    else:
        best = _plain_tour(problem, first, deadline) or _search(problem, first, limit, deadline)
    route = _route(points, dist, dur, best, problem.last, **problem.day)
    visited = set(best)
    route.dropped = [s.id for k, s in enumerate(stops, start=1) if k not in visited]
    return route


def _plain_tour(problem: _Problem, first: list[int], deadline: float) -> list[int] | None:
    """The shortest tour through every stop, if the stops keep no opening hours and it is back
    before the day ends; None otherwise (then the solver decides what fits).

    Without opening hours, the only limit on the order is the day's end (lunch only shifts the
    times), so the shortest tour, if it is on time, is the best route there is.
    """
    if not (
        problem.open_all_day and len(first) == len(problem.stops) and _is_symmetric(problem.dist)
    ):
        return None
    path = improve_tour(
        [0, *first, problem.last], problem.dist, kicks=tour_kicks(len(first)), deadline=deadline
    )
    tour = path[1:-1]
    return tour if problem.rank(tour) >= problem.rank(first) else None


def _search(problem: _Problem, first: list[int], limit: float, deadline: float) -> list[int]:
    """OR-Tools' guided local search from ``first``; the best of what it finds and ``first``."""
    # Lunch first as "no visit overlaps it", which the solver searches fast; that ignores
    # driving paused for lunch, so if the exact schedule then misses a window or the end of
    # the day, solve again with lunch as a break interval of the time dimension (exact,
    # slower).
    found: list[list[int]] = []
    order = _ortools(problem, first, deadline - time.monotonic(), exact_lunch=False)
    if order is not None:
        found.append(order)
    if problem.has_lunch and (order is None or not problem.rank(order)[0]):
        order = _ortools(problem, first, limit, exact_lunch=True)
        if order is not None:
            found.insert(0, order)
    # A solver route wins ties: it is at least as short as the route it started from.
    return max([*found, first], key=problem.rank)


def _ortools(
    problem: _Problem, initial: list[int], seconds: float, *, exact_lunch: bool
) -> list[int] | None:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n, service, dist = len(problem.points), problem.service, problem.dist
    manager = pywrapcp.RoutingIndexManager(n, 1, [0], [problem.last])
    model = pywrapcp.RoutingModel(manager)
    # Matrices, not Python callbacks: the search then never calls back into Python, which
    # makes it several times faster.
    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix([list(r) for r in dist]))
    transit = [[service[i] + problem.dur[i][j] for j in range(n)] for i in range(n)]
    model.AddDimension(model.RegisterTransitMatrix(transit), DAY, DAY, False, "Time")
    time_dim = model.GetDimensionOrDie("Time")
    time_dim.CumulVar(model.Start(0)).SetRange(problem.start_time, problem.start_time)
    time_dim.CumulVar(model.End(0)).SetRange(
        problem.start_time, max(problem.start_time, problem.end_time)
    )
    # Dropping a stop costs more than any route, so the solver serves as many as fit.
    penalty = 10 * (sum(max(row) for row in dist) + 1)
    for k, stop in enumerate(problem.stops, start=1):
        index = manager.NodeToIndex(k)
        window = _window(problem, stop, hole=not exact_lunch)
        if window is None:
            model.solver().Add(model.ActiveVar(index) == 0)
        else:
            time_dim.CumulVar(index).SetRange(*window[:2])
            if window[2] is not None:
                time_dim.CumulVar(index).RemoveInterval(*window[2])
        model.AddDisjunction([index], penalty)
    if problem.has_lunch and exact_lunch:
        lunch_from, lunch_s = problem.lunch  # type: ignore[misc]
        brk = model.solver().FixedDurationIntervalVar(
            lunch_from, lunch_from, lunch_s, False, "lunch"
        )
        node_visit = [service[manager.IndexToNode(i)] for i in range(model.Size())]
        time_dim.SetBreakIntervalsOfVehicle([brk], 0, node_visit)

    params = pywrapcp.DefaultRoutingSearchParameters()
    # Cheapest arc starts a plain tour best; with opening hours or lunch, parallel cheapest
    # insertion gives guided local search a start it improves to the long-run result
    # within the time limit (docs/benchmarks.md, "Routes"). Both only matter when the
    # constructive route cannot be read in as the start.
    strategy = routing_enums_pb2.FirstSolutionStrategy
    params.first_solution_strategy = (
        strategy.PARALLEL_CHEAPEST_INSERTION if problem.windowed else strategy.PATH_CHEAPEST_ARC
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    model.CloseModelWithParameters(params)
    start = None
    if initial:
        start = model.ReadAssignmentFromRoutes([[manager.NodeToIndex(k) for k in initial]], True)
    solution = model.SolveFromAssignmentWithParameters(start, params)
    if solution is None:
        return None
    order: list[int] = []
    index = solution.Value(model.NextVar(model.Start(0)))
    while not model.IsEnd(index):
        order.append(manager.IndexToNode(index))
        index = solution.Value(model.NextVar(index))
    return order


def _window(
    problem: _Problem, stop: Point, *, hole: bool
) -> tuple[int, int, tuple[int, int] | None] | None:
    """When a visit to ``stop`` may start, as (earliest, latest, an interval it may not start
    in, or None), or None if it cannot be served at all. With ``hole``, the interval keeps
    the visit out of lunch: it ends by lunch or starts after it."""
    if stop.closes is not None and (stop.opens or 0) + stop.service_s > stop.closes:
        return None
    low = max(problem.start_time, stop.opens or 0)
    high = min(problem.end_time, _or(stop.closes, DAY)) - stop.service_s
    if high < low:
        return None
    if not (hole and problem.has_lunch):
        return low, high, None
    lunch_from, lunch_s = problem.lunch  # type: ignore[misc]
    lo, hi = max(low, lunch_from - stop.service_s + 1), min(high, lunch_from + lunch_s - 1)
    return low, high, (lo, hi) if lo <= hi else None


# --- the plain tour: iterated local search --------------------------------------------------


def _is_symmetric(m: Sequence[Sequence[int]]) -> bool:
    return all(m[i][j] == m[j][i] for i in range(len(m)) for j in range(i))


def improve_tour(
    path: Sequence[int],
    dist: Sequence[Sequence[int]],
    *,
    kicks: int,
    deadline: float | None = None,
    seed: int = 0,
) -> list[int]:
    """A path no longer than ``path`` through the same nodes, from ``path[0]`` to ``path[-1]``
    (the same node for a closed tour), by iterated local search.

    2-opt and Or-opt moves (a chain of one to three nodes moved elsewhere, either way round),
    each tried towards a node's eight nearest neighbours, until none shortens the path; then
    a random double-bridge kick (the path cut in four, the middle two parts swapped) and local
    search again, kept if no longer — ``kicks`` times, or until ``deadline`` (on the
    ``time.monotonic()`` clock). ``dist`` must be symmetric. The same input and ``seed`` give
    the same path, unless the deadline stops the search.
    """
    closed = len(path) > 1 and path[0] == path[-1]
    nodes = list(path)
    if closed:  # the way back gets a node of its own, a copy of the start: every node unique
        start, back = path[0], len(dist)
        copy = [[*row, row[start]] for row in dist]
        copy.append([*copy[start][:back], 0])
        nodes[-1], dist = back, copy
    search = _LocalSearch(dist, nodes)
    best = current = search.descend(nodes, nodes[1:-1])
    best_cost = current_cost = search.cost(best)
    rng = random.Random(seed)
    for _ in range(kicks if len(nodes) >= 5 else 0):
        if deadline is not None and time.monotonic() >= deadline:
            break
        a, b, c = sorted(rng.sample(range(1, len(nodes) - 1), 3))
        kicked = [*current[:a], *current[b:c], *current[a:b], *current[c:]]
        ends = [current[k] for k in (a - 1, a, b - 1, b, c - 1, c)]
        trial = search.descend(kicked, ends)
        cost = search.cost(trial)
        if cost <= current_cost:
            current, current_cost = trial, cost
            if cost < best_cost:
                best, best_cost = trial, cost
    return [*best[:-1], path[0]] if closed else best


class _LocalSearch:
    """2-opt and Or-opt descent on a path whose two ends stay put (all nodes distinct)."""

    def __init__(self, dist: Sequence[Sequence[int]], nodes: Sequence[int]) -> None:
        self.d = dist
        self.near = {
            a: sorted((b for b in nodes if b != a), key=lambda b: (dist[a][b], b))[:8]
            for a in nodes
        }

    def cost(self, path: Sequence[int]) -> int:
        return sum(self.d[a][b] for a, b in itertools.pairwise(path))

    def descend(self, path: Sequence[int], active: Sequence[int]) -> list[int]:
        """``path`` improved until no move shortens it, starting from the ``active`` nodes
        (the ends of every move made become active again)."""
        t = list(path)
        pos = {v: i for i, v in enumerate(t)}
        queue = list(dict.fromkeys(active))
        queued = set(queue)
        while queue:
            a = queue.pop()
            queued.discard(a)
            moved = self._two_opt(t, pos, a) or self._or_opt(t, pos, a)
            for v in moved:
                if v not in queued:
                    queued.add(v)
                    queue.append(v)
        return t

    def _two_opt(self, t: list[int], pos: dict[int, int], a: int) -> tuple[int, ...]:
        """Reverse t[i+1..j] so that ``a`` gets a near neighbour ``c`` next to it."""
        d, p, last = self.d, pos[a], len(t) - 2
        # only a neighbour nearer than one of a's two current neighbours can shorten the path
        reach = max(d[a][t[p - 1]] if p > 0 else 0, d[a][t[p + 1]] if p <= last else 0)
        for c in self.near[a]:
            if d[a][c] >= reach:
                break
            q = pos[c]
            if q > p + 1:
                moves: tuple[tuple[int, int], ...] = ((p, q), (p - 1, q - 1))
            elif q < p - 1:
                moves = ((q, p), (q - 1, p - 1))
            else:
                continue
            for i, j in moves:
                if i < 0 or j > last:
                    continue
                w, x, y, z = t[i], t[i + 1], t[j], t[j + 1]
                if d[w][y] + d[x][z] < d[w][x] + d[y][z]:
                    t[i + 1 : j + 1] = t[j:i:-1]
                    for k in range(i + 1, j + 1):
                        pos[t[k]] = k
                    return w, x, y, z
        return ()

    def _or_opt(self, t: list[int], pos: dict[int, int], a: int) -> tuple[int, ...]:
        """Move a chain of one to three nodes that starts or ends at ``a`` elsewhere."""
        p = pos[a]
        for length in (1, 2, 3):
            for s in (p,) if length == 1 else (p, p - length + 1):
                e = s + length - 1
                if s >= 1 and e <= len(t) - 2:
                    moved = self._relocate(t, pos, s, e)
                    if moved:
                        return moved
        return ()

    def _closer(self, a: int, than: int) -> list[int]:
        """The near neighbours of ``a`` closer than ``than``."""
        return list(itertools.takewhile(lambda c: self.d[a][c] < than, self.near[a]))

    def _relocate(self, t: list[int], pos: dict[int, int], s: int, e: int) -> tuple[int, ...]:
        d = self.d
        before, first, last, after = t[s - 1], t[s], t[e], t[e + 1]
        gain = d[before][first] + d[last][after] - d[before][after]
        if gain <= 0:
            return ()
        for c in self._closer(first, gain) + self._closer(last, gain):
            q = pos[c]
            for x in (q - 1, q):  # between t[x] and t[x+1], away from the chain
                if not (0 <= x <= len(t) - 2) or s - 2 < x <= e:
                    continue
                u, v = t[x], t[x + 1]
                forward = d[u][first] + d[last][v] - d[u][v]
                backward = d[u][last] + d[first][v] - d[u][v]
                if min(forward, backward) < gain:
                    chain = t[s : e + 1] if forward <= backward else t[e : s - 1 : -1]
                    rest = t[:s] + t[e + 1 :]
                    k = rest.index(u) + 1
                    t[:] = [*rest[:k], *chain, *rest[k:]]
                    pos.update((node, i) for i, node in enumerate(t))
                    return before, after, first, last, u, v
        return ()


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
