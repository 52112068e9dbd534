"""The pure maths of the flags, tested on plain data (no database)."""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tiejun.discipline.patterns import (
    EARTH_RADIUS_M,
    Fix,
    closed_month_reversal,
    haversine_m,
    impossible_legs,
    legs,
    position_clusters,
)

lats = st.floats(min_value=-89.0, max_value=89.0, allow_nan=False)
lons = st.floats(min_value=-179.0, max_value=179.0, allow_nan=False)
T0 = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)


@st.composite
def fixes(draw, n_min=0, n_max=12, spread=0.02):
    """Check-ins around Hangzhou within about ``spread`` degrees, at distinct keys."""
    n = draw(st.integers(n_min, n_max))
    out = []
    for i in range(n):
        out.append(
            Fix(
                key=f"v{i:02d}",
                at=T0 + dt.timedelta(minutes=draw(st.integers(0, 600))),
                lat=30.25 + draw(st.floats(-spread, spread)),
                lon=120.15 + draw(st.floats(-spread, spread)),
                customer=f"C{draw(st.integers(0, 6))}",
            )
        )
    return out


def test_haversine_known_distances():
    # one degree of latitude on the mean sphere
    assert math.isclose(haversine_m(0, 0, 1, 0), EARTH_RADIUS_M * math.pi / 180, rel_tol=1e-9)
    # Hangzhou's West Lake to Ningbo: about 141 km
    assert 140_000 < haversine_m(30.25, 120.15, 29.87, 121.54) < 142_500
    assert haversine_m(30.25, 120.15, 30.25, 120.15) == 0


@given(lats, lons, lats, lons)
def test_haversine_is_a_symmetric_bounded_distance(a, b, c, d):
    one, other = haversine_m(a, b, c, d), haversine_m(c, d, a, b)
    assert math.isclose(one, other, rel_tol=1e-9, abs_tol=1e-6)
    assert 0 <= one <= math.pi * EARTH_RADIUS_M + 1e-6


@given(lats, lons, lats, lons, lats, lons)
def test_haversine_triangle_inequality(a, b, c, d, e, f):
    assert haversine_m(a, b, e, f) <= haversine_m(a, b, c, d) + haversine_m(c, d, e, f) + 1e-3


@given(fixes(), st.floats(10, 500), st.floats(0, 5000), st.randoms())
def test_impossible_legs_are_exactly_the_fast_long_legs_whatever_the_input_order(
    points, max_kmh, min_m, rnd
):
    shuffled = list(points)
    rnd.shuffle(shuffled)
    found = impossible_legs(shuffled, max_kmh=max_kmh, min_distance_m=min_m)
    assert found == impossible_legs(points, max_kmh=max_kmh, min_distance_m=min_m)
    every = legs(points)
    assert len(every) == max(len(points) - 1, 0)
    expected = [
        leg
        for leg in every
        if leg.distance_m >= min_m
        and (leg.seconds <= 0 or leg.distance_m / leg.seconds * 3.6 > max_kmh)
    ]
    assert found == expected
    for leg in every:
        assert leg.seconds >= 0  # consecutive in time


def test_a_jump_to_ningbo_in_twenty_minutes_is_impossible_and_a_walk_is_not():
    start = Fix("a", T0, 30.25, 120.15, "C1")
    walk = Fix("b", T0 + dt.timedelta(minutes=30), 30.26, 120.15, "C2")  # 1.1 km
    jump = Fix("c", T0 + dt.timedelta(minutes=50), 29.87, 121.54, "C3")  # ~140 km
    found = impossible_legs([jump, start, walk], max_kmh=120, min_distance_m=2000)
    assert [(leg.start.key, leg.end.key) for leg in found] == [("b", "c")]
    assert 350 < found[0].speed_kmh < 450
    same_moment = Fix("d", T0, 30.40, 120.15, "C4")
    assert math.isinf(
        impossible_legs([start, same_moment], max_kmh=120, min_distance_m=0)[0].speed_kmh
    )


@settings(max_examples=150)
@given(fixes(spread=0.002), st.floats(10, 300), st.integers(1, 5), st.randoms())
def test_clusters_are_disjoint_tight_large_enough_and_maximal(points, radius, least, rnd):
    clusters = position_clusters(points, radius_m=radius, min_customers=least)
    keys = [f.key for c in clusters for f in c.members]
    assert len(keys) == len(set(keys))  # each check-in in one cluster at most
    for c in clusters:
        assert len(c.customers) >= least
        assert c.centre in c.members
        for f in c.members:
            assert haversine_m(c.centre.lat, c.centre.lon, f.lat, f.lon) <= radius
    # nothing left over could still make a cluster
    rest = [f for f in points if f.key not in set(keys)]
    for centre in rest:
        near = {
            f.customer for f in rest if haversine_m(centre.lat, centre.lon, f.lat, f.lon) <= radius
        }
        assert len(near) < least
    # deterministic whatever the order the check-ins come in
    shuffled = list(points)
    rnd.shuffle(shuffled)
    assert position_clusters(shuffled, radius_m=radius, min_customers=least) == clusters


def test_three_customers_from_one_desk_make_a_cluster_and_two_do_not():
    desk = [
        Fix(f"v{i}", T0 + dt.timedelta(minutes=20 * i), 30.25, 120.15 + i * 1e-5, f"C{i}")
        for i in range(3)
    ]
    far = Fix("far", T0, 30.30, 120.15, "C9")
    found = position_clusters([*desk, far], radius_m=50, min_customers=3)
    assert len(found) == 1
    assert found[0].customers == {"C0", "C1", "C2"}
    assert position_clusters(desk[:2], radius_m=50, min_customers=3) == []
    # the same customer three times is one customer
    same = [Fix(f"s{i}", T0, 30.25, 120.15, "C0") for i in range(3)]
    assert position_clusters(same, radius_m=50, min_customers=2) == []


@given(st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)), st.integers(0, 60), st.integers(0, 10))
def test_a_reversal_right_after_the_month_closed(won, later, within):
    changed = won + dt.timedelta(days=later)
    month_end = (won.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    expected = changed > month_end and (changed - month_end).days <= within
    assert closed_month_reversal(won, changed, within_days=within) is expected


def test_reversal_examples():
    assert closed_month_reversal(dt.date(2026, 11, 28), dt.date(2026, 12, 2), within_days=5)
    assert not closed_month_reversal(dt.date(2026, 11, 28), dt.date(2026, 11, 30), within_days=5)
    assert not closed_month_reversal(dt.date(2026, 10, 28), dt.date(2026, 12, 2), within_days=5)
    assert not closed_month_reversal(dt.date(2026, 11, 28), dt.date(2026, 12, 9), within_days=5)
