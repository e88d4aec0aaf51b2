"""Bucket widths: the one parser of ``'5min'``-style options used across the package.

>>> bucket_width("15min")
Timedelta('0 days 00:15:00')
>>> bucket_width("fast")
Traceback (most recent call last):
...
detector.errors.UsageError: The 'bucket' parameter must be a fixed pandas offset like '5min' or '1h'. Got 'fast' instead.
"""  # noqa: E501

from __future__ import annotations

import pandas as pd
from pandas.tseries.frequencies import to_offset

from detector.errors import UsageError


def bucket_width(bucket: object, *, name: str = "The 'bucket' parameter") -> pd.Timedelta:
    """*bucket* as a positive Timedelta, else :class:`UsageError` naming *name*.

    Accepts fixed pandas offsets (``'1min'``, ``'5min'``, ``'1h'``) and Timedeltas;
    calendar offsets such as ``'1ME'`` (a month has no fixed width) are refused.
    """
    try:
        step = bucket if isinstance(bucket, pd.Timedelta) else pd.Timedelta(to_offset(bucket))
    except (ValueError, TypeError, OverflowError):
        step = None
    if step is None or pd.isna(step) or step <= pd.Timedelta(0):
        raise UsageError(
            f"{name} must be a fixed pandas offset like '5min' or '1h'. Got {bucket!r} instead."
        )
    return step


def bucket_seconds(bucket: object, *, name: str = "The 'bucket' parameter") -> int:
    """*bucket* in whole seconds that divide a day (or whole days), else :class:`UsageError`.

    The width of stored buckets (the live API's database), which must tile days exactly.

    >>> bucket_seconds("1min"), bucket_seconds("1D")
    (60, 86400)
    >>> bucket_seconds("7min")
    Traceback (most recent call last):
    ...
    detector.errors.UsageError: The 'bucket' parameter must be a duration like '5min' (whole seconds that divide a day, or whole days). Got '7min' instead.
    """  # noqa: E501
    message = (
        f"{name} must be a duration like '5min' (whole seconds that divide a day, or whole "
        f"days). Got {bucket!r} instead."
    )
    try:
        seconds = bucket_width(bucket, name=name).total_seconds()
    except UsageError:
        raise UsageError(message) from None
    if seconds < 1 or seconds != int(seconds) or (86400 % seconds and seconds % 86400):
        raise UsageError(message)
    return int(seconds)
