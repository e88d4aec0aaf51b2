"""Count-level simulation: complaint counts per bucket with known outages.

For detection benchmarks and tuning that do not need post texts. Like
``ruptures.pw_constant``, the generator returns the data and its ground truth:

>>> counts, truth = simulate_counts(7, days=3, n_outages=1)
>>> len(counts), str(counts.index.freq), str(counts.index.tz)
(864, '<5 * Minutes>', 'UTC')
>>> sorted(truth[0])
['baseline', 'mitigated', 'onset', 'resolved', 'rise', 'vendor_ack']
>>> bool(truth[0]["onset"] >= counts.index[0] + pd.Timedelta(days=1))
True

The baseline follows a daily and weekly rhythm (see :mod:`detector.simulate.rhythm`)
around ``base_rate`` complaints per bucket on average. Sporadic short bursts that
are *not* outages are added (a user venting in a thread, a local ISP glitch), so a
detector that fires on any jump is punished. Outages multiply the baseline by
``rise`` on their plateau (:mod:`detector.simulate.shape`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector.errors import UsageError
from detector.series.buckets import bucket_width
from detector.simulate.rhythm import activity
from detector.simulate.shape import place_outages

#: Default first bucket: a Monday, so weekly rhythm starts at the week's start.
DEFAULT_START = pd.Timestamp("2025-03-03 00:00", tz="UTC")
#: Non-outage bursts per day (on average).
BURSTS_PER_DAY = 1.5
#: All posts per outage complaint in normal times (the ``totals`` series).
TOTAL_RATIO = 12.0


@dataclass(frozen=True)
class _Grid:
    """Fine time grid on which intensities are evaluated, and its bucket grouping."""

    buckets: pd.DatetimeIndex
    fine: pd.DatetimeIndex
    per_bucket: int  # fine steps per bucket


def _grid(start: pd.Timestamp, days: float, bucket: str) -> _Grid:
    step = bucket_width(bucket)
    n_buckets = int(math.floor(pd.Timedelta(days=days) / step))
    if n_buckets < 1:
        raise UsageError(f"The 'days' parameter ({days}) is shorter than one bucket ({bucket!r}).")
    minute = pd.Timedelta(minutes=1)
    fine_step = minute if step >= minute and step % minute == pd.Timedelta(0) else step
    per_bucket = int(step / fine_step)
    buckets = pd.date_range(start, periods=n_buckets, freq=step)
    fine = pd.date_range(start, periods=n_buckets * per_bucket, freq=fine_step)
    # evaluate at the middle of each fine step
    fine = fine + fine_step / 2
    return _Grid(buckets=buckets, fine=fine, per_bucket=per_bucket)


def _per_bucket(grid: _Grid, values: np.ndarray) -> np.ndarray:
    return values.reshape(-1, grid.per_bucket).sum(axis=1)


def _bursts(
    rng: np.random.Generator, grid: _Grid, baseline_fine: np.ndarray, days: float
) -> np.ndarray:
    """Extra expected counts of short non-outage bursts on the fine grid."""
    extra = np.zeros(len(grid.fine))
    n = int(rng.poisson(BURSTS_PER_DAY * days))
    if n == 0:
        return extra
    starts = rng.integers(0, len(grid.fine), size=n)
    fine_minutes = (grid.fine[1] - grid.fine[0]).total_seconds() / 60 if len(grid.fine) > 1 else 1
    for s in starts:
        length = max(int(round(rng.uniform(4, 15) / fine_minutes)), 1)
        # a handful of posts on top of the local baseline, spread over the burst
        posts = float(rng.uniform(3, 8)) + float(rng.uniform(1, 3)) * baseline_fine[s] * length
        extra[s : s + length] += posts / len(extra[s : s + length])
    return extra


def simulate_volume(
    seed: int,
    *,
    days: float = 7,
    bucket: str = "5min",
    base_rate: float = 2.0,
    rise: float = 8.0,
    n_outages: int = 2,
    start: pd.Timestamp | str = DEFAULT_START,
) -> tuple[pd.DataFrame, list[dict]]:
    """Outage-complaint counts and all-post counts per bucket, with the truth.

    Returns a frame indexed by bucket start (UTC) with ``outage_posts`` (as
    :func:`simulate_counts`) and ``all_posts`` (outage posts plus other chatter
    at about :data:`TOTAL_RATIO` times the complaint rate, with its own bursts),
    and the list of outages as in :func:`simulate_counts`.

    >>> frame, truth = simulate_volume(1, days=2, n_outages=1)
    >>> list(frame.columns), bool((frame.all_posts >= frame.outage_posts).all())
    (['outage_posts', 'all_posts'], True)
    """
    _check(seed=seed, days=days, base_rate=base_rate, rise=rise, n_outages=n_outages)
    start = pd.Timestamp(start)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    grid = _grid(start, days, bucket)
    outage_rng, complaint_rng, other_rng, burst_rng, chatter_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    shapes = place_outages(outage_rng, start, days, n_outages)
    # the vendor acknowledges 30-90 min after onset, never after the fix is in
    acks = [
        float(outage_rng.uniform(30, max(30.0, min(90.0, s.rise_minutes + s.plateau_minutes))))
        for s in shapes
    ]

    base_fine = base_rate / grid.per_bucket * activity(grid.fine)
    expected = base_fine.copy()
    for shape in shapes:
        expected += (rise - 1.0) * base_fine * shape.level(grid.fine)
    expected += _bursts(burst_rng, grid, base_fine, days)
    outage_posts = complaint_rng.poisson(_per_bucket(grid, expected))

    chatter_fine = TOTAL_RATIO * base_fine
    chatter_fine = chatter_fine + _bursts(chatter_rng, grid, chatter_fine, days) * 2
    other_posts = other_rng.poisson(_per_bucket(grid, chatter_fine))

    frame = pd.DataFrame(
        {"outage_posts": outage_posts.astype("int64"), "all_posts": outage_posts + other_posts},
        index=pd.DatetimeIndex(grid.buckets, name="bucket_start"),
    )
    frame.index.freq = grid.buckets.freq
    bucket_base = base_rate * activity(grid.buckets + (grid.buckets[1] - grid.buckets[0]) / 2)
    truth = []
    for shape, ack in zip(shapes, acks, strict=True):
        at = grid.buckets.searchsorted(shape.onset, side="right") - 1
        truth.append(
            {
                "onset": shape.onset,
                "vendor_ack": (shape.onset + pd.Timedelta(minutes=ack)).floor("min"),
                "mitigated": shape.mitigated.floor("min"),
                "resolved": shape.resolved,
                "rise": float(rise),
                "baseline": float(bucket_base[max(at, 0)]),
            }
        )
    return frame, truth


def simulate_counts(
    seed: int,
    *,
    days: float = 7,
    bucket: str = "5min",
    base_rate: float = 2.0,
    rise: float = 8.0,
    n_outages: int = 2,
) -> tuple[pd.Series, list[dict]]:
    """Outage-complaint counts per bucket and the outages behind them.

    The Series (name ``outage_posts``, UTC DatetimeIndex of bucket starts with a
    regular ``freq``) is Poisson around ``base_rate`` per bucket on average, with
    a daily and weekly rhythm, sporadic short bursts that are not outages, and
    ``n_outages`` outages at ``rise`` times the baseline (fast rise, plateau, slow
    decay), never in the first day. Each truth entry has ``onset``,
    ``vendor_ack`` (30-90 min after onset), ``mitigated``, ``resolved`` (all
    ``pd.Timestamp`` in UTC), ``rise`` and ``baseline`` (the expected count per
    bucket at onset without the outage). Same seed, same output.

    >>> counts, truth = simulate_counts(0, days=4, n_outages=2, rise=10)
    >>> [bool(counts[t["onset"] + pd.Timedelta("20min"):t["mitigated"]].mean()
    ...       > 4 * counts[:t["onset"]].mean()) for t in truth]
    [True, True]
    >>> simulate_counts(0, days=4)[0].equals(counts)
    False
    >>> simulate_counts(0, days=4, n_outages=2, rise=10)[0].equals(counts)
    True
    """
    frame, truth = simulate_volume(
        seed, days=days, bucket=bucket, base_rate=base_rate, rise=rise, n_outages=n_outages
    )
    return frame["outage_posts"], truth


def simulate_totals(
    seed: int,
    *,
    days: float = 7,
    bucket: str = "5min",
    base_rate: float = 2.0,
    rise: float = 8.0,
    n_outages: int = 2,
) -> pd.Series:
    """All-post counts per bucket matching :func:`simulate_counts` with the same arguments.

    >>> counts, _ = simulate_counts(3, days=2, n_outages=1)
    >>> totals = simulate_totals(3, days=2, n_outages=1)
    >>> bool((totals >= counts).all()), totals.name
    (True, 'all_posts')
    """
    frame, _ = simulate_volume(
        seed, days=days, bucket=bucket, base_rate=base_rate, rise=rise, n_outages=n_outages
    )
    return frame["all_posts"]


def _check(*, seed: int, days: float, base_rate: float, rise: float, n_outages: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"The 'seed' parameter must be a non-negative integer. Got {seed!r}.")
    if not days > 0:
        raise UsageError(f"The 'days' parameter must be > 0. Got {days!r} instead.")
    if n_outages and days <= 1:
        raise UsageError(
            f"The 'days' parameter must be > 1 when n_outages > 0 (the first day is "
            f"outage-free history). Got days={days!r}, n_outages={n_outages!r}."
        )
    if not base_rate > 0:
        raise UsageError(f"The 'base_rate' parameter must be > 0. Got {base_rate!r} instead.")
    if not rise >= 1:
        raise UsageError(f"The 'rise' parameter must be >= 1. Got {rise!r} instead.")
    if isinstance(n_outages, bool) or not isinstance(n_outages, (int, np.integer)) or n_outages < 0:
        raise UsageError(
            f"The 'n_outages' parameter must be a non-negative integer. Got {n_outages!r}."
        )


__all__ = ["DEFAULT_START", "simulate_counts", "simulate_totals", "simulate_volume"]
