"""Segmenter: ruptures-style API, automatic penalty, dispatch, errors."""

from __future__ import annotations

import numpy as np
import pytest
import ruptures as rpt

from detector.changepoint.segment import Segmenter
from detector.errors import DataError, NotFittedError, UsageError


def _steps(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.r_[np.zeros(80), np.full(60, 3.0), np.full(100, -1.0)] + rng.normal(0, 1, 240)


@pytest.mark.parametrize("method", ["window", "binseg", "pelt", "bottomup"])
def test_finds_the_steps_with_the_automatic_penalty(method: str) -> None:
    bkps = Segmenter(method=method).fit(_steps(0)).predict()
    assert len(bkps) == 3
    assert abs(bkps[0] - 80) <= 2 and abs(bkps[1] - 140) <= 2 and bkps[-1] == 240


def test_golden_default_output() -> None:
    seg = Segmenter().fit(_steps(7))
    assert seg.predict() == [79, 140, 240]
    assert seg.penalty_ == pytest.approx(13.5549, abs=1e-3)
    # ruptures' stopping rule tests few peaks and gets half the factor (1.5 against 3)
    ruptures_rule = Segmenter(rule="ruptures").fit(_steps(7))
    assert ruptures_rule.predict() == [79, 140, 240]
    assert ruptures_rule.penalty_ == pytest.approx(13.5549 / 2, abs=1e-3)
    binseg = Segmenter(method="binseg").fit(_steps(7))
    assert binseg.predict() == [79, 141, 240]
    assert binseg.penalty_ == pytest.approx(13.5549, abs=1e-3)


def test_poisson_counts_golden() -> None:
    rng = np.random.default_rng(5)
    counts = rng.poisson(np.r_[np.full(100, 0.5), np.full(20, 6.0), np.full(100, 0.5)])
    assert Segmenter(model="poisson").fit(counts).predict() == [100, 120, 220]


@pytest.mark.parametrize("model", ["l2", "poisson"])
@pytest.mark.parametrize("method", ["window", "binseg"])
def test_no_change_on_flat_noise(model: str, method: str) -> None:
    for seed in range(5):
        flat = np.random.default_rng(seed).poisson(4.0, 500).astype(float)
        n = len(flat)
        assert Segmenter(model=model, method=method).fit(flat).predict() == [n]


def test_constant_and_single_point() -> None:
    assert Segmenter().fit(np.full(50, 3.0)).predict() == [50]
    assert Segmenter().fit([1.0]).predict() == [1]
    assert Segmenter(method="binseg").fit([1.0, 9.0]).predict() == [2]


def test_pelt_dispatch_is_ruptures() -> None:
    signal = _steps(1)
    ours = Segmenter(method="pelt", model="l1").fit(signal).predict(pen=10.0)
    theirs = rpt.Pelt(model="l1", min_size=2, jump=1).fit(signal).predict(pen=10.0)
    assert ours == theirs


def test_dynp_picks_the_number_of_changes_by_penalty() -> None:
    signal = _steps(2)[:120]
    assert Segmenter(method="dynp").fit(signal).predict(pen=30.0) == [80, 120]


def test_n_bkps_and_pen_sweep_without_refit() -> None:
    seg = Segmenter(method="binseg").fit(_steps(3))
    assert seg.predict(n_bkps=1) == [80, 240] or seg.predict(n_bkps=1) == [140, 240]
    assert len(seg.predict(pen=1.0)) >= len(seg.predict(pen=100.0))


def test_errors_name_the_parameter() -> None:
    with pytest.raises(UsageError, match="'method' parameter of Segmenter must be one of"):
        Segmenter(method="fast").fit(_steps(0))
    with pytest.raises(UsageError, match="'model' parameter .* Got 'l3'"):
        Segmenter(model="l3").fit(_steps(0))
    with pytest.raises(UsageError, match="'min_size' parameter .* Got 0"):
        Segmenter(min_size=0).fit(_steps(0))
    with pytest.raises(NotFittedError, match="before fit"):
        Segmenter().predict()
    with pytest.raises(DataError, match="empty"):
        Segmenter().fit([])
    with pytest.raises(DataError, match="1 missing .NaN. value.s., the first at index 2"):
        Segmenter().fit([1.0, 2.0, np.nan])
    with pytest.raises(DataError, match="non-negative"):
        Segmenter(model="poisson").fit([1.0, -2.0, 3.0])
    with pytest.raises(UsageError, match="'pen' parameter must be a finite number >= 0"):
        Segmenter().fit(_steps(0)).predict(pen=-1.0)
