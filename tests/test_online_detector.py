"""Online detector: golden outputs, monotone, quiet on flat series, edge cases, stream == batch."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from detector.changepoint.online import STATUSES, OnlineDetector, detect_online, run_online
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
    _, status, score, alarm = detect_online(counts)
    return status, score, alarm


#: Recorded once from the defaults; a change here is a change of the detector's behaviour.
#: (Day 1 is the warm-up: the CUSUM only says "possible" while the rhythm is unknown.)
GOLDEN = {
    "onset_first": (337, 339),
    "runs": [
        ("ok", 95),
        ("possible", 5),
        ("ok", 1),
        ("possible", 169),
        ("ok", 68),
        ("possible", 1),
        ("outage", 83),
        ("ok", 154),
    ],
    "max_score": 16.0,
    # the baseline at the onset and 30 buckets into the outage (frozen: not learned)
    "expected": (0.784, 1.07),
}


def test_golden_alarm_on_a_seeded_outage() -> None:
    counts, truth = simulate_counts(11, days=2, n_outages=1, rise=10.0, base_rate=2.0)
    status, score, alarm = _online(counts)
    onset = counts.index.searchsorted(truth[0]["onset"])
    first = int(np.flatnonzero(alarm)[0])
    assert (onset, first) == GOLDEN["onset_first"]
    assert _runs(status) == GOLDEN["runs"]
    assert round(float(score.max()), 6) == GOLDEN["max_score"]
    expected, _, _, _ = detect_online(counts)
    assert (round(expected.iloc[onset], 3), round(expected.iloc[onset + 30], 3)) == GOLDEN[
        "expected"
    ]


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
    _, _, alarm = run_online(counts, np.full(len(counts), 2.0), warmup=0)
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


def test_joint_batch_equals_the_live_loop() -> None:
    counts, _ = simulate_counts(5, days=3, n_outages=2, rise=6.0, base_rate=1.0)
    expected, status, score, alarm = detect_online(counts)
    base, det = SeasonalBaseline(), OnlineDetector()
    for i, (ts, x) in enumerate(zip(counts.index, counts.tolist(), strict=True)):
        mu = base.expected(ts)
        det.update(x, mu)
        base.update(x, ts, anomalous=det.anomalous)
        assert (mu, det.status, det.score, det.alarm) == (
            expected.iloc[i],
            status[i],
            score[i],
            alarm[i],
        )
    assert alarm.any()


def _jump(history_buckets: int, before: float, during: float, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    values = np.r_[rng.poisson(before, history_buckets), rng.poisson(during, 24)].astype(float)
    index = pd.date_range("2025-03-12 06:00", periods=len(values), freq="5min", tz="UTC")
    return pd.Series(values, index=index)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_large_jump_alarms_within_two_buckets_after_hours_of_history(seed: int) -> None:
    counts = _jump(96, 0.4, 15.0, seed)  # 8 hours of history, then 0.4 -> 15 per bucket
    expected, status, _, alarm = detect_online(counts)
    first = int(np.flatnonzero(alarm)[0])
    assert first - 96 <= 1  # the tail test: the second bucket of the jump at the latest
    assert status[96] in ("possible", "outage")
    assert expected.iloc[-1] < 1.0  # the baseline did not learn the outage


def test_one_large_bucket_at_high_traffic_is_only_possible() -> None:
    rng = np.random.default_rng(3)
    counts = rng.poisson(40.0, 400).astype(float)
    counts[350] = 200.0  # one noisy bucket (a burst of posts)
    status, _, alarm = run_online(counts, np.full(400, 40.0))
    assert not alarm.any() and status[350] == "possible"


def test_the_tail_test_is_tempered_by_the_dispersion() -> None:
    # large overdispersed counts: a doubling for two buckets is not overwhelming
    rng = np.random.default_rng(4)
    mean = 100.0
    counts = rng.negative_binomial(5, 5 / (5 + mean), 600).astype(float)  # a = 0.2
    counts[500:502] = 2.5 * mean
    _, _, alarm = run_online(counts, np.full(600, mean), warmup=0)
    assert not alarm[500:503].any()
    counts[520:522] = 30 * mean  # but thirty times is
    _, _, alarm = run_online(counts, np.full(600, mean), warmup=0)
    assert alarm[521]


def test_refractory_period_holds_back_a_flare_up() -> None:
    counts = np.array([2.0] * 30 + [20.0] * 10 + [2.0] * 20 + [20.0] * 10 + [2.0] * 60)
    status, _, alarm = run_online(counts, np.full(len(counts), 2.0), warmup=0)
    edges = np.flatnonzero(alarm & ~np.concatenate([[False], alarm[:-1]]))
    fell = int(np.flatnonzero(~alarm[edges[0] :])[0]) + edges[0]
    assert edges[0] == 32 and 40 < fell < 50
    assert not alarm[fell : fell + 36].any()  # the flare-up at 60 is only "possible"
    assert status[62] == "possible"
    _, _, alarm = run_online(counts, np.full(len(counts), 2.0), warmup=0, refractory=0)
    edges = np.flatnonzero(alarm & ~np.concatenate([[False], alarm[:-1]]))
    assert edges.tolist()[:2] == [32, 62]


def test_warmup_only_lets_the_tail_test_alarm() -> None:
    slow = np.array([2.0] * 30 + [6.0] * 60)  # a tripling: the CUSUM's job
    _, _, alarm = run_online(slow, np.full(len(slow), 2.0))
    assert not alarm.any()
    _, _, alarm = run_online(slow, np.full(len(slow), 2.0), warmup=0)
    assert alarm.any()


def test_detect_online_rejects_bad_input() -> None:
    with pytest.raises(DataError, match="DatetimeIndex"):
        detect_online(pd.Series([1.0, 2.0]))
    with pytest.raises(UsageError, match="'confirm' parameter must be an integer >= 1"):
        detect_online(_jump(20, 1.0, 1.0), confirm=0)
