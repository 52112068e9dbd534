"""The open pipeline in the month-end forecast: stage-wise win rates learned from the
company's own closed opportunities, and how the pipeline joins a rep's run-rate. Pure: no Django.

Win rates. For each stage, the share of the closed opportunities that were ever in that stage
and ended won. A stage few opportunities went through is shrunk toward the overall win rate of
all closed opportunities (``prior`` pseudo-opportunities at that rate), and that overall rate is
itself shrunk toward :data:`DEFAULT_RATE` — with no history at all every stage gets it.

No double counting. A rep's run-rate (the bootstrap of their past days) already holds the
deals that came out of their pipeline: adding the pipeline on top would count them twice. So
in each simulation the rest of the month is the larger of the run-rate's draw and the
pipeline's draw (each open opportunity closing this month won with its stage's rate): the
pipeline counts only for the part above the pace. A rep with a big deal about to close is
lifted; a rep whose pipeline is smaller than their usual month changes nothing. What "stands
on pipeline" is the mean lift, ``mean(max(run, pipe) - run)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

OPEN_STAGES = ("lead", "qualified", "proposal", "negotiation")
WON, LOST = "won", "lost"
PRIOR = 5.0  # a stage's rate is shrunk with this many opportunities at the overall rate
DEFAULT_RATE = 0.2  # the overall rate's own prior, when there is little or no history


def win_rates(
    histories: Iterable[tuple[Iterable[str], str]],
    *,
    prior: float = PRIOR,
    default: float = DEFAULT_RATE,
) -> dict[str, float]:
    """Each open stage's win rate from ``histories``: per opportunity, the stages it was ever
    in and its current stage (only won and lost ones are evidence; open ones are skipped)."""
    won: dict[str, int] = dict.fromkeys(OPEN_STAGES, 0)
    seen: dict[str, int] = dict.fromkeys(OPEN_STAGES, 0)
    closed = wins = 0
    for stages, outcome in histories:
        if outcome not in (WON, LOST):
            continue
        closed += 1
        wins += outcome == WON
        for stage in set(stages) & set(OPEN_STAGES):
            seen[stage] += 1
            won[stage] += outcome == WON
    overall = (wins + prior * default) / (closed + prior) if prior > 0 or closed else default
    return {
        stage: (won[stage] + prior * overall) / (seen[stage] + prior)
        if seen[stage] + prior > 0
        else overall
        for stage in OPEN_STAGES
    }


def simulate_pipeline(
    opportunities: Sequence[tuple[float, float]], *, seed: int, simulations: int
) -> np.ndarray:
    """One simulated sum per simulation of ``opportunities`` (amount, win rate) won this month."""
    rng = np.random.default_rng(seed)
    total = np.zeros(simulations)
    for amount, rate in opportunities:
        total += np.where(rng.random(simulations) < rate, float(amount), 0.0)
    return total


def with_pipeline(run: np.ndarray, pipe: np.ndarray) -> np.ndarray:
    """The rest of the month with the pipeline: the pipeline only where it beats the pace."""
    if len(pipe) != len(run):
        return run
    return np.maximum(run, pipe)


@dataclass(frozen=True)
class PipelineShare:
    """How much of a forecast stands on open opportunities."""

    amount: float  # the mean lift over the run-rate alone
    opportunities: int  # open opportunities closing in the rest of the month
    expected_value: float  # their amount × win rate, summed (before the max with the pace)


def share(
    run: np.ndarray, pipe: np.ndarray, opportunities: Sequence[tuple[float, float]]
) -> PipelineShare:
    """The part of the forecast the pipeline adds, and what it stands on."""
    lift = float(np.mean(with_pipeline(run, pipe) - run)) if len(run) else 0.0
    return PipelineShare(
        amount=max(0.0, lift),
        opportunities=len(opportunities),
        expected_value=float(sum(a * r for a, r in opportunities)),
    )


def rate_for(rates: Mapping[str, float], stage: str) -> float:
    """An open stage's win rate; 0 for a closed or unknown stage."""
    return rates.get(stage, 0.0) if stage in OPEN_STAGES else 0.0


@dataclass(frozen=True)
class Change:
    """One stage change as the pipeline reads it: the opportunity's today's facts with it."""

    opportunity: int
    to_stage: str
    day: dt.date  # the local day of the change
    owner: int | None
    amount: float
    expected_close: dt.date | None


def as_of(
    changes: Iterable[Change], day: dt.date, *, closing_after: dt.date, closing_until: dt.date
) -> tuple[dict[str, float], dict[int, list[tuple[float, float]]]]:
    """The win rates learned from ``changes`` made up to ``day`` (oldest first), and per owner
    the opportunities open on ``day`` expected to close in (``closing_after``, ``closing_until``],
    each as (amount, its stage's win rate)."""
    paths: dict[int, list[str]] = {}
    last: dict[int, Change] = {}
    for change in changes:
        if change.day > day:
            continue
        paths.setdefault(change.opportunity, []).append(change.to_stage)
        last[change.opportunity] = change
    rates = win_rates((path, path[-1]) for path in paths.values())
    out: dict[int, list[tuple[float, float]]] = {}
    for opp, path in paths.items():
        c = last[opp]
        if c.owner is None or c.expected_close is None or path[-1] not in OPEN_STAGES:
            continue
        if closing_after < c.expected_close <= closing_until:
            out.setdefault(c.owner, []).append((c.amount, rate_for(rates, path[-1])))
    return rates, out
