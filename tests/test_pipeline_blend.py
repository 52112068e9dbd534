"""The pipeline's blend with the run-rate (tiejun.pipeline): learned, walk-forward, pure."""

import numpy as np
import pytest

from tiejun import pipeline as pl


def _rows(alpha, beta, n=400, seed=1):
    rng = np.random.default_rng(seed)
    out = []
    for _i in range(n):
        pipe, run = rng.uniform(0, 100), rng.uniform(0, 100)
        rest = alpha * pipe + beta * run + rng.normal(0, 5)
        out.append((pipe, run, rest))
    return out


def test_the_blend_recovers_the_weights():
    blend = pl.fit_blend(_rows(0.8, 0.3))
    assert blend is not None
    assert blend.pipeline == pytest.approx(0.8, abs=0.02)
    assert blend.run == pytest.approx(0.3, abs=0.02)
    assert blend.count == 400 and blend.spread == 0


def test_no_weight_is_negative():
    blend = pl.fit_blend(_rows(-0.5, 1.0))
    assert blend is not None and blend.pipeline == 0 and blend.run > 0


def test_too_little_history_or_no_pipeline_learns_nothing():
    assert pl.fit_blend(_rows(0.8, 0.3, n=50)) is None
    assert pl.fit_blend([(0.0, r, r) for r in range(200)]) is None


def test_the_weight_goes_into_the_rates_whole_deals_stay_whole():
    blend = pl.Blend(pipeline=0.5, run=0.2)
    assert blend.opportunities([(1000.0, 0.8)]) == [(1000.0, pytest.approx(0.4))]
    big = pl.Blend(pipeline=2.0, run=0.0).opportunities([(1000.0, 0.8)])
    assert big[0][1] == 1.0 and big[0][0] * big[0][1] == pytest.approx(1600.0)
    run, pipe = np.full(10, 100.0), np.full(10, 50.0)
    assert list(blend.apply(run, pipe)) == [70.0] * 10
    spread = pl.Blend(pipeline=1.0, run=1.0, spread=0.5).apply(run, pipe, scale=40, seed=3)
    assert (spread >= 0).all() and spread.std() > 0


def test_the_spread_is_the_one_past_forecasts_would_have_scored_best_with():
    # given past forecasts whose rest of the month varied far more than the run-rate's draws
    rng = np.random.default_rng(4)
    blend = pl.Blend(pipeline=1.0, run=1.0)
    samples = []
    for i in range(300):
        rest = 100.0 * float(np.exp(rng.normal(0, 0.6)))
        samples.append(
            pl.Sample(run=np.full(50, 100.0), opportunities=(), gap=100.0 * (0.6 + i / 300),
                      scale=25.0, hit=rest >= 100.0 * (0.6 + i / 300), seed=i)
        )  # fmt: skip
    # then a wide spread is learned; with nothing to learn from, none
    assert pl.fit_spread(blend, samples) >= 0.4
    assert pl.fit_spread(blend, []) == 0.0
