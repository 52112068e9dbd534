"""Splitting a total over children by weights. Pure: no Django."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def allocate(total: Decimal, weights: Mapping[K, Decimal], step: Decimal) -> dict[K, Decimal]:
    """Split ``total`` over the keys in proportion to ``weights``, in multiples of ``step``.

    Largest remainder: every share is floored to ``step`` and the leftover steps go to the
    largest remainders (ties by key order), so the shares add up to ``total`` exactly when it is
    a multiple of ``step``. All-zero weights split evenly.
    """
    if not weights:
        return {}
    keys = list(weights)
    raw = [max(Decimal(0), Decimal(weights[k])) for k in keys]
    weight_sum = sum(raw, Decimal(0))
    if weight_sum == 0:
        raw = [Decimal(1)] * len(keys)
        weight_sum = Decimal(len(keys))
    exact = [total * w / weight_sum for w in raw]
    floors = [(e / step).to_integral_value(rounding=ROUND_FLOOR) * step for e in exact]
    leftover_steps = int(((total - sum(floors, Decimal(0))) / step).to_integral_value(ROUND_FLOOR))
    by_remainder = sorted(range(len(keys)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[: max(0, leftover_steps)]:
        floors[i] += step
    return {k: floors[i] for i, k in enumerate(keys)}
