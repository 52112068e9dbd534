"""The attribution rules: how a won deal's revenue is shared among the sales models that touched
the customer before the win. Pure numpy, no Django, so it can be tested and benchmarked alone.

A deal's *window* is the customer's touches dated from ``won_day - lookback_days`` to ``won_day``
inclusive, ordered by date and, on the same date, by import order (row id). Then:

- ``last_touch``: all of it to the model of the last touch in the window (ties: imported last);
- ``first_touch``: all of it to the model of the first touch (ties: imported first);
- ``linear``: an equal share to every touch;
- ``position`` (40/20/40): 40 % to the first touch, 40 % to the last, 20 % shared equally by the
  ones between; one touch takes 100 %, two take 50 % each.

A deal with no touch in its window goes wholly to its own ``fallback`` model (the deal's channel).
Everything is vectorised: no Python loop runs per deal or per touch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RULES = ("last_touch", "first_touch", "linear", "position")
NO_CYCLE = -1


@dataclass(frozen=True)
class Shares:
    """One row per (deal, model) that earned a share; arrays of equal length.

    ``deal`` indexes the input deal arrays; ``share`` is in the deal's amount unit (a float,
    rounded by the caller); ``cycle_days`` is the won day minus the day of the deal's first touch
    in the window, or ``NO_CYCLE`` for a deal that fell back to its channel.
    """

    deal: np.ndarray
    model: np.ndarray
    share: np.ndarray
    cycle_days: np.ndarray
    touched: np.ndarray  # bool per row: the deal had a touch in its window


def attribute(
    *,
    deal_customer: np.ndarray,
    deal_day: np.ndarray,
    deal_amount: np.ndarray,
    deal_fallback: np.ndarray,
    touch_id: np.ndarray,
    touch_customer: np.ndarray,
    touch_day: np.ndarray,
    touch_model: np.ndarray,
    rule: str = "last_touch",
    lookback_days: int = 90,
) -> Shares:
    """Share every deal among models by ``rule``; days are integers (e.g. days since 1970)."""
    if rule not in RULES:
        raise ValueError(f"unknown attribution rule {rule!r}")
    if lookback_days < 0:
        raise ValueError("the look-back cannot be negative")
    deal_customer = np.asarray(deal_customer, dtype=np.int64)
    deal_day = np.asarray(deal_day, dtype=np.int64)
    deal_amount = np.asarray(deal_amount, dtype=np.float64)
    deal_fallback = np.asarray(deal_fallback, dtype=np.int64)

    # Touches sorted by customer, day, id: each deal's window is then one contiguous slice.
    order = np.lexsort(
        (
            np.asarray(touch_id, dtype=np.int64),
            np.asarray(touch_day, dtype=np.int64),
            np.asarray(touch_customer, dtype=np.int64),
        )
    )
    t_customer = np.asarray(touch_customer, dtype=np.int64)[order]
    t_day = np.asarray(touch_day, dtype=np.int64)[order]
    t_model = np.asarray(touch_model, dtype=np.int64)[order]
    # One sortable key per (customer, day); days stay far below 2**31.
    span = np.int64(1) << np.int64(31)
    day_base = min(int(t_day.min(initial=0)), int(deal_day.min(initial=0)) - lookback_days)
    t_key = t_customer * span + (t_day - day_base)
    lo = np.searchsorted(
        t_key, deal_customer * span + (deal_day - lookback_days - day_base), "left"
    )
    hi = np.searchsorted(t_key, deal_customer * span + (deal_day - day_base), "right")
    count = hi - lo
    has = count > 0

    # Deals without touches: wholly to their fallback model.
    bare = np.flatnonzero(~has)
    parts_deal = [bare]
    parts_model = [deal_fallback[bare]]
    parts_share = [deal_amount[bare]]
    parts_cycle = [np.full(len(bare), NO_CYCLE, dtype=np.int64)]
    parts_touched = [np.zeros(len(bare), dtype=bool)]

    touched = np.flatnonzero(has)
    first = lo[touched]
    last = hi[touched] - 1
    cycle = deal_day[touched] - t_day[first]
    if rule in ("last_touch", "first_touch"):
        pick = last if rule == "last_touch" else first
        parts_deal.append(touched)
        parts_model.append(t_model[pick])
        parts_share.append(deal_amount[touched])
        parts_cycle.append(cycle)
        parts_touched.append(np.ones(len(touched), dtype=bool))
    else:
        # Expand every touched deal into its window's touches: (deal, touch position) pairs.
        n = count[touched]
        pair_deal_local = np.repeat(np.arange(len(touched)), n)
        starts = np.repeat(np.cumsum(n) - n, n)
        rank = np.arange(int(n.sum()), dtype=np.int64) - starts  # 0 … n-1 within the window
        pair_touch = np.repeat(first, n) + rank
        pair_n = n[pair_deal_local].astype(np.float64)
        if rule == "linear":
            weight = 1.0 / pair_n
        else:
            is_end = (rank == 0) | (rank == n[pair_deal_local] - 1)
            middle = np.maximum(pair_n - 2.0, 1.0)
            weight = np.where(
                pair_n == 1.0,
                1.0,
                np.where(pair_n == 2.0, 0.5, np.where(is_end, 0.4, 0.2 / middle)),
            )
        pair_share = deal_amount[touched][pair_deal_local] * weight
        pair_model = t_model[pair_touch]
        # One row per (deal, model): sum the shares of the same model within a deal.
        n_models = int(max(t_model.max(initial=0), deal_fallback.max(initial=0))) + 1
        key = pair_deal_local * n_models + pair_model
        unique_key, inverse = np.unique(key, return_inverse=True)
        summed = np.bincount(inverse, weights=pair_share, minlength=len(unique_key))
        local = unique_key // n_models
        parts_deal.append(touched[local])
        parts_model.append(unique_key % n_models)
        parts_share.append(summed)
        parts_cycle.append(cycle[local])
        parts_touched.append(np.ones(len(unique_key), dtype=bool))

    return Shares(
        deal=np.concatenate(parts_deal).astype(np.int64),
        model=np.concatenate(parts_model).astype(np.int64),
        share=np.concatenate(parts_share).astype(np.float64),
        cycle_days=np.concatenate(parts_cycle).astype(np.int64),
        touched=np.concatenate(parts_touched),
    )
