"""Seasonal baseline: causal, stream == batch, rhythm, robustness, surge discount."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.errors import DataError, NotFittedError, UsageError
from detector.series.baseline import SeasonalBaseline
from detector.simulate.volume import simulate_volume


def _series(values: list[float] | np.ndarray, start: str = "2026-01-05") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="5min", tz="UTC")
    return pd.Series(np.asarray(values, dtype=float), index=index)


def test_stream_and_batch_give_the_same_numbers() -> None:
    frame, _ = simulate_volume(3, days=3, base_rate=2.0, n_outages=1)
    counts, totals = frame["outage_posts"], frame["all_posts"]
    batch = SeasonalBaseline().fit(counts, totals)
    stream = SeasonalBaseline()
    got = []
    for ts, x, total in zip(counts.index, counts.tolist(), totals.tolist(), strict=True):
        got.append(stream.expected(ts, total=total, count=x))
        stream.update(x, ts, total=total)
    np.testing.assert_array_equal(np.array(got), batch.expected_.to_numpy())


@pytest.mark.parametrize("lag", [0, 12])
def test_expected_is_causal(lag: int) -> None:
    counts = _series(np.random.default_rng(0).poisson(3.0, 600))
    full = SeasonalBaseline(lag=lag).fit(counts).expected_
    changed = counts.copy()
    changed.iloc[400:] = 5.0  # the future must not change the past
    early = SeasonalBaseline(lag=lag).fit(changed).expected_
    # a bucket is learned ``lag`` buckets after it was seen
    seen = 401 + lag
    np.testing.assert_array_equal(full.iloc[:seen].to_numpy(), early.iloc[:seen].to_numpy())
    assert early.iloc[seen] > full.iloc[seen]


def test_constant_series_expects_the_constant() -> None:
    base = SeasonalBaseline().fit(_series([7.0] * 300))
    assert base.expected_.iloc[0] == 0.0  # nothing seen yet
    np.testing.assert_allclose(base.expected_.iloc[1:].to_numpy(), 7.0)


def test_learns_the_daily_rhythm() -> None:
    index = pd.date_range("2026-01-05", periods=288 * 8, freq="5min", tz="UTC")
    rate = 20.0 * (1.0 + 0.8 * np.sin(2 * np.pi * (index.hour + index.minute / 60) / 24))
    counts = pd.Series(np.random.default_rng(1).poisson(rate).astype(float), index=index)
    expected = SeasonalBaseline().fit(counts).expected_.to_numpy()
    last_days = slice(288 * 5, None)
    error = np.abs(expected[last_days] / rate[last_days] - 1.0)
    assert float(np.mean(error)) < 0.08
    level_only = np.abs(np.mean(counts[: 288 * 5]) / rate[last_days] - 1.0)
    assert float(np.mean(error)) < float(np.mean(level_only)) / 4


def test_an_earlier_outage_does_not_become_normal() -> None:
    values = np.random.default_rng(2).poisson(2.0, 288 * 2).astype(float)
    values[300:336] += 40.0  # a three-hour outage
    expected = SeasonalBaseline().fit(_series(values)).expected_.to_numpy()
    assert expected[336] < 6.0
    assert expected[420] < 3.5


def test_sparse_counts_give_a_small_positive_expectation() -> None:
    values = np.random.default_rng(4).poisson(0.1, 288 * 2).astype(float)
    expected = SeasonalBaseline().fit(_series(values)).expected_.to_numpy()
    assert 0.0 < expected[-1] < 0.5
    assert np.isfinite(expected).all()


def test_traffic_surge_raises_the_expectation() -> None:
    rng = np.random.default_rng(5)
    complaints = rng.poisson(2.0, 400).astype(float)
    totals = complaints + rng.poisson(24.0, 400)
    base = SeasonalBaseline().fit(_series(complaints), _series(totals))
    ts = base.expected_.index[-1] + pd.Timedelta("5min")
    quiet = SeasonalBaseline().fit(_series(complaints), _series(totals))
    normal = quiet.expected_next_
    stream = SeasonalBaseline()
    for t, x, tot in zip(base.expected_.index, complaints, totals, strict=True):
        stream.update(x, t, total=tot)
    assert stream.expected(ts, total=26.0, count=2.0) == pytest.approx(normal)
    surge = stream.expected(ts, total=24.0 * 5 + 10, count=10.0)
    assert surge > 3.0 * normal  # a football match: five times the chatter
    assert 0.05 < base.expected_share_.iloc[-1] < 0.1


def test_edge_cases_and_errors() -> None:
    empty = SeasonalBaseline().fit(_series([]))
    assert len(empty.expected_) == 0
    one = SeasonalBaseline().fit(_series([3.0]))
    assert one.expected_.tolist() == [0.0]
    with pytest.raises(
        DataError, match="count must be a non-negative number, got -1.0 at bucket 2"
    ):
        SeasonalBaseline().fit(_series([1.0, 2.0, -1.0]))
    with pytest.raises(DataError, match="got nan at bucket 1"):
        SeasonalBaseline().fit(_series([1.0, np.nan]))
    with pytest.raises(DataError, match="count must be a non-negative number, got -2 at bucket 0"):
        SeasonalBaseline().update(-2, pd.Timestamp("2026-01-05", tz="UTC"))
    with pytest.raises(DataError, match="DatetimeIndex"):
        SeasonalBaseline().fit(pd.Series([1.0, 2.0]))
    with pytest.raises(UsageError, match="'level_halflife' parameter must be a duration"):
        SeasonalBaseline(level_halflife="soon")
    with pytest.raises(NotFittedError, match="call fit"):
        SeasonalBaseline().predict()
    stream = SeasonalBaseline().update(1, pd.Timestamp("2026-01-05 10:00", tz="UTC"))
    with pytest.raises(DataError, match="time order"):
        stream.update(1, pd.Timestamp("2026-01-05 09:00", tz="UTC"))


def _flat(values: list[float] | np.ndarray) -> pd.Series:
    return _series(values, start="2026-01-05 10:00")


def test_anomalous_buckets_are_not_learned_for_at_most_freeze() -> None:
    values = np.r_[np.full(60, 2.0), np.full(60, 20.0)]
    flags = np.r_[np.zeros(60, bool), np.ones(60, bool)]
    frozen = SeasonalBaseline(lag=0, freeze="1h").fit(_flat(values), anomalous=flags).expected_
    learning = SeasonalBaseline(lag=0, freeze="1h").fit(_flat(values)).expected_
    np.testing.assert_allclose(frozen.iloc[61:73].to_numpy(), 2.0)  # one hour: frozen
    assert learning.iloc[72] > 2.5
    assert frozen.iloc[-1] > 2.5  # after ``freeze`` a lasting change is learned again
    with pytest.raises(DataError, match=r"anomalous must have one flag per bucket \(120\), got 3"):
        SeasonalBaseline().fit(_flat(values), anomalous=[True, False, True])


def test_the_onset_waiting_in_the_lag_is_dropped_when_flagged() -> None:
    values = np.r_[np.full(60, 2.0), np.full(10, 5.0), np.full(20, 30.0)]
    flags = np.r_[np.zeros(70, bool), np.ones(20, bool)]  # the alarm rose 10 buckets late
    with_lag = SeasonalBaseline(lag=12).fit(_flat(values), anomalous=flags).expected_
    no_lag = SeasonalBaseline(lag=0).fit(_flat(values), anomalous=flags).expected_
    assert with_lag.iloc[-1] == pytest.approx(2.0)  # the slow onset was never learned
    assert no_lag.iloc[-1] > 2.3  # without the lag it was


def test_judge_sees_each_expectation_before_the_bucket_is_learned() -> None:
    seen: list[tuple[float, float]] = []

    def judge(x: float, mu: float) -> bool:
        seen.append((x, mu))
        return x > 10

    base = SeasonalBaseline(lag=0).fit(_flat([2.0, 2.0, 40.0, 2.0]), judge=judge)
    assert seen == [(2.0, 0.0), (2.0, 2.0), (40.0, 2.0), (2.0, 2.0)]
    assert base.expected_.tolist() == [0.0, 2.0, 2.0, 2.0]
    with pytest.raises(UsageError, match="'lag' parameter must be an integer >= 0"):
        SeasonalBaseline(lag=-1)
    with pytest.raises(UsageError, match="'freeze' parameter must be a duration"):
        SeasonalBaseline(freeze="never")


def test_years_of_silence_leave_the_expected_rate_a_number() -> None:
    """An export of reviews from 2017 and 2025 (the shared app reviews): over the years
    between, the hourly means decay to ~1e-60 and the running sum of them was left with
    its rounding, -9e-17, which made the expected rate negative and ``score`` stop on
    "math domain error" when the next day's posts came."""
    from detector.incidents.tracker import track_series

    times = [
        "2017-10-31 21:59",
        "2017-11-25 23:42",
        "2025-03-20 11:33",
        "2025-03-21 10:13",
        "2025-03-25 00:09",
        "2025-03-25 08:45",
    ]
    out = track_series(times, [0, 1, 0, 0, 0, 0], [1] * 6, step="1min", peak_bucket="5min")
    assert len(out.steps) == 1880
    assert out.steps["expected"].min() == 0.0
    assert set(out.steps["status"]) == {"ok"}


def test_peak_expected_bounds_every_minute_of_the_week() -> None:
    """The bound that lets a tracker skip adding up a silence's expectation step by step
    is never below the expectation of any minute."""
    values = np.tile(np.r_[np.zeros(100), np.arange(188) % 7], 14)  # two weeks, 5-min steps
    base = SeasonalBaseline().fit(_series(values))
    start = pd.Timestamp("2026-01-19", tz="UTC")
    minutes = pd.date_range(start, periods=7 * 24 * 60, freq="1min")
    expected = np.array([base.expected(ts) for ts in minutes])
    assert expected.max() > 0.0
    assert base._peak_expected() >= expected.max()
    assert base._peak_expected() <= 1.05 * expected.max()  # and close to it
