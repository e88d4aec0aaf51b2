"""What a user's own series may hold: the checks every door runs before detecting.

``detect-series`` (a file) and ``POST /v1/detect`` (a posted series) refuse the same
series with the same words: a value too large to compute with (:func:`too_large`), and
a bucket finer than the series' own regular spacing (:func:`finer_spacing`).

>>> too_large(np.array([3.0, -2e100, np.nan, 1e101, np.inf])).tolist()
[1, 3]
>>> times = pd.date_range("2026-01-01", periods=4, freq="5min", tz="UTC")
>>> finer_spacing(times, pd.Timedelta("1min")), finer_spacing(times, pd.Timedelta("5min"))
(Timedelta('0 days 00:05:00'), None)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from detector.errors import UsageError

#: Largest size of a value read (larger ones are refused, naming the row): the models
#: square values and sum them over the whole series, which must stay within 64-bit
#: floats (1.8e308) for every value and bucket count.
MAX_MAGNITUDE = 1e100


def too_large(numbers: np.ndarray) -> np.ndarray:
    """Positions of the finite *numbers* larger than :data:`MAX_MAGNITUDE` in size."""
    return np.flatnonzero(np.isfinite(numbers) & (np.abs(numbers) > MAX_MAGNITUDE))


def too_large_message(name: str, written: str, count: int, *, unit: str = "row") -> str:
    """Why the value *written* of *name* (the first of *count* such *unit* s) is refused.

    >>> too_large_message("value", "1e300", 1)  # doctest: +NORMALIZE_WHITESPACE
    "'value' is too large to compute with: '1e300' (1 such row(s)); values up to 1e+100 in
    size are read (the models square and sum them in 64-bit floats): drop or clear the row
    if it is a placeholder or an overflow"
    """
    return (
        f"{name!r} is too large to compute with: {written!r} ({count} such {unit}(s)); "
        f"values up to {MAX_MAGNITUDE:g} in size are read (the models square and sum them "
        f"in 64-bit floats): drop or clear the {unit} if it is a placeholder or an overflow"
    )


def finer_spacing(times: pd.DatetimeIndex, step: pd.Timedelta) -> pd.Timedelta | None:
    """The common spacing of the regular *times* when the bucket width *step* is finer
    than it, else ``None``: a row holds the value of its whole spacing (5-minute counts),
    which no finer bucket can split (the buckets between rows would be read as missing
    and carried forward: every count copied into each of them). Irregular times have no
    such spacing and are left to the bucketing."""
    from detector.incidents.detect import _spacing, infer_bucket

    distinct = times.unique().sort_values()
    if len(distinct) < 2:
        return None
    regular, _ = _spacing(distinct)
    if not regular:
        return None
    spacing = infer_bucket(distinct)
    return spacing if step < spacing else None


def finer_bucket_message(
    bucket: str | None, spacing: pd.Timedelta, *, name: str = "--bucket", unit: str = "row"
) -> str:
    """Why the bucket *bucket* (option or field *name*) finer than *spacing* is refused.

    >>> finer_bucket_message("1min", pd.Timedelta("5min"))  # doctest: +NORMALIZE_WHITESPACE
    "--bucket 1min is finer than the series' own spacing (5min): a row's value cannot be
    split into finer buckets (the ones between rows would be missing values, counts copied
    into them); give --bucket 5min or wider, or leave it out"
    """
    from detector.incidents.detect import _width

    return (
        f"{name} {bucket} is finer than the series' own spacing ({_width(spacing)}): a "
        f"{unit}'s value cannot be split into finer buckets (the ones between {unit}s would "
        f"be missing values, counts copied into them); give {name} {_width(spacing)} or "
        "wider, or leave it out"
    )


def refuse_finer_bucket(
    times: pd.DatetimeIndex, step: pd.Timedelta, bucket: str | None, source: Path
) -> None:
    """UsageError when the ``--bucket`` width *step* is finer than the common spacing of
    the regular *times* (:func:`finer_spacing`), naming the file *source*.

    >>> times = pd.date_range("2026-01-01", periods=4, freq="5min", tz="UTC")
    >>> refuse_finer_bucket(times, pd.Timedelta("1min"), "1min", Path("x.csv"))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    detector.errors.UsageError: x.csv: --bucket 1min is finer than the series' own spacing (5min)...
    >>> refuse_finer_bucket(times, pd.Timedelta("15min"), "15min", Path("x.csv"))
    """
    spacing = finer_spacing(times, step)
    if spacing is not None:
        raise UsageError(f"{source}: {finer_bucket_message(bucket, spacing)}")
