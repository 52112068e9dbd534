"""The route optimiser (pure core) and ``tiejun route --points``."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tiejun import routing
from tiejun.bench import tsplib
from tiejun.bench.route import bench_tsplib
from tiejun.routing import GreatCircleProvider, Point, held_karp, solve

H = 3600


def instance(seed: int, n: int, *, windows: bool = False, service_min: int = 20) -> list[Point]:
    rng = random.Random(seed)
    points = [Point("D", 30.25, 120.16, service_s=0)]
    for i in range(n):
        opens = closes = None
        if windows and rng.random() < 0.5:
            opens = rng.choice([9, 10, 13, 14]) * H
            closes = opens + 3 * H
        points.append(
            Point(
                f"S{i}",
                30.25 + rng.uniform(-0.08, 0.08),
                120.16 + rng.uniform(-0.08, 0.08),
                opens,
                closes,
                service_min * 60,
            )
        )
    return points


def exhaustive(dist: list[list[int]]) -> int:
    n = len(dist)
    return min(
        sum(dist[a][b] for a, b in itertools.pairwise((0, *perm, 0)))
        for perm in itertools.permutations(range(1, n))
    )


def test_haversine_known_distance():
    # Hangzhou West Lake to Ningbo Tianyi Square: about 145 km as the crow flies
    d = routing.haversine_m(30.2431, 120.1502, 29.8694, 121.5497)
    assert 140_000 < d < 150_000
    dist, dur = GreatCircleProvider(road_factor=1.3, speed_kmh=30).matrix(
        [Point("a", 30.0, 120.0), Point("b", 30.0, 120.01)]
    )
    assert dist[0][1] == dist[1][0] == round(routing.haversine_m(30, 120, 30, 120.01) * 1.3)
    assert dur[0][1] == round(dist[0][1] / (30 / 3.6))


@pytest.mark.parametrize("seed", range(4))
def test_held_karp_equals_exhaustive(seed):
    points = instance(seed, 7)
    dist, _dur = GreatCircleProvider().matrix(points)
    length, order = held_karp(dist)
    assert length == exhaustive(dist)
    assert sorted(order) == list(range(1, 8))
    assert length == sum(dist[a][b] for a, b in itertools.pairwise((0, *order, 0)))


@pytest.mark.parametrize("seed", range(6))
def test_solver_finds_the_optimum_on_small_instances(seed):
    # given: no time windows, a day long enough for every stop
    points = instance(seed, 8)
    dist, _dur = GreatCircleProvider().matrix(points)
    # when
    route = solve(points[0], points[1:], lunch=None, end_time=23 * H)
    # then
    assert route.dropped == []
    assert route.distance_m == exhaustive(dist) == held_karp(dist)[0]
    assert sorted(route.order) == sorted(p.id for p in points[1:])
    assert route.distance_m == sum(route.leg_distance_m)
    assert len(route.leg_distance_m) == len(points)


@pytest.mark.parametrize("seed", range(3))
def test_solver_matches_dp_at_ten_stops(seed):
    points = instance(100 + seed, 10)
    dist, _dur = GreatCircleProvider().matrix(points)
    route = solve(points[0], points[1:], lunch=None, end_time=23 * H)
    assert route.distance_m == held_karp(dist)[0]


def _check_windows(route: routing.Route, points: list[Point]) -> None:
    by_id = {p.id: p for p in points}
    previous_end = route.start_at
    for pid in route.order:
        p, begin = by_id[pid], route.arrivals[pid]
        if p.opens is not None:
            assert begin >= p.opens, pid
        if p.closes is not None:
            assert begin + p.service_s <= p.closes, pid
        assert begin >= previous_end  # visits never overlap: each starts after the last ends
        previous_end = begin + p.service_s


@pytest.mark.parametrize("seed", range(4))
def test_time_windows_and_service_time_are_respected(seed):
    points = instance(seed, 12, windows=True, service_min=30)
    route = solve(points[0], points[1:], lunch=None, end_time=20 * H)
    assert route.order  # something fits
    _check_windows(route, points)
    assert route.late == []
    assert route.return_at <= 20 * H
    assert set(route.order) | set(route.dropped) == {p.id for p in points[1:]}


def test_a_stop_that_opens_late_is_visited_when_it_opens():
    depot = Point("D", 30.25, 120.16, service_s=0)
    late = Point("L", 30.251, 120.161, opens=15 * H, closes=17 * H, service_s=1800)
    early = Point("E", 30.26, 120.17, service_s=1800)
    route = solve(depot, [late, early], lunch=None)
    assert sorted(route.order) == ["E", "L"]
    assert route.arrivals["L"] == 15 * H  # the rep waits for the door to open


def test_lunch_break_is_respected():
    # given: six stops of an hour each from 09:00, lunch 12:00–13:00
    points = instance(7, 6, service_min=60)
    lunch = (12 * H, H)
    # when
    route = solve(points[0], points[1:], lunch=lunch, end_time=19 * H)
    # then: no visit overlaps lunch, and the day ends an hour later than without it
    assert route.dropped == []
    assert route.lunch_at == 12 * H
    for pid in route.order:
        begin, end = route.arrivals[pid], route.arrivals[pid] + H
        assert end <= 12 * H or begin >= 13 * H, (pid, routing.hhmm(begin))
    without = solve(points[0], points[1:], lunch=None, end_time=19 * H)
    assert route.return_at >= without.return_at + H - 15 * 60


def test_schedule_pauses_driving_for_lunch():
    depot = Point("D", 0, 0, service_s=0)
    stop = Point("S", 0, 0, service_s=600)
    dist = [[0, 1000], [1000, 0]]
    dur = [[0, 2 * H], [2 * H, 0]]
    route = routing.schedule(
        depot, [stop], dist, dur, start_time=11 * H, end_time=18 * H, lunch=(12 * H, H)
    )
    assert route.arrivals["S"] == 14 * H  # 1 h driving, lunch, 1 h driving
    assert route.lunch_at == 12 * H


def test_stops_that_cannot_fit_are_dropped_not_crashed():
    depot = Point("D", 30.25, 120.16, service_s=0)
    closed = Point("X", 30.26, 120.17, opens=7 * H, closes=8 * H)  # before the day starts
    too_short = Point("Y", 30.26, 120.18, opens=10 * H, closes=10 * H + 600)  # window < service
    far = Point("Z", 39.9, 116.4)  # Beijing: no way back by 18:00
    fine = Point("OK", 30.27, 120.17)
    route = solve(depot, [closed, too_short, far, fine])
    assert route.order == ["OK"]
    assert sorted(route.dropped) == ["X", "Y", "Z"]
    # a day with only impossible stops is an empty route, not an error
    empty = solve(depot, [closed])
    assert empty.order == [] and empty.dropped == ["X"] and empty.distance_m == 0


def test_many_stops_in_a_short_day_drop_some():
    points = instance(3, 20, service_min=60)
    route = solve(points[0], points[1:], time_limit_s=0.3)
    assert 0 < len(route.order) < 20
    assert len(route.order) + len(route.dropped) == 20
    assert route.return_at <= 18 * H
    _check_windows(route, points)


def test_separate_end_point():
    depot = Point("home", 30.20, 120.10, service_s=0)
    end = Point("office", 30.30, 120.20, service_s=0)
    stops = [Point("A", 30.29, 120.19), Point("B", 30.21, 120.11)]
    route = solve(depot, stops, end=end, lunch=None)
    assert route.order == ["B", "A"]


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        solve(Point("D", 0, 0), [Point("A", 0, 0.01), Point("A", 0, 0.02)])


# --- tiejun route --points -------------------------------------------------------------------


def _write(tmp_path, text: str):
    path = tmp_path / "points.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_route_points_json_contract(tmp_path, capsys):
    path = _write(
        tmp_path,
        "id,lat,lon,open,close,service_min\n"
        "HQ,30.25,120.16\n"
        "A,30.26,120.17,10:00,12:00,20\n"
        "B,30.24,120.18\n"
        "C,30.27,120.12,,,45\n",
    )
    call_command("route", points=path, json=True)
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"order", "distance_m", "duration_s", "arrivals"}
    assert out["order"][0] == out["order"][-1] == "HQ"
    assert sorted(out["order"][1:-1]) == ["A", "B", "C"]
    assert isinstance(out["distance_m"], int) and out["distance_m"] > 0
    assert isinstance(out["duration_s"], int) and out["duration_s"] > 0
    assert set(out["arrivals"]) == {"A", "B", "C"}
    assert "10:00" <= out["arrivals"]["A"] <= "11:40"
    for value in out["arrivals"].values():
        assert len(value) == 5 and value[2] == ":"


def test_route_points_road_factor_scales_distance(tmp_path, capsys):
    path = _write(tmp_path, "HQ,30.25,120.16\nA,30.26,120.17\nB,30.24,120.18\n")
    call_command("route", points=path, json=True, road_factor=1.0)
    straight = json.loads(capsys.readouterr().out)["distance_m"]
    call_command("route", points=path, json=True, road_factor=2.0)
    doubled = json.loads(capsys.readouterr().out)["distance_m"]
    assert abs(doubled - 2 * straight) <= 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("HQ,30.25,120.16\n", "depot and at least one stop"),
        ("HQ,30.25,120.16\nA,95,120\n", "out of range"),
        ("HQ,30.25,120.16\nA,north,120\n", "must be numbers"),
        ("HQ,30.25,120.16\nA,30.2,120.1,9am,18:00\n", "HH:MM"),
        ("HQ,30.25,120.16\nA,30.2,120.1,18:00,09:00\n", "closes before it opens"),
        ("HQ,30.25,120.16\nHQ,30.2,120.1\n", "repeated id"),
        ("HQ,30.25\n", "expected id,lat,lon"),
    ],
)
def test_route_points_bad_file_exits_2(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(CommandError) as caught:
        call_command("route", points=path, json=True)
    assert caught.value.returncode == 2
    assert message in str(caught.value)


def test_route_points_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("route", points=str(tmp_path / "nope.csv"), json=True)
    assert caught.value.returncode == 2
    assert "Cannot read" in str(caught.value)


def test_lunch_is_eaten_while_waiting_for_a_customer_to_open():
    depot = Point("D", 0, 0, service_s=0)
    opens_late = Point("S", 0, 0, opens=13 * H + 1800, service_s=600)
    after = Point("T", 0, 0, service_s=600)
    dist = [[0, 1, 1], [1, 0, 1], [1, 1, 0]]
    dur = [[0, 600, 600], [600, 0, 600], [600, 600, 0]]
    route = routing.schedule(
        depot, [opens_late, after], dist, dur, start_time=11 * H, end_time=18 * H, lunch=(12 * H, H)
    )
    assert route.lunch_at == 12 * H
    assert route.arrivals["S"] == 13 * H + 1800
    assert route.arrivals["T"] == 13 * H + 1800 + 600 + 600  # no second lunch on the way


# --- no time to think: the constructive route ---------------------------------------------


@pytest.mark.parametrize("limit", [0, 0.001])
@pytest.mark.parametrize("seed", [201, 204, 207, 210])
def test_no_time_to_solve_still_returns_every_stop_that_fits(seed, limit):
    # given: fifteen stops, about half with opening hours, lunch 12:00–13:00, a 08:00–20:00 day
    points = instance(seed, 15, windows=True, service_min=20)
    # when: the solver gets no time (or a millisecond) to find a first solution
    route = solve(points[0], points[1:], start_time=8 * H, end_time=20 * H, time_limit_s=limit)
    # then: every stop is still visited, inside its window, around lunch, back by 20:00
    assert route.dropped == []
    assert sorted(route.order) == sorted(p.id for p in points[1:])
    assert route.late == []
    _check_windows(route, points)
    assert route.return_at <= 20 * H
    for pid in route.order:
        begin = route.arrivals[pid]
        assert begin + 20 * 60 <= 12 * H or begin >= 13 * H, pid
    assert route.distance_m == sum(route.leg_distance_m)


def test_no_time_in_a_short_day_keeps_a_feasible_subset():
    # given: more one-hour visits than the day holds
    points = instance(3, 20, service_min=60)
    # when
    route = solve(points[0], points[1:], time_limit_s=0)
    # then: as many as the constructive route fits, none late, the rest listed as dropped
    assert 0 < len(route.order) < 20
    assert sorted(route.order + route.dropped) == sorted(p.id for p in points[1:])
    assert route.late == []
    assert route.return_at <= 18 * H
    _check_windows(route, points)


def test_cheapest_insertion_orders_stops_by_their_windows():
    # given: a stop that only opens late and one that closes early, next to each other
    depot = Point("D", 30.25, 120.16, service_s=0)
    evening = Point("PM", 30.26, 120.17, opens=16 * H, closes=17 * H, service_s=1800)
    morning = Point("AM", 30.261, 120.171, opens=9 * H, closes=10 * H, service_s=1800)
    anytime = Point("ANY", 30.24, 120.15, service_s=1800)
    points = [depot, evening, morning, anytime]
    dist, dur = GreatCircleProvider().matrix(points)
    # when
    order = routing.cheapest_insertion(
        points, dist, dur, start_time=9 * H, end_time=18 * H, lunch=(12 * H, H)
    )
    # then: all three fit, the morning stop first...
    assert sorted(order) == [1, 2, 3]
    assert points[order[0]].id == "AM"
    # ...and the solver with no time returns a route as good, on time
    route = solve(depot, points[1:], time_limit_s=0)
    assert sorted(route.order) == ["AM", "ANY", "PM"] and route.order[0] == "AM"
    assert route.arrivals["AM"] == 9 * H + dur[0][2]
    assert route.arrivals["PM"] == 16 * H and route.late == []


def test_no_time_with_a_separate_end_point():
    depot = Point("home", 30.20, 120.10, service_s=0)
    end = Point("office", 30.30, 120.20, service_s=0)
    stops = [Point("A", 30.29, 120.19), Point("B", 30.21, 120.11)]
    route = solve(depot, stops, end=end, lunch=None, time_limit_s=0)
    assert route.order == ["B", "A"]
    assert len(route.leg_distance_m) == 3


def test_route_points_with_a_tiny_time_limit_keeps_every_stop(tmp_path, capsys):
    # given: twelve stops, some with opening hours, that all fit 09:00–18:00
    rows = ["id,lat,lon,open,close,service_min", "HQ,30.25,120.16"]
    for k, (opens, closes) in enumerate(
        [("", ""), ("10:00", "12:00"), ("", ""), ("14:00", "17:00")] * 3
    ):
        rows.append(f"S{k},{30.23 + 0.004 * k:.3f},{120.14 + 0.003 * k:.3f},{opens},{closes},15")
    path = _write(tmp_path, "\n".join(rows) + "\n")
    for limit in (0.001, 0):
        # when
        call_command("route", points=path, json=True, time_limit=limit)
        captured = capsys.readouterr()
        out = json.loads(captured.out)
        # then: every stop, the JSON contract unchanged, windows kept, nothing left out
        assert set(out) == {"order", "distance_m", "duration_s", "arrivals"}
        assert sorted(out["order"][1:-1]) == sorted(f"S{k}" for k in range(12))
        assert "Left out" not in captured.err
        for k in (1, 5, 9):
            assert "10:00" <= out["arrivals"][f"S{k}"] <= "11:45"
        for k in (3, 7, 11):
            assert "14:00" <= out["arrivals"][f"S{k}"] <= "16:45"


@pytest.mark.parametrize("limit", [-1, 601, float("nan")])
def test_route_points_time_limit_out_of_range_exits_2(tmp_path, limit):
    path = _write(tmp_path, "HQ,30.25,120.16\nA,30.26,120.17\n")
    with pytest.raises(CommandError) as caught:
        call_command("route", points=path, json=True, time_limit=limit)
    assert caught.value.returncode == 2
    assert "--time-limit" in str(caught.value)


# --- the plain tour: TSPLIB instances and the iterated local search -----------------------


def test_tsplib_distances_give_the_published_optimal_tours():
    # given: TSPLIB's optimal tours of one instance of each distance function
    berlin52 = (
        "1 49 32 45 19 41 8 9 10 43 33 51 11 52 14 13 47 26 27 28 12 25 4 6 15 5 24 48 38 37 40 "
        "39 36 35 34 44 46 16 29 50 20 23 30 2 7 42 21 17 3 18 31 22"
    )
    att48 = (
        "1 8 38 31 44 18 7 28 6 37 19 27 17 43 30 36 46 33 20 47 21 32 39 48 5 42 24 10 45 35 4 "
        "26 2 29 34 41 16 22 3 23 14 25 13 11 12 15 40 9"
    )
    ulysses16 = "1 14 13 12 7 6 15 5 11 9 10 16 3 2 4 8"
    # then: EUC_2D, ATT and GEO measure them at exactly the published optimum
    assert tsplib.BERLIN52.tour_length(berlin52.split()) == 7542 == tsplib.BERLIN52.optimum
    assert tsplib.ATT48.tour_length(att48.split()) == 10628 == tsplib.ATT48.optimum
    assert tsplib.ULYSSES16.tour_length(ulysses16.split()) == 6859 == tsplib.ULYSSES16.optimum
    bays29 = tsplib.BAYS29.matrix()
    assert len(bays29) == 29 and all(
        bays29[i][j] == bays29[j][i] for i in range(29) for j in range(i)
    )


@pytest.mark.parametrize(
    "instance", [i for i in tsplib.INSTANCES if i.stops <= 21], ids=lambda i: i.name
)
def test_automatic_time_limit_is_within_one_percent_on_tsplib(instance):
    # given: a TSPLIB instance (13 to 21 stops) through the distance-provider interface
    points = instance.points()
    # when: solved as a plain tour with the automatic time limit
    route = solve(
        points[0],
        points[1:],
        start_time=0,
        end_time=routing.DAY - 1,
        lunch=None,
        provider=tsplib.TsplibProvider(instance),
    )
    # then: every stop, within 1 % of the published optimum (in fact at it)
    assert route.dropped == []
    assert route.distance_m == instance.tour_length([points[0].id, *route.order])
    assert route.distance_m <= instance.optimum * 1.01


def _length(dist, path):
    return sum(dist[a][b] for a, b in itertools.pairwise(path))


@pytest.mark.parametrize("seed", range(3))
def test_improve_tour_keeps_its_ends_and_never_lengthens(seed):
    # given: a random path from node 0 to node 29 through 28 others
    points = instance(300 + seed, 29)
    dist, _dur = GreatCircleProvider().matrix(points)
    rng = random.Random(seed)
    middle = list(range(1, 29))
    rng.shuffle(middle)
    path = [0, *middle, 29]
    # when
    better = routing.improve_tour(path, dist, kicks=100)
    # then: the same nodes between the same ends, shorter, and the same again for the same seed
    assert better[0] == 0 and better[-1] == 29
    assert sorted(better) == list(range(30))
    assert _length(dist, better) < _length(dist, path)
    assert routing.improve_tour(path, dist, kicks=100) == better
    # and a closed tour stays closed
    tour = routing.improve_tour([0, *middle, 0], dist, kicks=100)
    assert tour[0] == tour[-1] == 0 and sorted(tour[1:]) == list(range(29))
    assert _length(dist, tour) < _length(dist, [0, *middle, 0])


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_improve_tour_on_tiny_paths(n):
    dist = [[abs(a - b) for b in range(n + 1)] for a in range(n + 1)]
    assert routing.improve_tour([0, *range(n, 0, -1), 0], dist, kicks=10) in (
        [0, *range(1, n + 1), 0],
        [0, *range(n, 0, -1), 0],
    )


def test_asymmetric_distances_go_to_the_solver():
    # given: one-way streets: going round one way is far shorter than the other
    depot = Point("D", 0, 0, service_s=0)
    stops = [Point(f"S{k}", 0, 0, service_s=0) for k in range(1, 5)]
    n = 5
    dist = [[0 if a == b else (1 if b == (a + 1) % n else 100) for b in range(n)] for a in range(n)]
    dur = [[0] * n for _ in range(n)]
    # when
    route = solve(depot, stops, lunch=None, matrices=(dist, dur), time_limit_s=0.2)
    # then
    assert route.order == ["S1", "S2", "S3", "S4"] and route.distance_m == 5


def test_bench_tsplib_reports_the_gap_to_the_optimum():
    messages: list[str] = []
    result = bench_tsplib(runs=1, names=["burma14"], progress=messages.append)
    (row,) = result["instances"]
    assert row["name"] == "burma14" and row["stops"] == 13 and row["optimum"] == 3323
    assert row["found"] >= 3323 and row["gap_pct"] <= 1
    assert result["max_gap_pct"] == row["gap_pct"]
    assert messages and "burma14" in messages[0]
