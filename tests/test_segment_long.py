"""Long series with short excursions: the rules that keep bumps, and seeded search."""

from __future__ import annotations

import numpy as np
import pytest

from detector.changepoint.seeded import FastSeeded, seeded_intervals
from detector.changepoint.segment import Segmenter
from detector.changepoint.window import FastWindow
from detector.errors import UsageError


def _bumps(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    rate = np.full(n, 4.0)
    truth = []
    for start in range(2000, n - 200, 5000):
        rate[start : start + 150] *= 3
        truth += [start, start + 150]
    return rng.poisson(rate).astype(float), truth


def _close(bkps: list[int], truth: list[int], margin: int = 3) -> bool:
    return len(bkps) - 1 == len(truth) and all(
        abs(b - t) <= margin for b, t in zip(bkps, truth, strict=False)
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"model": "poisson"},
        {"method": "seeded", "model": "poisson"},
    ],
)
def test_every_bump_edge_is_found(kwargs: dict) -> None:
    x, truth = _bumps()
    assert _close(Segmenter(**kwargs).fit(x).predict(), truth)


def test_window_rules_agree_on_a_single_step() -> None:
    x = np.r_[np.zeros(100), np.full(100, 4.0)] + np.random.default_rng(0).normal(0, 1, 200)
    fits = [FastWindow(20, rule=r).fit(x).predict(pen=30.0) for r in ("ruptures", "path", "local")]
    assert fits == [[100, 200]] * 3


def test_seeded_intervals_cover_every_scale() -> None:
    intervals = seeded_intervals(100, 4)
    assert intervals[0] == (0, 100)
    assert min(e - s for s, e in intervals) >= 4
    # every point lies in a short interval, so a short bump is isolated somewhere
    assert all(any(s <= p < e and e - s < 8 for s, e in intervals) for p in range(100))


def test_seeded_short_bump_and_errors() -> None:
    bump = np.r_[np.zeros(300), np.full(4, 5.0), np.zeros(300)]
    assert FastSeeded("l2").fit(bump).predict(pen=20.0) == [300, 304, 604]
    with pytest.raises(UsageError, match="method='seeded' takes a penalty, not 'n_bkps'"):
        Segmenter(method="seeded").fit(bump).predict(n_bkps=2)
    with pytest.raises(UsageError, match="method='seeded' needs one of the costs"):
        Segmenter(method="seeded", model="l1").fit(bump)
    with pytest.raises(UsageError, match="'rule' parameter of Segmenter must be one of"):
        Segmenter(method="pelt", rule="path").fit(bump)
