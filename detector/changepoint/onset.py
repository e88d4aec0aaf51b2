"""Onset and recovery of an excursion: the change points around an alarm.

An alarm says *that* the volume is above its baseline; the onset says *since when*.
With counts ``y_t`` and the baseline's expectation ``b_t`` (``y_t ~ Poisson(lam b_t)``),
the onset is the split of the stretch before the alarm, ``[lo, end]``, into a part at
one rate and a later part at a higher rate that fits best (the maximum-likelihood
change point, a Poisson deviance gain per candidate ``tau``, all from prefix sums).
The rate before the onset is free rather than fixed at the baseline's, so a baseline
a few percent off over a long stretch at high traffic does not pull the onset back
(with the rate fixed at 1 it did, by up to the whole lookback). No data after
``end`` is used: in online mode ``end`` is the alarm bucket itself, so ``started_at``
is known at detection time.

Recovery is the mirror image: the split of ``[onset, end]`` into an elevated part
and a part back at the baseline (``lam = 1``) that fits best.

>>> import numpy as np
>>> y = np.array([2, 1, 3, 2, 2, 1, 2, 9, 12, 11, 10, 2, 1, 2, 3])
>>> b = np.full(15, 2.0)
>>> estimate_onset(y, b, alarm_index=9)
7
>>> estimate_recovery(y, b, onset=7, end=14)
11
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detector.errors import DataError, UsageError

#: Buckets before the alarm searched for the onset (12 h at 5-minute buckets).
DEFAULT_LOOKBACK = 144
#: Floor on the baseline's expectation, so that a young, empty history stays usable.
MIN_EXPECTED = 0.1


def _arrays(counts: Any, baseline: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(counts, dtype=float).reshape(-1)
    b = np.asarray(baseline, dtype=float).reshape(-1)
    if y.shape != b.shape:
        raise DataError(
            f"counts and baseline must have the same length. Got {y.size} and {b.size}."
        )
    if not (np.isfinite(y).all() and np.isfinite(b).all()):
        raise DataError("counts and baseline must be finite numbers (no NaN or inf).")
    if (y < 0).any():
        raise DataError(f"counts must be non-negative. Got a minimum of {y.min():g}.")
    return y, np.maximum(b, MIN_EXPECTED)


def _check_index(name: str, value: int, n: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < n:
        raise UsageError(f"The '{name}' parameter must be an index in [0, {n}). Got {value!r}.")
    return int(value)


def estimate_onset(
    counts: Any,
    baseline: Any,
    alarm_index: int,
    *,
    end: int | None = None,
    lookback: int = DEFAULT_LOOKBACK,
    not_before: int = 0,
) -> int:
    """Index of the bucket where the excursion that raised the alarm began.

    Parameters
    ----------
    counts, baseline: counts per bucket and the expected count per bucket.
    alarm_index: the bucket at which the alarm was raised.
    end: last bucket whose data may be used (default: ``alarm_index``, as online);
        a later ``end`` refines the estimate once more of the excursion is known.
    lookback: how many buckets before the alarm are searched.
    not_before: the search starts here (e.g. the end of the previous incident): the
        onset is placed in ``(max(not_before, alarm_index - lookback), alarm_index]``.
    """
    y, b = _arrays(counts, baseline)
    alarm = _check_index("alarm_index", alarm_index, len(y))
    last = alarm if end is None else _check_index("end", end, len(y))
    if last < alarm:
        raise UsageError(f"The 'end' parameter ({last}) must be >= alarm_index ({alarm}).")
    if lookback < 0:
        raise UsageError(f"The 'lookback' parameter must be >= 0. Got {lookback!r}.")
    lo = max(0, not_before, alarm - lookback)
    if lo >= alarm:
        return alarm
    scores = split_scores(y, b, lo, last)[: alarm - lo]  # onsets lo+1 .. alarm
    if not scores.any():
        return alarm
    return lo + 1 + int(np.argmax(scores))  # the earliest of equally good onsets


def split_scores(y: np.ndarray, b: np.ndarray, lo: int, end: int) -> np.ndarray:
    """Deviance gain of splitting ``[lo, end]`` at ``tau`` into a lower and a higher rate.

    One value per ``tau`` in ``lo+1 .. end``; 0 where the rate after ``tau`` (relative
    to the baseline) is not higher than before it. Both rates are free, so a baseline
    that is a few percent off over a long stretch does not pull the onset back.
    """
    ys, bs = y[lo : end + 1], b[lo : end + 1]
    cs, cb = np.r_[0.0, np.cumsum(ys)], np.r_[0.0, np.cumsum(bs)]
    k = np.arange(1, len(ys))
    left_s, left_b = cs[k], cb[k]
    right_s, right_b = cs[-1] - cs[k], cb[-1] - cb[k]
    with np.errstate(divide="ignore", invalid="ignore"):

        def xlogx(s: np.ndarray, e: np.ndarray) -> np.ndarray:
            return np.where(s > 0, s * np.log(s / e), 0.0)

        gain = xlogx(left_s, left_b) + xlogx(right_s, right_b) - xlogx(cs[-1:], cb[-1:])
        rising = right_s / right_b > left_s / left_b
    return np.where(rising, gain, 0.0)


def estimate_recovery(counts: Any, baseline: Any, onset: int, end: int) -> int:
    """First bucket back at the baseline after an excursion that began at ``onset``.

    ``[onset, end]`` is split into an elevated segment (its own rate) and a segment at
    the baseline (rate 1); the split of highest likelihood is returned. Returns
    ``end + 1`` when the data up to ``end`` show no return yet.
    """
    y, b = _arrays(counts, baseline)
    start = _check_index("onset", onset, len(y))
    last = _check_index("end", end, len(y))
    if last < start:
        raise UsageError(f"The 'end' parameter ({last}) must be >= onset ({start}).")
    ys, bs = y[start : last + 1], b[start : last + 1]
    # log-likelihood, up to terms common to every split: the left part [start, r) at its
    # own rate S/B gives S log(S/B) - S, the right part [r, last] at rate 1 gives -B.
    cs = np.r_[0.0, np.cumsum(ys)]
    cb = np.r_[0.0, np.cumsum(bs)]
    r = np.arange(1, len(ys) + 1)  # split offsets; r == len(ys): nothing back yet
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(cs[r] > 0, cs[r] * np.log(cs[r] / cb[r]), 0.0) - cs[r]
    total = left - (cb[-1] - cb[r])
    best = int(np.argmax(total))  # the earliest of equally good splits
    return start + int(r[best])


__all__ = [
    "DEFAULT_LOOKBACK",
    "MIN_EXPECTED",
    "estimate_onset",
    "estimate_recovery",
    "split_scores",
]
