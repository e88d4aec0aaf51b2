"""Parse post times of any usual export format into UTC, without guessing.

Accepted: ISO 8601 with or without a zone (a time without a zone is taken as
UTC), epoch seconds / milliseconds / microseconds (numbers or numeric strings; the
unit is decided per value by magnitude: below 1e11 seconds, below 1e14
milliseconds, below 1e17 microseconds; so millisecond times before March 1973
are out of reach), RFC 2822 (``Wed, 10 Oct 2018 20:19:24 +0000``), the X legacy
format (``Wed Oct 10 20:19:24 +0000 2018``), and numeric dates with the year
last (``M/D/YYYY [hh:mm[:ss]]``, ``DD-MM-YYYY``, ...) or first (``YYYY/MM/DD``).
Day and month order is taken from the data: the order that parses most of a
sample of the column wins; only when both parse all of it (no day above 12 in
the sample) does the convention decide: month first with slashes (US exports),
day first with dashes.

The whole column is parsed at once with the format that fits a sample best
(vectorised ``pd.to_datetime``); only the rows that format fails on go through
the per-value fallback, which tries every format above. Rows still failing get a
reason (``missing time`` / ``unparseable time '...'`` / ``time out of range '...'``)
and are quarantined by the caller.

>>> times, reasons = parse_times(pd.Series(["2018-10-10T22:19:24+02:00", "1539202764",
...     "Wed Oct 10 20:19:24 +0000 2018", "Wed, 10 Oct 2018 20:19:24 GMT", "", "soon"]))
>>> times.dt.strftime("%Y-%m-%d %H:%M:%S").tolist()[:4]
['2018-10-10 20:19:24', '2018-10-10 20:19:24', '2018-10-10 20:19:24', '2018-10-10 20:19:24']
>>> str(times.dtype), reasons.tolist()[4:]
('datetime64[ns, UTC]', ['missing time', "unparseable time 'soon'"])
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd

UTC_NS = "datetime64[ns, UTC]"
_WORK = "datetime64[us, UTC]"  # wide enough to tell "out of range" from "unparseable"
_NUMERIC = re.compile(r"^\s*[-+]?\d+(\.\d*)?([eE][-+]?\d+)?\s*$")
_SAMPLE = 200
_VECTOR_RETRY = 20  # more failures than this: retry them vectorised before per value
_LOW = pd.Timestamp("1677-09-22", tz="UTC")
_HIGH = pd.Timestamp("2262-04-10", tz="UTC")
_INT64_MAX = float(np.iinfo(np.int64).max)
_NAT = np.iinfo(np.int64).min

#: Explicit formats tried on the sample, after ISO 8601 and epoch numbers.
FORMATS = (
    "%a %b %d %H:%M:%S %z %Y",  # X legacy
    "%a, %d %b %Y %H:%M:%S %z",  # RFC 2822
    "%d %b %Y %H:%M:%S %z",  # RFC 2822 without weekday
    "%m/%d/%Y %H:%M:%S",  # slashes: month first unless a day above 12 shows otherwise
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",  # dashes with the year last: day first unless shown otherwise
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%m-%d-%Y %H:%M:%S",
    "%m-%d-%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)


def parse_times(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse *values* to ``datetime64[ns, UTC]``; return ``(times, reasons)``.

    ``reasons`` is an object array: ``None`` where the time parsed, else why not.
    Times are ``NaT`` exactly where a reason is given.
    """
    index = values.index
    values = values.reset_index(drop=True)
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        times = values.dt.tz_localize("UTC") if values.dt.tz is None else values
        return _finish(times.dt.tz_convert("UTC"), values, values.isna().to_numpy(), index)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return _finish(_from_epoch(numbers), values, np.isnan(numbers), index)
    text = values.astype("str").str.strip()
    missing = (values.isna() | (text == "")).to_numpy()
    times = _parse_column(text.where(~missing), missing)
    failed = times.isna().to_numpy() & ~missing
    if failed.sum() > _VECTOR_RETRY:  # a mixed column: retry the failures with every format
        times = times.copy()
        for fmt in ("epoch", "ISO8601", *FORMATS):
            positions = np.flatnonzero(failed)
            again = _apply(text.iloc[positions], fmt)
            ok = again.notna().to_numpy()
            if ok.any():
                times.iloc[positions[ok]] = again[ok].to_numpy()
                failed[positions[ok]] = False
            if failed.sum() <= _VECTOR_RETRY:
                break
    if failed.any():
        positions = np.flatnonzero(failed)
        fixed = [parse_one(text.iat[p]) for p in positions]
        times = times.copy()
        times.iloc[positions] = pd.array(
            [pd.NaT if t is None else t for t in fixed], dtype=times.dtype
        )
    return _finish(times, values, missing, index)


