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


SCALE_SHARE = 0.25  # a blend's spread acts around this share of the rep's target
MIN_BLEND = 100  # past forecasts a blend is fitted on, at the least (else: the larger of the two)


@dataclass(frozen=True)
class Blend:
    """How the pipeline and the run-rate make the rest of the month together, learned from
    the company's own past months: ``pipeline`` × the pipeline's expected value +
    ``run`` × the run-rate's. A rep's pace already holds the deals that come out of the
    pipeline; where the pipeline sees most of what is coming, the run-rate's weight falls (no
    double counting), and a month whose pipeline is thin or full moves the forecast with it.

    In a simulation the pipeline's weight goes into each open opportunity's chance of closing
    this month (:meth:`opportunities`: a deal is won whole or not at all) and the run-rate's
    draw is scaled. ``spread`` is the log-spread of a mean-one factor each simulation is
    scaled by, around a rep-sized ``scale`` (so that a rest of nothing can come out as
    something): what the blend cannot see (a deal not yet in the pipeline, an estimate off, a
    date slipping), fitted on the past forecasts' scores (:func:`fit_spread`)."""

    pipeline: float
    run: float
    count: int = 0
    spread: float = 0.0

    def opportunities(
        self, opportunities: Sequence[tuple[float, float]]
    ) -> list[tuple[float, float]]:
        """(amount, win rate) pairs with the pipeline's weight in them: in the rate up to
        certainty, in the amount beyond."""
        w = self.pipeline
        return [(a * w * r, 1.0) if w * r > 1 else (a, w * r) for a, r in opportunities]

    def apply(
        self, run: np.ndarray, pipe: np.ndarray, *, scale: float = 0.0, seed: int = 0
    ) -> np.ndarray:
        """The rest of the month from the run-rate's draw and the pipeline's, the latter
        simulated with :meth:`opportunities`."""
        if len(pipe) != len(run):
            return run
        out = self.run * np.asarray(run, dtype=float) + np.asarray(pipe, dtype=float)
        if self.spread > 0 and scale > 0:
            factor = np.exp(
                np.random.default_rng(seed).normal(-0.5 * self.spread**2, self.spread, len(out))
            )
            out = np.maximum(0.0, (out + scale) * factor - scale)
        return out

    def to_json(self) -> dict[str, float | int]:
        return {"pipeline": round(self.pipeline, 4), "run": round(self.run, 4),
                "spread": round(self.spread, 4), "count": self.count}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Blend:
        """The blend :meth:`to_json` stored; ``ValueError`` when ``data`` is not one."""
        try:
            blend = cls(
                pipeline=float(data["pipeline"]),  # type: ignore[arg-type]
                run=float(data["run"]),  # type: ignore[arg-type]
                count=int(data.get("count", 0)),  # type: ignore[call-overload]
                spread=float(data.get("spread", 0.0)),  # type: ignore[arg-type]
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a blend: {data!r}") from error
        if (
            not all(np.isfinite([blend.pipeline, blend.run, blend.spread]))
            or min(blend.pipeline, blend.run, blend.spread) < 0
        ):
            raise ValueError(f"not a blend: {data!r}")
        return blend

    def share(
        self, pipe: np.ndarray, opportunities: Sequence[tuple[float, float]]
    ) -> PipelineShare:
        """The part of a blended forecast standing on open opportunities: the mean of the
        pipeline's draw (``opportunities`` as the rep has them, before the blend's weight)."""
        return PipelineShare(
            amount=float(np.mean(pipe)) if len(pipe) else 0.0,
            opportunities=len(opportunities),
            expected_value=float(sum(a * r for a, r in opportunities)),
        )


def blend_for(blends: Mapping[int, Blend], as_of_day: int) -> Blend | None:
    """The blend fitted for the as-of working day nearest ``as_of_day`` (the earlier of two as
    near); None without any."""
    if not blends:
        return None
    return blends[min(blends, key=lambda k: (abs(k - as_of_day), k))]


def fit_blend(
    rows: Iterable[tuple[float, float, float]], *, minimum: int = MIN_BLEND
) -> Blend | None:
    """Least squares, both weights ≥ 0, of what the rest of the month brought on the
    pipeline's expected value (Σ amount × win rate) and the run-rate's expected rest, over
    past forecasts given as (pipeline, run-rate, actual rest); no spread yet. None with fewer
    than ``minimum`` rows or when none had a pipeline (nothing to learn its weight from)."""
    data = np.asarray([r for r in rows if all(np.isfinite(r))], dtype=float).reshape(-1, 3)
    if len(data) < minimum or not np.any(data[:, 0] > 0):
        return None
    x, y = data[:, :2], data[:, 2]
    solution, *_rest = np.linalg.lstsq(x, y, rcond=None)
    candidates = [(float(solution[0]), float(solution[1]))]
    for j in (0, 1):  # one weight at zero: the other alone
        col = x[:, j]
        denom = float(col @ col)
        w = float(col @ y) / denom if denom > 0 else 0.0
        candidates.append((w, 0.0) if j == 0 else (0.0, w))
    allowed = [(a, b) for a, b in candidates if a >= 0 and b >= 0]
    if not allowed:
        return None
    a, b = min(allowed, key=lambda ab: float(np.sum((x @ np.array(ab) - y) ** 2)))
    return Blend(pipeline=a, run=b, count=len(data))


SPREADS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)  # the spreads a blend may take
SPREAD_DRAWS = 200  # draws per past forecast when a blend's spread is fitted


@dataclass(frozen=True)
class Sample:
    """A past forecast as a blend's spread is fitted on it: the run-rate's draws of the rest
    of the month, the open opportunities, what the rest had to bring, and whether it did."""

    run: np.ndarray
    opportunities: tuple[tuple[float, float], ...]
    gap: float  # target − achieved on the as-of day
    scale: float
    hit: bool
    seed: int


def fit_spread(blend: Blend, samples: Sequence[Sample], grid: Sequence[float] = SPREADS) -> float:
    """The spread of ``grid`` whose probabilities would have scored best (Brier) on the past
    forecasts ``samples`` with ``blend``'s weights: the width the company's own misses call
    for, learned on earlier months only by the caller."""
    if not samples:
        return 0.0
    z = np.random.default_rng(0).standard_normal(SPREAD_DRAWS)
    factors = np.exp(np.outer(grid, z) - 0.5 * np.square(np.asarray(grid))[:, np.newaxis])
    scores = np.zeros(len(grid))
    for s in samples:
        run = np.resize(np.asarray(s.run, dtype=float), SPREAD_DRAWS)
        pipe = (
            simulate_pipeline(blend.opportunities(s.opportunities), seed=s.seed,
                              simulations=SPREAD_DRAWS)
            if s.opportunities
            else np.zeros(SPREAD_DRAWS)
        )  # fmt: skip
        base = blend.run * run + pipe
        values = np.maximum(0.0, (base + s.scale)[np.newaxis, :] * factors - s.scale)
        probability = np.mean(values >= s.gap - 1e-6, axis=1)
        scores += np.square(probability - (1.0 if s.hit else 0.0))
    return float(grid[int(np.argmin(scores))])
