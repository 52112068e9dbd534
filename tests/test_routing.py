"""The route optimiser (pure core) and ``tiejun route --points``."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tiejun import routing
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
