"""Onset and recovery estimates around an alarm."""

from __future__ import annotations

import numpy as np
import pytest

from detector.changepoint.onset import estimate_onset, estimate_recovery
from detector.errors import DataError, UsageError


def _excursion(seed: int, base: float, rise: float, onset: int = 200, length: int = 60):
    rng = np.random.default_rng(seed)
    rate = np.full(400, base)
    rate[onset : onset + length] *= rise
    return rng.poisson(rate).astype(float), np.full(400, base)


def _alarm(counts: np.ndarray, baseline: np.ndarray, threshold: float = 8.0) -> int:
    """When a Poisson CUSUM (rise 3x, ``threshold`` nats) first fires: a stand-in for
    the online detector, so this test does not depend on its tuning."""
    stat = 0.0
    for t, (y, b) in enumerate(zip(counts, baseline, strict=True)):
        stat = max(0.0, stat + y * np.log(3.0) - 2.0 * b)
        if stat >= threshold and t >= 200:
            return t
    raise AssertionError("no alarm")


def test_onset_within_two_buckets_using_only_data_up_to_the_alarm() -> None:
    errors = []
    for base in (0.5, 3.0, 40.0):
        for rise in (3.0, 8.0, 20.0):
            for seed in range(6):
                counts, baseline = _excursion(seed, base, rise)
                alarm = _alarm(counts, baseline)
                truncated = counts.copy()
                truncated[alarm + 1 :] = 1e6  # data after the alarm must not matter
                onset = estimate_onset(truncated, baseline, alarm)
                assert onset == estimate_onset(counts, baseline, alarm)
                errors.append(abs(onset - 200))
    assert len(errors) == 54
    assert np.mean(np.array(errors) <= 2) >= 0.9


def test_onset_golden_and_bounds() -> None:
    counts, baseline = _excursion(0, 2.0, 8.0, length=30)
    assert estimate_onset(counts, baseline, 205) == 200
    # the onset is searched after not_before / within the lookback only
    assert 202 < estimate_onset(counts, baseline, 205, not_before=202) <= 205
    assert 202 < estimate_onset(counts, baseline, 205, lookback=3) <= 205
    # refined with data after the alarm
    assert estimate_onset(counts, baseline, 201, end=215) == 200


def test_no_excess_gives_the_alarm_itself() -> None:
    assert estimate_onset(np.zeros(50), np.full(50, 2.0), 30) == 30


def test_a_biased_baseline_does_not_pull_the_onset_back() -> None:
    """High traffic, baseline 5% low for hours: the onset stays at the rise."""
    rng = np.random.default_rng(4)
    rate = np.full(400, 21.0)
    rate[300:] = 63.0
    counts = rng.poisson(rate).astype(float)
    assert abs(estimate_onset(counts, np.full(400, 20.0), 303) - 300) <= 1


def test_recovery_at_the_end_of_the_excursion() -> None:
    counts, baseline = _excursion(1, 2.0, 8.0, length=30)
    assert estimate_recovery(counts, baseline, onset=200, end=260) == 230
    # still elevated at `end`: no return yet
    assert estimate_recovery(counts, baseline, onset=200, end=220) == 221


def test_errors() -> None:
    with pytest.raises(DataError, match="same length. Got 3 and 2"):
        estimate_onset([1, 2, 3], [1, 1], 1)
    with pytest.raises(DataError, match="non-negative"):
        estimate_onset([1, -2, 3], [1, 1, 1], 1)
    with pytest.raises(DataError, match="finite"):
        estimate_onset([1, np.nan, 3], [1, 1, 1], 1)
    with pytest.raises(
        UsageError, match="'alarm_index' parameter must be an index in \\[0, 3\\). Got 5"
    ):
        estimate_onset([1, 2, 3], [1, 1, 1], 5)
    with pytest.raises(UsageError, match="'end' parameter \\(0\\) must be >= alarm_index \\(1\\)"):
        estimate_onset([1, 2, 3], [1, 1, 1], 1, end=0)
