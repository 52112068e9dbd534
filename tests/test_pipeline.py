"""The pipeline's pure core: stage-wise win rates, and the pipeline only above the pace."""

import numpy as np
import pytest

from tiejun import pipeline as pl


def test_no_history_gives_every_stage_the_default():
    rates = pl.win_rates([])
    assert rates == dict.fromkeys(pl.OPEN_STAGES, pytest.approx(pl.DEFAULT_RATE))


def test_rates_are_the_won_share_of_those_ever_in_the_stage():
    histories = [(["lead", "qualified", "proposal", "won"], "won")] * 40 + [
        (["lead", "lost"], "lost")
    ] * 40
    rates = pl.win_rates(histories, prior=0)
    assert rates["lead"] == pytest.approx(0.5)
    assert rates["qualified"] == rates["proposal"] == pytest.approx(1.0)
    # never seen and no prior: the overall rate
    assert rates["negotiation"] == pytest.approx(0.5)


def test_thin_stages_are_shrunk_toward_the_overall_rate():
    histories = [(["lead", "won"], "won")] * 30 + [(["lead", "lost"], "lost")] * 70
    histories += [(["lead", "negotiation", "won"], "won")]  # one lucky negotiation
    rates = pl.win_rates(histories)
    assert 0.3 < rates["lead"] < 0.32
    assert rates["lead"] < rates["negotiation"] < 1.0  # one win is not a 100 % stage
    assert rates["negotiation"] == pytest.approx((1 + 5 * rates["qualified"]) / 6)


def test_open_opportunities_are_no_evidence():
    rates = pl.win_rates([(["lead", "proposal"], "proposal")] * 10, prior=0)
    assert rates == dict.fromkeys(pl.OPEN_STAGES, pl.DEFAULT_RATE)


def test_pipeline_counts_only_above_the_pace():
    run = np.array([100.0, 100.0, 500.0, 0.0])
    pipe = np.array([300.0, 0.0, 300.0, 300.0])
    assert list(pl.with_pipeline(run, pipe)) == [300.0, 100.0, 500.0, 300.0]
    part = pl.share(run, pipe, [(300.0, 0.75)])
    assert part.amount == pytest.approx((200 + 0 + 0 + 300) / 4)
    assert (part.opportunities, part.expected_value) == (1, pytest.approx(225.0))


def test_a_pipeline_below_the_pace_changes_nothing():
    run = np.full(1000, 10_000.0)
    pipe = pl.simulate_pipeline([(2000.0, 0.9), (3000.0, 0.5)], seed=1, simulations=1000)
    assert np.array_equal(pl.with_pipeline(run, pipe), run)
    assert pl.share(run, pipe, [(2000.0, 0.9), (3000.0, 0.5)]).amount == 0


def test_simulated_pipeline_is_seeded_and_near_its_expected_value():
    opps = [(1000.0, 0.3), (5000.0, 0.6)]
    a = pl.simulate_pipeline(opps, seed=7, simulations=20000)
    assert np.array_equal(a, pl.simulate_pipeline(opps, seed=7, simulations=20000))
    assert a.mean() == pytest.approx(300 + 3000, rel=0.03)


def test_closed_or_unknown_stage_has_no_rate():
    rates = pl.win_rates([])
    assert pl.rate_for(rates, "won") == 0 and pl.rate_for(rates, "x") == 0
    assert pl.rate_for(rates, "lead") == pytest.approx(pl.DEFAULT_RATE)
