"""The Numenta Anomaly Benchmark (NAB v1) score of a detector's detections.

A detection is a row where the detector raises an alarm (use the rising edge of a
sustained alarm: NAB charges every flagged row outside a window). Per series:

* the first ``min(floor(0.15 n), 750)`` rows are a probation period: ignored;
* the first detection inside a labelled window ``[l, r]`` of ``W`` rows earns
  ``A_TP * sigma(-(r - i + 1) / W) / sigma(-1)`` with
  ``sigma(y) = 2 / (1 + exp(5 y)) - 1`` (1.0 at the window start, 0 at its end);
  later detections in the same window count for nothing;
* a window without a detection costs ``A_FN``;
* a detection outside every window costs ``A_FP`` (before the first window),
  or ``-A_FP * sigma((i - r_prev) / (W_prev - 1))`` after a window (almost free
  right after it, the full ``A_FP`` three window-widths later).

The corpus score sums the raw scores of all series and normalises them so that
detecting nothing scores 0 and detecting every window at its start scores 100:
``100 * (S - S_null) / (S_perfect - S_null)``.

>>> import pandas as pd
>>> times = pd.date_range("2015-03-01", periods=1000, freq="5min")
>>> windows = [(times[600], times[699])]
>>> hit = [False] * 1000; hit[600] = True
>>> s = score_series(hit, times, windows)
>>> round(s.raw, 4), s.windows_detected
(1.0, 1)
>>> round(normalized_score([s]), 1), round(normalized_score([score_series([False] * 1000, times, windows)]), 1)
(100.0, 0.0)
"""  # noqa: E501

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from detector.errors import DataError, InputMissingError, UsageError

#: NAB's application profiles (weights of true positives, false positives, false negatives).
PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}

#: NAB's probation: this share of each file, at most :data:`PROBATION_MAX` rows.
PROBATION_SHARE = 0.15
PROBATION_MAX = 750


def sigma(y: float) -> float:
    """NAB's scaled sigmoid ``2 / (1 + exp(5 y)) - 1`` (values in (-1, 1)).

    >>> round(sigma(-1.0), 5), sigma(0.0), round(sigma(1.0), 5)
    (0.98661, 0.0, -0.98661)
    """
    if y > 3.0:  # NAB: far past a window, the full false-positive cost
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation_rows(n_rows: int) -> int:
    """Rows at the start of a series that NAB ignores.

    >>> probation_rows(1000), probation_rows(15902)
    (150, 750)
    """
    return min(math.floor(PROBATION_SHARE * n_rows), PROBATION_MAX)


def rising_edges(alarm: Sequence[bool] | np.ndarray) -> np.ndarray:
    """Rows where an alarm goes up (the detections to score).

    >>> rising_edges([False, True, True, False, True]).tolist()
    [False, True, False, False, True]
    """
    on = np.asarray(alarm, dtype=bool)
    edges = on.copy()
    edges[1:] &= ~on[:-1]
    return edges


@dataclass
class SeriesScore:
    """NAB result of one series under one profile."""

    raw: float
    n_windows: int
    windows_detected: int
    false_positives: int
    #: row of the first detection in each window (None if missed)
    first_detection: list[int | None] = field(default_factory=list)
    #: (first row, last row) of each window
    window_rows: list[tuple[int, int]] = field(default_factory=list)
    #: rows of detections outside every window (after probation)
    false_positive_rows: list[int] = field(default_factory=list)
    profile: str = "standard"


def window_rows(
    timestamps: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    windows: Iterable[tuple[object, object]],
) -> list[tuple[int, int]]:
    """Row ranges ``(first, last)`` of windows given as ``(start, end)`` times (inclusive)."""
    index = pd.DatetimeIndex(timestamps)
    rows = []
    for start, end in windows:
        lo = int(index.searchsorted(pd.Timestamp(start), side="left"))
        hi = int(index.searchsorted(pd.Timestamp(end), side="right")) - 1
        if hi >= lo:
            rows.append((lo, hi))
    return rows


