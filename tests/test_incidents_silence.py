"""Silences: missing data (an export or feed gap) is skipped, real quiet is judged as zeros."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.incidents.tracker import track_series

DAYS = pd.date_range("2026-01-05", periods=3 * 288, freq="5min", tz="UTC")


def _after_silence(hours: int, seed: int, **params: float) -> int:
    """Incidents starting in the day after *hours* without posts, at the usual rate."""
    rng = np.random.default_rng(seed)
    resumed = DAYS[:288] + pd.Timedelta(days=3, hours=hours)
    found = track_series(
        list(DAYS) + list(resumed),
        np.r_[rng.poisson(2.0, len(DAYS)), rng.poisson(2.0, 288)],
        step="5min",
        **params,
    ).incidents
    return sum(1 for inc in found if inc.started_at >= resumed[0])


@pytest.mark.parametrize("hours", [12, 23])
def test_the_usual_rate_after_a_gap_in_the_data_is_no_outage(hours: int) -> None:
    assert [_after_silence(hours, seed) for seed in range(6)] == [0] * 6
    # judged as zeros, the gap drags the baseline down and the usual rate looks like a rise
    zeros = [_after_silence(hours, seed, silence_posts=float("inf")) for seed in range(6)]
    assert sum(zeros) >= 3


def test_a_quiet_night_at_the_nightly_rate_is_judged_as_zeros() -> None:
    """Nights with almost no posts are the service's rhythm, not missing data."""
    rng = np.random.default_rng(0)
    days = pd.date_range("2026-01-05", periods=6 * 288, freq="5min", tz="UTC")
    day = (days.hour >= 7) & (days.hour < 23)
    counts = rng.poisson(np.where(day, 2.0, 0.01))
    keep = counts > 0
    out = track_series(days[keep], counts[keep], step="5min")
    judged = set(out.steps["at"])
    last_night = days[(days >= "2026-01-10 00:00") & (days < "2026-01-10 06:00")]
    assert set(last_night) <= judged  # every night step was judged (as zeros)
    always_zeros = track_series(days[keep], counts[keep], step="5min", silence_posts=np.inf)
    pd.testing.assert_frame_equal(out.steps, always_zeros.steps)
    assert out.incidents == always_zeros.incidents


def test_a_young_baseline_keeps_judging_its_silences() -> None:
    """Five busy minutes, then an hour of silence: the silence is real (zeros)."""
    times = list(pd.date_range("2026-01-05 10:00", periods=5, freq="1min", tz="UTC"))
    times += list(pd.date_range("2026-01-05 11:05", periods=5, freq="1min", tz="UTC"))
    out = track_series(times, [3] * 10, step="1min")
    assert len(out.steps) == 70  # 5 + 60 silent minutes + 5
