"""A step that holds most of its window's posts: one poster, or a spike no poster makes.

The alarm refuses a window whose busiest step holds more than half its posts (one user
venting in a thread), unless that step alone holds ``spike_posts`` or more and is far
beyond 10 times its expectation: NAB realTweets KO's labelled anomaly is 186 then 2,241
tweets in two 5-minute buckets against ~11.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.incidents.tracker import track_series


def _spiked(spike: list[float], base: float, step: str, seed: int = 0) -> tuple:
    n = 3 * 288 if step == "5min" else 3 * 1440
    index = pd.date_range("2015-04-11", periods=n, freq=step, tz="UTC")
    counts = np.random.default_rng(seed).poisson(base, n).astype(float)
    at = n - 100
    counts[at : at + len(spike)] = spike
    return index, counts, index[at]


def test_a_spike_no_poster_makes_raises_the_alarm() -> None:
    index, counts, at = _spiked([2241.0], 11.0, "5min")
    found = track_series(index, counts, step="5min").incidents
    assert [(i.started_at, i.detected_at) for i in found] == [(at, at)]
    # without the rule no window holds twice the spike's posts: never raised
    assert track_series(index, counts, step="5min", spike_posts=0).incidents == []


@pytest.mark.parametrize("spike", [[12.0], [30.0, 45.0]])
def test_one_poster_venting_is_still_no_outage(spike: list[float]) -> None:
    # a few posts a minute over a quiet minute rate: fewer than spike_posts, or under 10x
    index, counts, _ = _spiked(spike, 0.5 if len(spike) == 1 else 6.0, "1min")
    assert track_series(index, counts, step="1min").incidents == []


def test_spike_posts_is_checked() -> None:
    with pytest.raises(Exception, match="'spike_posts' parameter must be a number >= 0"):
        track_series([0], [1.0], step="1min", spike_posts=-1)


@pytest.mark.parametrize(("step", "periods"), [("1D", 60), ("1h", 24 * 14), ("30min", 48 * 14)])
def test_a_coarse_step_holds_many_posters_so_an_outage_is_raised_in_its_first_step(
    step: str, periods: int
) -> None:
    # an hour or a day of posts is no single poster's burst: a two-step outage at 8x over
    # about 5 posts a step is raised in its first step (a day's steps missed it outright:
    # no window held twice its busiest day's posts)
    index = pd.date_range("2026-01-01", periods=periods, freq=step, tz="UTC")
    counts = np.random.default_rng(0).poisson(5.0, periods).astype(float)
    at = int(periods * 0.7)
    counts[at] += 35.0
    counts[at + 1] += 30.0
    found = track_series(index, counts, step=step).incidents
    assert [(i.started_at, i.detected_at) for i in found] == [(index[at], index[at])]
