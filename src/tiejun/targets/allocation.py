"""Splitting a total over children by weights. Pure: no Django."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
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


def allocate_rounded(
    total: Decimal,
    weights: Mapping[K, Decimal],
    step: Decimal,
    unit: Decimal,
    pinned: Mapping[K, Decimal] | None = None,
) -> dict[K, Decimal]:
    """Split ``total`` over the keys: pinned keys keep their value, the rest share what is left
    in proportion to ``weights``, in multiples of ``unit`` (¥1, ¥100, ¥1,000).

    Whatever is left below one ``unit`` (a total of ¥1,234,567 in thousands) goes to the key with
    the largest remainder, in steps of ``step`` (the metric's smallest amount), so the shares add
    up to ``total`` exactly. When the pinned values exceed the total, the others get nothing.
    """
    pinned = dict(pinned or {})
    free = [k for k in weights if k not in pinned]
    rest = total - sum((pinned[k] for k in weights if k in pinned), Decimal(0))
    shares: dict[K, Decimal] = {k: pinned[k] for k in weights if k in pinned}
    if not free:
        return {k: shares[k] for k in weights}
    if rest <= 0:
        shares.update(dict.fromkeys(free, Decimal(0)))
        return {k: shares[k] for k in weights}
    unit = max(unit, step)
    free_weights = {k: weights[k] for k in free}
    coarse = allocate(rest, free_weights, unit)
    leftover = rest - sum(coarse.values(), Decimal(0))
    if leftover > 0:
        # The part below one unit goes whole to the largest remainder against the exact shares,
        # so every other share stays a round figure.
        raw = [max(Decimal(0), Decimal(free_weights[k])) for k in free]
        weight_sum = sum(raw, Decimal(0))
        if weight_sum == 0:
            raw, weight_sum = [Decimal(1)] * len(free), Decimal(len(free))
        remainders = [rest * w / weight_sum - coarse[k] for k, w in zip(free, raw, strict=True)]
        largest = max(range(len(free)), key=lambda i: (remainders[i], -i))
        coarse[free[largest]] += leftover
    shares.update(coarse)
    return {k: shares[k] for k in weights}


EVEN, SHARE, HAND = "even", "share", "hand"
CASCADE_METHODS = (EVEN, SHARE, HAND)


def cascade(
    *,
    root: K,
    total: Decimal,
    children: Mapping[K, Sequence[K]],
    methods: Sequence[str],
    base: Mapping[K, Decimal],
    step: Decimal,
    unit: Decimal,
    pinned: Mapping[K, Decimal] | None = None,
    current: Mapping[K, Decimal] | None = None,
) -> dict[K, Decimal]:
    """Split ``total`` from ``root`` down through every level in one pass.

    ``children`` gives each node's children (leaves have none), ``methods[depth]`` how the
    nodes at ``depth`` split over their children (the last method repeats below): ``even``,
    ``share`` (in proportion to ``base``, each child's result in the base period) or ``hand``
    (each child keeps its ``pinned`` value, else its ``current`` one, else 0 — the level then may
    not add up, which shows as an allocation gap). Pinned children (cells edited by hand) keep
    their value under every method; the others share what is left. Every level of an ``even`` or
    ``share`` split adds up to its parent exactly (``allocate_rounded``).
    """
    pinned = dict(pinned or {})
    current = dict(current or {})
    values: dict[K, Decimal] = {root: pinned.get(root, total)}
    level = [root]
    depth = 0
    while level:
        method = methods[min(depth, len(methods) - 1)] if methods else EVEN
        if method not in CASCADE_METHODS:
            raise ValueError(f"unknown method {method!r}")
        below: list[K] = []
        for parent in level:
            kids = list(children.get(parent, ()))
            if not kids:
                continue
            if method == HAND:
                for kid in kids:
                    values[kid] = pinned.get(kid, current.get(kid, Decimal(0)))
            else:
                weights = (
                    {k: Decimal(base.get(k, 0)) for k in kids}
                    if method == SHARE
                    else dict.fromkeys(kids, Decimal(1))
                )
                kid_pins = {k: pinned[k] for k in kids if k in pinned}
                values.update(allocate_rounded(values[parent], weights, step, unit, kid_pins))
            below.extend(kids)
        level = below
        depth += 1
    return values
