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


# --- how much of the map: cross-validated month by month (fc.choose_shrink) -------------------


def _month(rng: np.random.Generator, n: int, hit_rate) -> list[tuple[float, bool]]:
    """``n`` forecasts spread over 0–1, each reached with ``hit_rate(p)``."""
    ps = rng.random(n)
    return [(float(p), bool(rng.random() < hit_rate(p))) for p in ps]


def test_a_steady_bias_takes_the_whole_map() -> None:
    # given: six months in which the forecasts are always far too low (p → √p)
    rng = np.random.default_rng(1)
    months = [_month(rng, 400, np.sqrt) for _m in range(6)]
    # then: the map holds month after month: all of it
    assert fc.choose_shrink(months) == 1.0


def test_a_bias_that_changes_sign_keeps_the_identity() -> None:
    # given: months alternately far too high and far too low (a map learned on the others is
    # wrong for each one)
    rng = np.random.default_rng(2)
    months = [_month(rng, 400, np.sqrt if m % 2 else (lambda p: p * p)) for m in range(6)]
    # then: none of the map
    assert fc.choose_shrink(months) == 0.0


def test_calibrated_months_and_few_months_keep_the_default() -> None:
    rng = np.random.default_rng(3)
    honest = [_month(rng, 400, lambda p: p) for _m in range(6)]
    assert fc.choose_shrink(honest) == fc.SHRINK  # no gain clear of the noise
    biased = [_month(rng, 400, np.sqrt) for _m in range(2)]
    assert fc.choose_shrink(biased) == fc.SHRINK  # two months: nothing to cross-validate on


# --- what a perfect forecast shows by chance (fc.calibration_noise) ----------------------------


def test_calibration_noise_is_what_honest_forecasts_show_by_chance() -> None:
    rng = np.random.default_rng(4)
    ps = list(rng.random(2000))
    median, p90 = fc.calibration_noise(ps)  # type: ignore[misc]
    assert 0 < median <= p90 < 0.2
    assert fc.calibration_noise(ps) == (median, p90)  # the same seed, the same figures
    # ten times the forecasts: about a third of the noise
    more = list(rng.random(20000))
    assert fc.calibration_noise(more)[0] < median / 2  # type: ignore[index]
    # no decile with 100 forecasts: nothing to say
    assert fc.calibration_noise(ps[:90]) is None
    assert fc.calibration_noise([]) is None