def score_series(
    detections: Sequence[bool] | np.ndarray,
    timestamps: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    windows: Iterable[tuple[object, object]],
    profile: str = "standard",
) -> SeriesScore:
    """Raw NAB score of one series' ``detections`` (a bool per row)."""
    if profile not in PROFILES:
        raise UsageError(
            f"The 'profile' parameter must be one of {', '.join(PROFILES)}. Got {profile!r}."
        )
    weights = PROFILES[profile]
    flags = np.asarray(detections, dtype=bool)
    if len(flags) != len(timestamps):
        raise DataError(
            f"detections ({len(flags)} rows) and timestamps ({len(timestamps)}) differ in length."
        )
    rows = window_rows(timestamps, windows)
    probation = probation_rows(len(flags))
    norm = sigma(-1.0)
    raw = 0.0
    first: list[int | None] = [None] * len(rows)
    fps: list[int] = []
    w = 0  # index of the current or next window
    for i in np.flatnonzero(flags).tolist():
        if i < probation:
            continue
        while w < len(rows) and rows[w][1] < i:
            w += 1
        if w < len(rows) and rows[w][0] <= i:
            if first[w] is None:
                lo, hi = rows[w]
                first[w] = i
                raw += weights["tp"] * sigma(-(hi - i + 1) / (hi - lo + 1)) / norm
            continue
        fps.append(i)
        if w > 0:
            lo, hi = rows[w - 1]
            width = hi - lo + 1
            position = abs(i - hi) / (width - 1) if width > 1 else math.inf
            raw += weights["fp"] * sigma(position)
        else:
            raw -= weights["fp"]
    missed = sum(1 for f in first if f is None)
    raw -= weights["fn"] * missed
    return SeriesScore(
        raw=raw,
        n_windows=len(rows),
        windows_detected=len(rows) - missed,
        false_positives=len(fps),
        first_detection=first,
        window_rows=rows,
        false_positive_rows=fps,
        profile=profile,
    )


def normalized_score(scores: Iterable[SeriesScore]) -> float:
    """Corpus NAB score: 0 for the null detector, 100 for the perfect one."""
    scores = list(scores)
    if not scores:
        raise DataError("normalized_score needs at least one scored series.")
    profiles = {s.profile for s in scores}
    if len(profiles) != 1:
        raise DataError(f"All series must be scored with one profile, got {sorted(profiles)}.")
    weights = PROFILES[profiles.pop()]
    n_windows = sum(s.n_windows for s in scores)
    perfect = weights["tp"] * n_windows
    null = -weights["fn"] * n_windows
    if perfect == null:
        return 0.0
    total = sum(s.raw for s in scores)
    return 100.0 * (total - null) / (perfect - null)


def read_nab(directory: str | Path) -> dict[str, dict[str, object]]:
    """Read NAB series from ``directory``: ``{file: {"values", "windows", "labels"}}``.

    ``values`` is a Series indexed by timestamp; ``windows`` a list of
    ``(start, end)`` Timestamps (from ``windows.json``); ``labels`` the labelled
    anomaly times (from ``labels.json``, empty when that file is absent).
    """
    directory = Path(directory)
    windows_file = directory / "windows.json"
    if not windows_file.is_file():
        raise InputMissingError(f"NAB windows file not found: {windows_file}")
    windows = json.loads(windows_file.read_text())
    labels_file = directory / "labels.json"
    labels = json.loads(labels_file.read_text()) if labels_file.is_file() else {}
    out: dict[str, dict[str, object]] = {}
    for name in sorted(windows):
        path = directory / name
        if not path.is_file():
            raise InputMissingError(f"NAB series listed in windows.json not found: {path}")
        frame = pd.read_csv(path, parse_dates=["timestamp"])
        out[name] = {
            "values": frame.set_index("timestamp")["value"],
            "windows": [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows[name]],
            "labels": [pd.Timestamp(t) for t in labels.get(name, [])],
        }
    return out


__all__ = [
    "PROBATION_MAX",
    "PROBATION_SHARE",
    "PROFILES",
    "SeriesScore",
    "normalized_score",
    "probation_rows",
    "read_nab",
    "rising_edges",
    "score_series",
    "sigma",
    "window_rows",
]
