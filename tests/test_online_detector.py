"""Online detector: golden outputs, monotone, quiet on flat series, edge cases, stream == batch."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from detector.changepoint.online import STATUSES, OnlineDetector, run_online
from detector.errors import DataError, UsageError
from detector.series.baseline import SeasonalBaseline
from detector.simulate.volume import simulate_counts


def _runs(status: np.ndarray) -> list[tuple[str, int]]:
    """Run-length encoding of a status sequence."""
    return [(key, len(list(group))) for key, group in itertools.groupby(status.tolist())]


def _seasonal_poisson(seed: int, days: int = 2, rate: float = 2.0) -> pd.Series:
    index = pd.date_range("2026-01-05", periods=288 * days, freq="5min", tz="UTC")
    hour = index.hour + index.minute / 60
    mean = rate * (1.0 + 0.7 * np.sin(2 * np.pi * (hour - 9) / 24))
    counts = np.random.default_rng(seed).poisson(mean).astype(float)
    return pd.Series(counts, index=index)


def _online(counts: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    expected = SeasonalBaseline().fit(counts).expected_.to_numpy()
    return run_online(counts.to_numpy(), expected)


#: Recorded once from the defaults; a change here is a change of the detector's behaviour.
GOLDEN = {
    "onset_first": (337, 339),
    "runs": [
        ("ok", 95),
        ("possible", 1),
        ("ok", 12),
        ("possible", 1),
        ("ok", 49),
        ("possible", 5),
        ("ok", 175),
        ("possible", 1),
        ("outage", 54),
        ("ok", 183),
    ],
    "max_score": 16.0,
}


def test_golden_alarm_on_a_seeded_outage() -> None:
    counts, truth = simulate_counts(11, days=2, n_outages=1, rise=10.0, base_rate=2.0)
    status, score, alarm = _online(counts)
    onset = counts.index.searchsorted(truth[0]["onset"])
    first = int(np.flatnonzero(alarm)[0])
    assert (onset, first) == GOLDEN["onset_first"]
    assert _runs(status) == GOLDEN["runs"]
    assert round(float(score.max()), 6) == GOLDEN["max_score"]


def test_stream_equals_batch() -> None:
    counts, _ = simulate_counts(5, days=3, n_outages=2, rise=6.0, base_rate=1.0)
    expected = SeasonalBaseline().fit(counts).expected_.to_numpy()
    status, score, alarm = run_online(counts.to_numpy(), expected)
    det = OnlineDetector()
    for i, (x, mu) in enumerate(zip(counts.tolist(), expected.tolist(), strict=True)):
        det.update(x, mu)
        assert (det.status, det.score, det.alarm) == (status[i], score[i], alarm[i])
    assert det.n_updates == len(counts)
    assert alarm.any()


@pytest.mark.parametrize("rate", [0.3, 3.0, 40.0])
def test_a_bigger_spike_never_alarms_later(rate: float) -> None:
    rng = np.random.default_rng(7)
    base = rng.poisson(rate, 400).astype(float)
    expected = np.full(400, rate)
    firsts = []
    for rise in [2, 3, 5, 8, 13, 20, 50]:
        counts = base.copy()
        counts[300:340] += rate * (rise - 1)
        _, _, alarm = run_online(counts, expected)
        hits = np.flatnonzero(alarm[300:])
        firsts.append(int(hits[0]) if len(hits) else math.inf)
    assert firsts == sorted(firsts, reverse=True)
    assert firsts[-1] <= 3  # max_step caps one bucket's evidence: four buckets at least


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_no_alarm_on_seasonal_poisson_noise(seed: int) -> None:
    status, _, alarm = _online(_seasonal_poisson(seed))
    assert not alarm.any()
    assert set(status.tolist()) <= {"ok", "possible"}


@pytest.mark.parametrize("value", [0.0, 1.0, 25.0, 400.0])
def test_no_alarm_on_constant_series(value: float) -> None:
    index = pd.date_range("2026-01-05", periods=600, freq="5min", tz="UTC")
    status, score, alarm = _online(pd.Series(value, index=index))
    assert not alarm.any() and set(status.tolist()) == {"ok"}
    assert score.max() == 0.0


def test_one_quiet_bucket_does_not_end_an_outage() -> None:
    counts = np.array([2.0] * 30 + [20.0] * 10 + [2.0] + [20.0] * 10 + [2.0] * 80)
    _, _, alarm = run_online(counts, np.full(len(counts), 2.0))
    edges = np.flatnonzero(alarm & ~np.concatenate([[False], alarm[:-1]]))
    assert len(edges) == 1 and alarm[40] and not alarm[-1]


def test_empty_and_one_point() -> None:
    status, score, alarm = run_online([], [])
    assert len(status) == len(score) == len(alarm) == 0
    status, score, alarm = run_online([3.0], [1.0])
    assert status.tolist() == ["ok"] and score.tolist() == [0.0] and alarm.tolist() == [False]
    assert OnlineDetector().update(0, 0.0).status in STATUSES


def test_bad_counts_are_rejected_with_the_bucket() -> None:
    det = OnlineDetector()
    for _ in range(3):
        det.update(1, 1.0)
    with pytest.raises(
        DataError, match=r"^count must be a non-negative number, got -1 at bucket 3$"
    ):
        det.update(-1, 1.0)
    with pytest.raises(DataError, match="count must be a non-negative number, got nan at bucket 1"):
        run_online([1.0, float("nan")], [1.0, 1.0])
    with pytest.raises(DataError, match="expected must be a non-negative number, got -0.5"):
        det.update(1, -0.5)
    with pytest.raises(DataError, match="count must be a non-negative number, got 'x'"):
        det.update("x", 1.0)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="same length"):
        run_online([1.0, 2.0], [1.0])


def test_parameters_are_keyword_only_and_checked() -> None:
    with pytest.raises(TypeError):
        OnlineDetector(8.0)  # type: ignore[misc]
    with pytest.raises(UsageError, match="The 'threshold' parameter must be a positive number"):
        OnlineDetector(threshold=-1)
    with pytest.raises(UsageError, match="release <= possible <= threshold <= ceiling"):
        OnlineDetector(possible=20.0)
    with pytest.raises(UsageError, match="'max_rise' parameter must be >= min_rise"):
        OnlineDetector(max_rise=1.2)
    with pytest.raises(UsageError, match="'hold' parameter must be an integer"):
        OnlineDetector(hold=1.5)  # type: ignore[arg-type]
    det = OnlineDetector(threshold=9.0)
    assert det.threshold == 9.0
    assert not hasattr(det, "__dict__")  # __slots__: small and fast per service
    with pytest.raises(AttributeError):
        det.alarm = True  # type: ignore[misc]
