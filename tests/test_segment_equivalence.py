"""The prefix-sum searches give ruptures' own breakpoints on short series."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import ruptures as rpt

from detector.changepoint.binseg import FastBinseg
from detector.changepoint.poisson import CostPoisson
from detector.changepoint.window import FastWindow


def _signals(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 250))
    k = int(rng.integers(0, 5))
    cuts = np.sort(rng.choice(np.arange(1, n), k, replace=False))
    lengths = np.diff(np.r_[0, cuts, n])
    gauss = rng.normal(0, 1, n) + np.repeat(rng.normal(0, 3, k + 1), lengths)
    counts = rng.poisson(np.repeat(rng.uniform(0.5, 10, k + 1), lengths)).astype(float)
    return {"l2": gauss, "normal": gauss, "poisson": counts}


def _reference(cls: type, model: str, **kwargs: object) -> object:
    if model == "poisson":
        return cls(custom_cost=CostPoisson(), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return cls(model=model, **kwargs)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("model", ["l2", "normal", "poisson"])
@pytest.mark.parametrize(("min_size", "jump"), [(2, 1), (5, 1), (3, 4)])
def test_binseg_matches_ruptures(seed: int, model: str, min_size: int, jump: int) -> None:
    signal = _signals(seed)[model]
    pen = float(np.random.default_rng(seed + 100).uniform(1, 30))
    ref = _reference(rpt.Binseg, model, min_size=min_size, jump=jump).fit(signal)
    fast = FastBinseg(model, min_size=min_size, jump=jump).fit(signal)
    assert fast.predict(pen=pen) == ref.predict(pen=pen)
    assert fast.predict(n_bkps=2) == ref.predict(n_bkps=2)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("model", ["l2", "normal", "poisson"])
@pytest.mark.parametrize(("width", "min_size", "jump"), [(20, 2, 1), (10, 5, 1), (30, 2, 3)])
def test_window_matches_ruptures(
    seed: int, model: str, width: int, min_size: int, jump: int
) -> None:
    signal = _signals(seed)[model]
    pen = float(np.random.default_rng(seed + 200).uniform(1, 30))
    ref = _reference(rpt.Window, model, width=width, min_size=min_size, jump=jump).fit(signal)
    fast = FastWindow(width, model, min_size=min_size, jump=jump).fit(signal)
    assert fast.predict(pen=pen) == [int(b) for b in ref.predict(pen=pen)]
    assert fast.predict(n_bkps=2) == [int(b) for b in ref.predict(n_bkps=2)]


def test_binseg_penalty_sweep_needs_no_refit() -> None:
    signal = _signals(3)["l2"]
    fast = FastBinseg("l2").fit(signal)
    sweep = [fast.predict(pen=p) for p in (200.0, 50.0, 5.0)]
    fresh = [FastBinseg("l2").fit(signal).predict(pen=p) for p in (200.0, 50.0, 5.0)]
    assert sweep == fresh
    assert len(sweep[0]) <= len(sweep[1]) <= len(sweep[2])


def test_poisson_cost_with_exposure_sees_relative_rate() -> None:
    # the baseline doubles at t=50, and so do the counts: no change relative to it
    exposure = np.r_[np.full(50, 2.0), np.full(50, 4.0)]
    counts = np.r_[np.full(50, 2.0), np.full(50, 4.0)]
    assert FastBinseg("poisson", exposure=exposure).fit(counts).predict(pen=1.0) == [100]
    assert FastBinseg("poisson").fit(counts).predict(pen=1.0) == [50, 100]


def test_poisson_cost_rejects_negative_counts() -> None:
    from detector.errors import DataError

    with pytest.raises(DataError, match="non-negative counts. Got a minimum of -1"):
        CostPoisson().fit(np.array([1.0, -1.0, 2.0]))
