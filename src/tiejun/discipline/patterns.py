"""The maths of the suspicious-pattern flags, on plain data (no Django): the distance between two
positions on the earth, the speed between a rep's consecutive check-ins, and clusters of
check-ins made from one spot.

A flag is a reason to look, never a verdict: the functions only say which legs are faster than a
person can travel and which check-ins were made from (nearly) the same position.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two positions given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Fix:
    """One check-in's position: ``key`` identifies the check-in, ``customer`` whom it was for."""

    key: str
    at: dt.datetime
    lat: float
    lon: float
    customer: str


@dataclass(frozen=True)
class Leg:
    """Two consecutive check-ins of one person and the speed between them."""

    start: Fix
    end: Fix
    distance_m: float
    seconds: float

    @property
    def speed_kmh(self) -> float:
        """Kilometres per hour; infinite when two places were checked in at the same moment."""
        if self.seconds <= 0:
            return math.inf
        return self.distance_m / self.seconds * 3.6


def _in_order(fixes: Iterable[Fix]) -> list[Fix]:
    return sorted(fixes, key=lambda f: (f.at, f.key))


def legs(fixes: Iterable[Fix]) -> list[Leg]:
    """Every leg between consecutive check-ins (in time order, ties by key)."""
    ordered = _in_order(fixes)
    return [
        Leg(a, b, haversine_m(a.lat, a.lon, b.lat, b.lon), (b.at - a.at).total_seconds())
        for a, b in pairwise(ordered)
    ]


def impossible_legs(fixes: Iterable[Fix], *, max_kmh: float, min_distance_m: float) -> list[Leg]:
    """The legs travelled faster than ``max_kmh``, ignoring hops shorter than
    ``min_distance_m`` (a position's own error can make two nearby check-ins look fast)."""
    return [
        leg for leg in legs(fixes) if leg.distance_m >= min_distance_m and leg.speed_kmh > max_kmh
    ]


@dataclass(frozen=True)
class Cluster:
    """Check-ins made within ``radius_m`` of ``centre`` (itself one of them)."""

    centre: Fix
    members: tuple[Fix, ...]

    @property
    def customers(self) -> frozenset[str]:
        return frozenset(f.customer for f in self.members)


def position_clusters(
    fixes: Sequence[Fix], *, radius_m: float, min_customers: int
) -> list[Cluster]:
    """Groups of check-ins made from one spot for at least ``min_customers`` different customers.

    Greedy and deterministic: the check-in whose neighbourhood (everything within ``radius_m``)
    holds the most different customers becomes a centre (ties: the earlier, then the smaller key),
    its neighbourhood a cluster, and the search goes on among the rest. Each check-in belongs to
    at most one cluster; when it ends, no remaining check-in has ``min_customers`` different
    customers within ``radius_m`` among the remaining ones.
    """
    remaining = _in_order(fixes)
    clusters: list[Cluster] = []
    while remaining:
        best: tuple[int, list[Fix], Fix] | None = None
        for centre in remaining:
            near = [
                f
                for f in remaining
                if haversine_m(centre.lat, centre.lon, f.lat, f.lon) <= radius_m
            ]
            count = len({f.customer for f in near})
            if best is None or count > best[0]:
                best = (count, near, centre)
        assert best is not None
        count, near, centre = best
        if count < max(min_customers, 1):
            break
        clusters.append(Cluster(centre, tuple(near)))
        taken = {f.key for f in near}
        remaining = [f for f in remaining if f.key not in taken]
    return clusters


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def closed_month_reversal(won: dt.date, changed: dt.date, *, within_days: int) -> bool:
    """A change on ``changed`` to a deal won on ``won`` comes right after that deal's month
    closed: the deal's month ended before the change's month began, at most ``within_days``
    days before the change."""
    start = month_start(changed)
    if won >= start:
        return False
    last_day_of_deal_month = (month_start(won) + dt.timedelta(days=32)).replace(day=1) - (
        dt.timedelta(days=1)
    )
    return 0 < (changed - last_day_of_deal_month).days <= within_days
