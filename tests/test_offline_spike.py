"""One huge spike must not set the automatic penalty of ``detect-series --mode offline``.

A count of 10,000 in 3,000 five-minute counts of mean 8.5 (NAB's KO, largest 531) left
no change point: the noise scales behind the penalty (means of squares) were the spike's.
The scales are now measured with lone, absurd spikes put on their neighbours
(:func:`detector.changepoint.penalty.clip_extremes`); series without one keep the exact
penalty they had.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.changepoint import penalty
from detector.incidents.detect import detect_series


def _steps(seed: int = 1) -> tuple[pd.DatetimeIndex, np.ndarray]:
    rng = np.random.default_rng(seed)
    counts = np.r_[rng.poisson(8, 500), rng.poisson(30, 500), rng.poisson(8, 500)]
    index = pd.date_range("2026-01-01", periods=len(counts), freq="5min", tz="UTC")
    return index, counts.astype(float)


@pytest.mark.parametrize("model", ["poisson", "normal"])
def test_one_spike_keeps_the_level_shifts(model: str) -> None:
    index, counts = _steps()
    plain = detect_series(pd.Series(counts, index), mode="offline", model=model)
    spiked_counts = counts.copy()
    spiked_counts[250] = 10_000.0
    spiked = detect_series(pd.Series(spiked_counts, index), mode="offline", model=model)
    rows = {index.get_loc(t) for t in spiked.change_points}
    assert {500, 1000} <= {index.get_loc(t) for t in plain.change_points}
    assert {500, 1000} <= rows  # the shifts are still found (before the fix: none)
    assert any(240 <= r <= 272 for r in rows)  # and the spike itself
    assert len(spiked.incidents) >= len(plain.incidents)


@pytest.mark.parametrize("spike", [1e4, 1e6, 1e9])
def test_spike_size_does_not_matter(spike: float) -> None:
    index, counts = _steps(seed=2)
    counts[700] = spike
    found = detect_series(pd.Series(counts, index), mode="offline", model="normal")
    rows = {index.get_loc(t) for t in found.change_points}
    assert {500, 1000} <= rows


def _old_select_penalty(x: np.ndarray, model: str, pilot: penalty.Pilot, beta: float) -> float:
    """The penalty as it was before the spike fix (scales on ``x`` itself)."""
    x = x.reshape(len(x), -1)
    log_n = float(np.log(max(len(x), 2)))
    scale0 = penalty.raw_scale(x, model)
    if scale0 <= 0:
        return log_n
    bkps = list(pilot(penalty.PILOT_BETA * scale0 * log_n))
    scale, rho = penalty.residual_scale(x, bkps, model)
    scale = scale if scale > 0 else scale0
    return beta * scale * penalty.long_run_factor(rho) * log_n


@pytest.mark.parametrize("model", ["poisson", "l2", "l1"])
@pytest.mark.parametrize("seed", range(5))
def test_no_spike_same_penalty(model: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    if model == "poisson":
        x = np.r_[rng.poisson(3, 300), rng.poisson(12, 200)].astype(float)
    else:
        x = np.r_[rng.normal(0, 1, 300), rng.normal(4, 2, 200)]
        x[[40, 41, 350]] = [15.0, 9.0, -20.0]  # bursts a real series holds stay
    x = x[:, None]
    assert penalty.clip_extremes(x, model) is x

    def pilot(pen: float) -> list[int]:
        return [300, 500] if pen < 1e6 else [500]

    new = penalty.select_penalty(x, model, pilot=pilot, beta=1.5)
    assert new == _old_select_penalty(x, model, pilot, 1.5)


def test_clip_extremes_counts_with_exposure() -> None:
    x = np.array([[2.0], [4.0], [5000.0], [3.0], [8.0]])
    expo = np.array([1.0, 2.0, 2.0, 1.0, 2.0])
    out = penalty.clip_extremes(x, "poisson", expo)
    assert out.ravel().tolist() == [2.0, 4.0, 6.0, 3.0, 8.0]  # on its neighbour's rate 3
    metric = np.r_[np.zeros(50), [-1e5], np.ones(50)][:, None]
    metric = metric + np.random.default_rng(0).normal(0, 1, (101, 1))
    clipped = penalty.clip_extremes(metric, "l2")
    assert clipped[50, 0] == min(metric[49, 0], metric[51, 0])
    assert np.array_equal(np.delete(clipped, 50), np.delete(metric, 50))
