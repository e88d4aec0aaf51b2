"""Count-level simulation: reproducible, the rhythm and outages it promises, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.errors import UsageError
from detector.simulate.rhythm import activity
from detector.simulate.shape import OutageShape
from detector.simulate.volume import simulate_counts, simulate_totals, simulate_volume


def test_same_seed_same_counts_and_truth() -> None:
    a, truth_a = simulate_counts(11)
    b, truth_b = simulate_counts(11)
    pd.testing.assert_series_equal(a, b)
    assert truth_a == truth_b


def test_different_seeds_differ() -> None:
    a, truth_a = simulate_counts(1)
    b, truth_b = simulate_counts(2)
    assert not a.equals(b)
    assert truth_a[0]["onset"] != truth_b[0]["onset"]


def test_index_is_regular_utc_buckets_over_the_requested_days() -> None:
    counts, _ = simulate_counts(0, days=3, bucket="10min")
    assert len(counts) == 3 * 144
    assert str(counts.index.tz) == "UTC"
    assert counts.index.freq == pd.Timedelta("10min")
    assert counts.index[0] == pd.Timestamp("2025-03-03", tz="UTC")
    assert counts.dtype == np.int64 and (counts >= 0).all()
    assert counts.name == "outage_posts"


def test_truth_entries_are_ordered_timestamps_after_the_first_day() -> None:
    counts, truth = simulate_counts(5, days=7, n_outages=3, rise=6)
    assert len(truth) == 3
    first_day_end = counts.index[0] + pd.Timedelta(days=1)
    for outage in truth:
        assert set(outage) == {"onset", "vendor_ack", "mitigated", "resolved", "rise", "baseline"}
        assert first_day_end <= outage["onset"] < outage["mitigated"] < outage["resolved"]
        ack_delay = outage["vendor_ack"] - outage["onset"]
        assert pd.Timedelta(minutes=30) <= ack_delay <= pd.Timedelta(minutes=90)
        assert outage["resolved"] <= counts.index[-1] + pd.Timedelta(minutes=5)
        assert outage["rise"] == 6.0
    onsets = [o["onset"] for o in truth]
    assert onsets == sorted(onsets)
    for earlier, later in zip(truth, truth[1:], strict=False):
        assert earlier["resolved"] <= later["onset"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_outage_plateau_is_far_above_the_same_hours_before(seed: int) -> None:
    counts, truth = simulate_counts(seed, days=6, n_outages=2, rise=10, base_rate=3)
    for outage in truth:
        plateau = counts[outage["onset"] + pd.Timedelta("20min") : outage["mitigated"]]
        day_before = counts[
            outage["onset"] - pd.Timedelta("1D") : outage["mitigated"] - pd.Timedelta("1D")
        ]
        assert plateau.mean() > 4 * max(day_before.mean(), 0.5)


def test_fast_rise_and_slow_decay() -> None:
    counts, truth = simulate_counts(4, days=5, n_outages=1, rise=20, base_rate=5)
    (outage,) = truth
    after_onset = counts[outage["onset"] : outage["onset"] + pd.Timedelta("30min")]
    assert after_onset.max() > 4 * outage["baseline"]  # high within half an hour
    tail = counts[outage["mitigated"] : outage["resolved"]]
    # decays over several buckets rather than dropping to baseline at once
    assert tail.iloc[: len(tail) // 3].mean() > tail.iloc[-(len(tail) // 3) :].mean()


def test_mean_is_about_base_rate_without_outages() -> None:
    counts, truth = simulate_counts(9, days=14, n_outages=0, base_rate=4.0)
    assert truth == []
    assert counts.mean() == pytest.approx(4.0, rel=0.08)  # bursts add a little


def test_daily_rhythm_night_low_day_high() -> None:
    counts, _ = simulate_counts(3, days=14, n_outages=0, base_rate=6.0)
    by_hour = counts.groupby(counts.index.hour).mean()
    assert by_hour.loc[[2, 3, 4]].mean() < 0.5 * by_hour.loc[[14, 15, 16]].mean()


def test_weekend_is_quieter_than_weekdays() -> None:
    stamps = pd.date_range("2025-03-10", periods=7 * 24, freq="1h", tz="UTC")
    level = pd.Series(activity(stamps), index=stamps)
    weekday = level[level.index.day_of_week < 5].mean()
    weekend = level[level.index.day_of_week >= 5].mean()
    assert weekend < 0.85 * weekday


def test_non_outage_bursts_exist_outside_outages() -> None:
    """Sporadic bursts are part of the baseline: some buckets far above the expectation."""
    counts, _ = simulate_counts(2, days=14, n_outages=0, base_rate=2.0)
    expected = 2.0 * activity(counts.index + pd.Timedelta("2.5min"))
    assert ((counts - expected) > 5 + 3 * np.sqrt(expected)).sum() >= 3


def test_totals_contain_the_complaints_and_more() -> None:
    counts, _ = simulate_counts(6, days=3, n_outages=1)
    totals = simulate_totals(6, days=3, n_outages=1)
    assert (totals >= counts).all()
    assert totals.sum() > 5 * counts.sum()
    frame, _ = simulate_volume(6, days=3, n_outages=1)
    pd.testing.assert_series_equal(frame["outage_posts"], counts)


def test_bucket_coarser_than_a_minute_and_finer() -> None:
    hourly, truth = simulate_counts(1, days=3, bucket="1h", n_outages=1)
    assert len(hourly) == 72 and len(truth) == 1
    fine, _ = simulate_counts(1, days=1.5, bucket="30s", n_outages=0)
    assert len(fine) == 1.5 * 24 * 120


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bucket": "fast"}, r"'bucket' parameter must be a fixed pandas offset.*Got 'fast'"),
        ({"bucket": "1ME"}, r"'bucket' parameter must be a fixed pandas offset.*Got '1ME'"),
        ({"days": 0}, r"'days' parameter must be > 0\. Got 0"),
        ({"days": 1, "n_outages": 1}, r"must be > 1 when n_outages > 0"),
        ({"days": 2, "n_outages": 20}, r"'n_outages' parameter \(20\) is too large for days=2"),
        ({"base_rate": -1}, r"'base_rate' parameter must be > 0\. Got -1"),
        ({"rise": 0.5}, r"'rise' parameter must be >= 1\. Got 0\.5"),
        ({"n_outages": -1}, r"'n_outages' parameter must be a non-negative integer\. Got -1"),
    ],
)
def test_bad_parameters_raise_usage_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        simulate_counts(0, **kwargs)


def test_negative_seed_is_refused() -> None:
    with pytest.raises(UsageError, match=r"'seed' parameter must be a non-negative integer"):
        simulate_counts(-3)


def test_outage_shape_levels() -> None:
    shape = OutageShape(
        pd.Timestamp("2025-03-12 14:00", tz="UTC"),
        rise_minutes=9,
        plateau_minutes=60,
        decay_minutes=20,
    )
    t = pd.DatetimeIndex(
        [
            "2025-03-12 13:59",
            "2025-03-12 14:03",
            "2025-03-12 14:30",
            "2025-03-12 15:29",
            "2025-03-12 15:29",
        ],
        tz="UTC",
    )
    level = shape.level(t)
    assert level[0] == 0.0
    assert 0.5 < level[1] < 0.9  # rising
    assert level[2] == pytest.approx(1.0, abs=1e-3)
    assert shape.mitigated == pd.Timestamp("2025-03-12 15:09", tz="UTC")
    # resolved when the excess is 5% of the plateau: 20 * ln(20) = 59.9 min after the fix
    assert shape.resolved == pd.Timestamp("2025-03-12 16:09", tz="UTC")
    assert shape.level(pd.DatetimeIndex([shape.resolved]))[0] == 0.0