def _finish(
    times: pd.Series, raw: pd.Series, missing: np.ndarray, index: pd.Index
) -> tuple[pd.Series, np.ndarray]:
    times = pd.Series(times.array, dtype=times.dtype)
    in_range = ((times >= _LOW) & (times <= _HIGH)).to_numpy(dtype=bool, na_value=False)
    reasons = np.full(len(times), None, dtype=object)
    reasons[missing] = "missing time"
    for p in np.flatnonzero(~missing & ~in_range):
        shown = str(raw.iat[p])[:60]
        parsed = times.iat[p]
        word = "time out of range" if pd.notna(parsed) else "unparseable time"
        reasons[p] = f"{word} {shown!r}"
    out = times.where(in_range).astype(UTC_NS) if len(times) else times.astype(UTC_NS)
    out.index = index
    return out, reasons


def _parse_column(text: pd.Series, missing: np.ndarray) -> pd.Series:
    sample = text[~missing].iloc[:_SAMPLE]
    if len(sample) == 0:
        return pd.Series(pd.NaT, index=text.index, dtype=_WORK)
    best, best_ok = "epoch", -1
    for fmt in ("epoch", "ISO8601", *FORMATS):
        ok = _apply(sample, fmt).notna().sum()
        if ok > best_ok:
            best, best_ok = fmt, ok
        if ok == len(sample):
            break
    return _apply(text, best)


def _apply(text: pd.Series, fmt: str) -> pd.Series:
    """Parse a whole column with one format (``epoch`` = numbers); failures are NaT."""
    if fmt == "epoch":
        numeric = text.str.fullmatch(_NUMERIC.pattern).to_numpy(dtype=bool, na_value=False)
        numbers = np.full(len(text), np.nan)
        if numeric.any():
            numbers[numeric] = pd.to_numeric(text[numeric]).to_numpy(dtype=np.float64)
        out = _from_epoch(numbers)
    else:
        out = pd.to_datetime(text, format=fmt, utc=True, errors="coerce")
    return pd.Series(out.array, index=text.index).astype(_WORK)


def _from_epoch(numbers: np.ndarray) -> pd.Series:
    """Epoch numbers (unit by magnitude) to UTC times; out-of-range values become NaT.

    >>> _from_epoch(np.array([1539202764, 1539202764123, np.nan])).dt.strftime("%S.%f").tolist()
    ['24.000000', '24.123000', nan]
    """
    nanos = _epoch_nanos(numbers)
    return pd.Series(nanos.view("datetime64[ns]")).dt.tz_localize("UTC")


def _epoch_nanos(numbers: np.ndarray) -> np.ndarray:
    """Epoch numbers to int64 nanoseconds (NaT's value where not representable)."""
    magnitude = np.abs(numbers)
    scale = np.select(
        [magnitude < 1e11, magnitude < 1e14, magnitude < 1e17], [1e9, 1e6, 1e3], default=1.0
    )
    finite = np.isfinite(numbers)
    nanos = np.zeros(len(numbers), dtype=np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = numbers * scale
        ok = finite & (np.abs(scaled) < _INT64_MAX)
        integral = ok & (numbers == np.floor(numbers)) & (magnitude < 2**53)
        nanos[integral] = numbers[integral].astype(np.int64) * scale[integral].astype(np.int64)
        frac = ok & ~integral
        nanos[frac] = np.round(scaled[frac]).astype(np.int64)
    nanos[~ok] = _NAT
    return nanos


def parse_one(text: str) -> pd.Timestamp | None:
    """Parse one time string by trying every accepted format; ``None`` if none fits.

    >>> str(parse_one("Wed, 10 Oct 2018 20:19:24 GMT"))
    '2018-10-10 20:19:24+00:00'
    >>> parse_one("yesterday") is None
    True
    """
    text = text.strip()
    if not text:
        return None
    if _NUMERIC.match(text):
        nanos = int(_epoch_nanos(np.array([float(text)]))[0])
        return None if nanos == _NAT else pd.Timestamp(nanos, unit="ns", tz="UTC")
    try:
        return _utc(pd.Timestamp(pd.to_datetime(text, format="ISO8601")))
    except (ValueError, OverflowError):
        pass
    try:
        return _utc(pd.Timestamp(email.utils.parsedate_to_datetime(text)))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    for fmt in FORMATS:
        try:
            return _utc(pd.Timestamp(datetime.strptime(text, fmt)))
        except ValueError:
            continue
    return None


def _utc(ts: pd.Timestamp) -> pd.Timestamp | None:
    if pd.isna(ts):
        return None
    return ts.tz_localize(UTC) if ts.tzinfo is None else ts.tz_convert(UTC)
