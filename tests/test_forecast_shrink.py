"""Half an isotonic map: the backtest's recalibration (tiejun.forecast.shrink)."""

import numpy as np
import pytest

from tiejun import forecast as fc


def test_shrink_is_the_weighted_mean_of_map_and_identity() -> None:
    rng = np.random.default_rng(3)
    pairs = [(float(p), bool(rng.random() < p**2)) for p in rng.random(600)]
    fitted = fc.fit_calibrator(pairs)
    half = fc.shrink(fitted)
    for p in np.linspace(0, 1, 41):
        assert half.apply(p) == pytest.approx(0.5 * fitted.apply(p) + 0.5 * p)
    assert all(b >= a for a, b in zip(half.ys, half.ys[1:], strict=False))
    assert len(half.ns) == len(half.xs)
    assert fc.Calibrator.from_json(half.to_json()).apply(0.3) == pytest.approx(
        half.apply(0.3), abs=1e-3
    )


def test_shrink_keeps_the_identity_and_a_whole_map() -> None:
    assert fc.shrink(fc.IDENTITY) is fc.IDENTITY
    fitted = fc.fit_calibrator([(0.2, False), (0.8, True)] * 150)
    assert fc.shrink(fitted, 1.0) is fitted
