"""Parse post times of any usual export format into UTC, without guessing.

Accepted: ISO 8601 with or without a zone (a time without a zone is taken as
UTC, or as local time in the zone given by ``tz``), epoch seconds /
milliseconds / microseconds (numbers or numeric strings; the unit is decided
per value by magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17
microseconds; so millisecond times before March 1973
are out of reach; a whole number of 8 digits that is a calendar date, ``20250301``,
is that date), RFC 2822 (``Wed, 10 Oct 2018 20:19:24 +0000``), the X legacy
format (``Wed Oct 10 20:19:24 +0000 2018``), numeric dates with the year
last (``M/D/YYYY [hh:mm[:ss]]``, ``DD-MM-YYYY``, ``DD.MM.YYYY``, ...; with a
clock time they may carry a UTC offset, ``24/02/2015 11:35 +05:30``) or first
(``YYYY/MM/DD``), and English month names (``1 Mar 2025``, ``March 1, 2025``,
SQL Server's ``Feb 24 2015 11:35AM``).
Day and month order of numeric dates with the year last is one per column
(:class:`DateOrder`): the first value that can only be read one way (a day above
12: ``13/02/2015`` is day first, ``02/13/2015`` month first) decides it for every
value that fits both (``10/02/2015``). A later value that only the other order reads
(``02/13/2015`` in a day-first column) means one date only and is read so, but
counted, and the caller warns that the column mixes orders. Only when no value shows
the order does the convention decide: month first with slashes (US exports), day
first with dashes and dots. A :class:`DateOrder` passed from call to call (one per
file, its order decided before reading when a scan of the file found it, see
:mod:`detector.ingest.dateorder`) keeps the order across a file's chunks.

The whole column is parsed at once with the format that fits a sample best
(vectorised ``pd.to_datetime``); only the rows that format fails on go through
the per-value fallback, which tries every format above (in a column shown to be day
first, the day-first ones first). Rows still failing get a
reason (``missing time`` / ``unparseable time '...'`` / ``time out of range '...'``)
and are quarantined by the caller.

``tz`` (an IANA zone such as ``America/Los_Angeles``) only changes times that
carry no zone of their own: those are read as wall-clock times in that zone
(ambiguous times at the end of daylight saving time as the first occurrence). A
clock time that does not exist there, inside the gap where its clocks go forward
(02:30 on the day New York skips from 02:00 to 03:00), is no time of that zone: it
gets a reason naming the gap (``nonexistent time '...': it does not exist in ...``,
see :func:`clock_gap`) and is quarantined, not moved to 03:00 where an hour of posts
would pile up. A date written alone whose midnight is skipped (Sao Paulo until
2019) is that day's first instant. Times with an offset or a zone name and epoch
numbers are unaffected.

A column holding clock times only (``03:53:50 PM``) is recognised by
:func:`is_clock_only` so that the caller can combine it with a date column.

>>> times, reasons = parse_times(pd.Series(["2018-10-10T22:19:24+02:00", "1539202764",
...     "Wed Oct 10 20:19:24 +0000 2018", "Wed, 10 Oct 2018 20:19:24 GMT", "", "soon"]))
>>> times.dt.strftime("%Y-%m-%d %H:%M:%S").tolist()[:4]
['2018-10-10 20:19:24', '2018-10-10 20:19:24', '2018-10-10 20:19:24', '2018-10-10 20:19:24']
>>> str(times.dtype), reasons.tolist()[4:]
('datetime64[ns, UTC]', ['missing time', "unparseable time 'soon'"])
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

UTC_NS = "datetime64[ns, UTC]"
_WORK = "datetime64[us, UTC]"  # wide enough to tell "out of range" from "unparseable"
_NUMERIC = re.compile(r"^\s*[-+]?\d+(\.\d*)?([eE][-+]?\d+)?\s*$")
_SAMPLE = 200
_VECTOR_RETRY = 20  # more failures than this: retry them vectorised before per value
_LOW = pd.Timestamp("1677-09-22", tz="UTC")
_HIGH = pd.Timestamp("2262-04-10", tz="UTC")
_INT64_MAX = float(np.iinfo(np.int64).max)
_NAT = np.iinfo(np.int64).min
#: A clock time without a date: ``15:53``, ``03:53:50 PM``, ``3:53:50.5 a.m.``.
_CLOCK = r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp]\.?\s?[Mm]\.?)?\s*$"
#: A zone written after the clock time: ``Z``, ``+02:00``, ``-0500``, ``UTC``, ``GMT``.
_HAS_ZONE = (
    r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?\s?[Mm]\.?)?\s*"
    r"(?:[zZ]\b|[+-]\d{2}(?::?\d{2})?\b|(?:UTC|GMT|UT)\b)"
)

#: Explicit formats tried on the sample, after ISO 8601 and epoch numbers.
FORMATS = (
    "%a %b %d %H:%M:%S %z %Y",  # X legacy
    "%a, %d %b %Y %H:%M:%S %z",  # RFC 2822
    "%d %b %Y %H:%M:%S %z",  # RFC 2822 without weekday
    "%Y-%m-%d %H:%M:%S UTC",  # databases and warehouses (BigQuery, Postgres) write these
    "%Y-%m-%d %H:%M:%S.%f UTC",
    "%Y-%m-%d %H:%M UTC",
    "%Y-%m-%d %H:%M:%S GMT",
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
    "%d.%m.%Y %H:%M:%S",  # dots: day first (German, Russian, Polish, Nordic... registers)
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M",
    "%d.%m.%y",
    "%d %b %Y %H:%M:%S",  # month names (English), as spreadsheets write them
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b %d, %Y %H:%M:%S",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%B %d, %Y %H:%M",
    "%B %d, %Y",
    "%B %d %Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%m/%d/%Y %I:%M:%S %p",  # 12-hour clocks (a date and a clock column joined)
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%Y %I:%M:%S %p",
    "%d-%m-%Y %I:%M:%S %p",
    "%d-%m-%Y %I:%M %p",
    "%m-%d-%Y %I:%M:%S %p",
    "%Y-%m-%d %I:%M:%S %p",
    "%Y-%m-%d %I:%M %p",
    "%b %d %Y %I:%M%p",  # SQL Server's default (mon dd yyyy hh:miAM): Feb 24 2015 11:35AM
    "%b %d %Y %I:%M:%S%p",
    "%b %d %Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S %z",  # spreadsheet dates with a UTC offset (+05:30, -0800)
    "%m/%d/%Y %H:%M %z",
    "%d/%m/%Y %H:%M:%S %z",
    "%d/%m/%Y %H:%M %z",
    "%d-%m-%Y %H:%M:%S %z",
    "%d-%m-%Y %H:%M %z",
    "%d.%m.%Y %H:%M:%S %z",
    "%d.%m.%Y %H:%M %z",
)


#: Numeric dates with the year last that only one order reads: a day above 12 first
#: (``13/02/2015``: day first) or second (``02/13/2015``: month first).
_SHOWS = {
    "dmy": r"^\s*(?:1[3-9]|2\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-]\d{2}(?:\d{2})?(?:\D|$)",
    "mdy": r"^\s*(?:0?[1-9]|1[0-2])[/-](?:1[3-9]|2\d|3[01])[/-]\d{2}(?:\d{2})?(?:\D|$)",
}  # dots are day first in every register that writes them: no month-first dots
#: Any numeric date with the year last (``10/02/2015``, ``1-2-15``, ``01.03.2025 10:00``).
_YEAR_LAST = r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(?:\d{2})?(?:\D|$)"
ORDER_NAMES = {"dmy": "day first", "mdy": "month first"}


def format_order(fmt: str) -> str | None:
    """``dmy`` or ``mdy`` for a numeric format with the year last, else ``None``.

    >>> format_order("%d/%m/%Y %H:%M"), format_order("%m-%d-%Y"), format_order("ISO8601")
    ('dmy', 'mdy', None)
    """
    head = fmt[:5]
    if head in ("%d/%m", "%d-%m", "%d.%m"):
        return "dmy"
    if head in ("%m/%d", "%m-%d"):
        return "mdy"
    return None


@dataclass(frozen=True)
class OrderShown:
    """The day and month order of a column and the first value that showed it.

    >>> OrderShown("dmy", "13/02/2015", 252).describe()
    "day first ('13/02/2015' on line 252)"
    """

    order: str  #: ``dmy`` or ``mdy``
    example: str  #: the first value read only in that order
    line: int | None = None  #: its line (or record) in the file, when known

    def describe(self) -> str:
        """``day first ('13/02/2015' on line 252)``."""
        where = f" on line {self.line:,}" if self.line is not None else ""
        return f"{ORDER_NAMES[self.order]} ({self.example[:40]!r}{where})"


@dataclass
class DateOrder:
    """The day and month order of one column of numeric dates, kept from call to call of
    :func:`parse_times` over the chunks of one file: once a value shows the order it
    holds for every later row (see the module docstring).

    ``assumed`` counts the rows read by their separator's convention (``assumed_order``,
    from line ``assumed_line``) while no value had shown the order; if the order shown
    later differs (:attr:`contradicted`), those rows may have day and month swapped.
    ``mixed`` counts the dates that only the other order reads (``02/13/2015`` in a
    day-first column), read that way: the column mixes orders.

    >>> order = DateOrder()
    >>> _ = parse_times(pd.Series(["10/02/2015", "13/02/2015", "02/13/2015"]), order=order)
    >>> order.shown.describe(), order.mixed
    ("day first ('13/02/2015')", 1)
    """

    shown: OrderShown | None = None
    assumed: int = 0
    assumed_order: str | None = None
    assumed_line: int | None = None
    mixed: int = 0
    mixed_example: str | None = None
    mixed_line: int | None = None

    @property
    def order(self) -> str | None:
        """``dmy`` / ``mdy`` once shown, else ``None`` (the conventions decide)."""
        return self.shown.order if self.shown else None

    @property
    def contradicted(self) -> bool:
        """Rows read by convention before the data showed the other order."""
        return bool(self.assumed and self.shown and self.assumed_order != self.shown.order)

    def formats(self) -> tuple[str, ...]:
        """:data:`FORMATS` without the numeric formats of the other order (dotted dates,
        always day first, stay).

        >>> len(DateOrder().formats()) - len(DateOrder(OrderShown("mdy", "2/13/15")).formats())
        13
        """
        if self.order is None:
            return FORMATS
        return tuple(
            fmt
            for fmt in FORMATS
            if format_order(fmt) in (None, self.order) or fmt.startswith("%d.%m")
        )

    def warnings(self, column: str) -> list[str]:
        """What to tell a person about this column's dates (nothing when one order fits).

        >>> order = DateOrder(OrderShown("dmy", "13/02/2015", 5), 3, "mdy", 2)
        >>> print(order.warnings("Date")[0])  # doctest: +NORMALIZE_WHITESPACE
        column 'Date': 3 dates from line 2 fit both orders and were read month first (the
        convention of their separator) before the column showed day first ('13/02/2015' on
        line 5); those rows may have day and month swapped: write the dates as ISO
        (YYYY-MM-DD) and score again
        """
        out = []
        if self.contradicted and self.shown is not None and self.assumed_order is not None:
            start = f" from line {self.assumed_line:,}" if self.assumed_line is not None else ""
            out.append(
                f"column {column!r}: {self.assumed:,} dates{start} fit both orders and were "
                f"read {ORDER_NAMES[self.assumed_order]} (the convention of their separator) "
                f"before the column showed {self.shown.describe()}; those rows may have day "
                "and month swapped: write the dates as ISO (YYYY-MM-DD) and score again"
            )
        if self.mixed and self.shown is not None and self.mixed_example is not None:
            other = "month first" if self.shown.order == "dmy" else "day first"
            where = f" on line {self.mixed_line:,}" if self.mixed_line is not None else ""
            many = self.mixed > 1
            out.append(
                f"column {column!r} mixes date orders: it is read {self.shown.describe()}, "
                f"but {self.mixed:,} date{'s' * many} can only be {other} (first "
                f"{self.mixed_example[:40]!r}{where}) and {'were' if many else 'was'} read "
                f"so; dates that fit both orders were read {ORDER_NAMES[self.shown.order]}"
            )
        return out


def _matches(text: pd.Series, pattern: str) -> np.ndarray:
    """Which values of *text* (strings, missing allowed) match *pattern* (vectorised)."""
    array = pa.array(text, type=pa.large_string(), from_pandas=True)
    found = pc.match_substring_regex(array, pattern)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def has_year_last_dates(values: pd.Series) -> bool:
    """True when some of *values* (strings) are numeric dates with the year last.

    >>> has_year_last_dates(pd.Series(["2015-02-10", "10/02/2015 10:00"]))
    True
    """
    return bool(_matches(values, _YEAR_LAST).any())


def shown_order(text: pd.Series) -> tuple[str, int] | None:
    """``(order, position)`` of the first value of *text* read in one order only.

    >>> shown_order(pd.Series(["10/02/2015", "2/13/2015", "13/02/2015"]))
    ('mdy', 1)
    >>> shown_order(pd.Series(["10/02/2015", "2015-02-13"])) is None
    True
    """
    first: tuple[str, int] | None = None
    for order, pattern in _SHOWS.items():
        hits = np.flatnonzero(_matches(text, pattern))
        if hits.size and (first is None or hits[0] < first[1]):
            first = (order, int(hits[0]))
    return first


def zone(name: str | None) -> ZoneInfo | None:
    """The :class:`ZoneInfo` called *name* (``None`` or ``UTC``: no conversion).

    Raises :class:`ValueError` naming the zone when it is unknown.

    >>> zone("Europe/Berlin").key, zone("UTC"), zone(None)
    ('Europe/Berlin', None, None)
    """
    if name is None or name.strip().upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as America/New_York)"
        ) from exc


def is_clock_only(values: pd.Series, share: float = 0.8) -> bool:
    """True when most non-empty *values* are clock times without a date.

    >>> is_clock_only(pd.Series(["03:53:50 PM", "10:22:56 AM", None]))
    True
    >>> is_clock_only(pd.Series(["2015-04-22 03:53:50"]))
    False
    """
    text = values.dropna().astype("str").str.strip()
    text = text[text != ""].iloc[:_SAMPLE]
    if len(text) == 0:
        return False
    return bool(text.str.match(_CLOCK).mean() >= share)


def parse_times(
    values: pd.Series,
    tz: str | None = None,
    *,
    years: bool = False,
    order: DateOrder | None = None,
    lines: np.ndarray | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """Parse *values* to ``datetime64[ns, UTC]``; return ``(times, reasons)``.

    ``reasons`` is an object array: ``None`` where the time parsed, else why not.
    Times are ``NaT`` exactly where a reason is given. *tz* is the zone of times
    written without one (default UTC; see the module docstring). With *years* (a
    column named year), a column of whole numbers from 1000 to 2999 only holds years,
    each read as its 1 January (:func:`years_of`), not epoch seconds of 1970.
    Numeric dates are read in one day and month order: *order*'s, updated when these
    values show it (a fresh one per call when not given); *lines* (one per value)
    name where in the file (for the messages).

    >>> times, _ = parse_times(pd.Series(["2015-02-24 11:35", "2015-02-24T11:35Z"]),
    ...                        tz="America/Los_Angeles")
    >>> times.dt.strftime("%H:%M").tolist()
    ['19:35', '11:35']
    >>> times, reasons = parse_times(pd.Series([1871, 1500]), years=True)
    >>> times.dt.strftime("%Y-%m-%d").tolist()[0], reasons.tolist()
    ('1871-01-01', [None, "time out of range '1500-01-01'"])
    """
    local = zone(tz)
    index = values.index
    values = values.reset_index(drop=True)
    if years:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        is_year = years_of(numbers)
        if is_year.any():  # ISO dates, read below as any written date is
            values = values.astype(object)
            values[is_year] = [f"{int(y):04d}-01-01" for y in numbers[is_year]]
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        gaps = None
        if values.dt.tz is None and local is not None:
            times, skipped = _wall_clock(values, local)  # a skipped midnight: a date
            if skipped.any():
                where = np.flatnonzero(skipped)
                gaps = _gap_reasons(values, where, values.iloc[where], local)
        elif values.dt.tz is None:
            times = values.dt.tz_localize("UTC")
        else:
            times = values
        missing = values.isna().to_numpy()
        return _finish(times.dt.tz_convert("UTC"), values, missing, index, gaps)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        times = _from_epoch(numbers)
        compact = _compact_dates(numbers) if local is not None else None
        if compact is not None and compact.any():  # dates are wall-clock days of the zone
            times[compact] = _localize(times[compact].dt.tz_localize(None), local)
        return _finish(times, values, np.isnan(numbers), index)
    text = values.astype("str").str.strip()
    missing = (values.isna() | (text == "")).to_numpy()
    order = order if order is not None else DateOrder()
    present = text.where(~missing)
    times, best = _parse_column(present, missing, order.formats())
    failed = times.isna().to_numpy() & ~missing
    if order.order is None and (format_order(best) or failed.any()):
        shown = shown_order(present)
        if shown is not None:  # this column's order, for this and every later row
            kind, at = shown
            line = int(lines[at]) if lines is not None else None
            order.shown = OrderShown(kind, text.iat[at], line)
            if format_order(best) not in (None, kind) or failed.any():
                times, best = _parse_column(present, missing, order.formats())
                failed = times.isna().to_numpy() & ~missing
        else:  # no value shows it: the separator's convention
            _assume(order, best, present, lines)
    formats = _preferring(best, order.formats())  # odd rows are read in the same order
    if failed.sum() > _VECTOR_RETRY:  # a mixed column: retry the failures with every format
        times = times.copy()
        for fmt in ("epoch", "ISO8601", *formats):
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
        fixed = [parse_one(text.iat[p], formats=formats) for p in positions]
        times = times.copy()
        times.iloc[positions] = pd.array(
            [pd.NaT if t is None else t for t in fixed], dtype=times.dtype
        )
    if order.shown is not None and failed.any():
        times = _read_other_order(text, times, failed & times.isna().to_numpy(), order, lines)
    gaps = None
    if local is not None:
        times, gaps = _as_local(times, text, missing, local)
    return _finish(times, values, missing, index, gaps)


def _assume(order: DateOrder, best: str, present: pd.Series, lines: np.ndarray | None) -> None:
    """Count the numeric dates of *present* read by their separator's convention (the
    order of the column's format *best*, else of the first one's separator)."""
    dated = _matches(present, _YEAR_LAST)
    if not dated.any():
        return
    first = int(np.argmax(dated))
    kind = format_order(best) or ("mdy" if "/" in str(present.iat[first])[:6] else "dmy")
    if order.assumed_order is None:
        order.assumed_order = kind
        order.assumed_line = int(lines[first]) if lines is not None else None
    order.assumed += int(dated.sum())


def _read_other_order(
    text: pd.Series,
    times: pd.Series,
    failed: np.ndarray,
    order: DateOrder,
    lines: np.ndarray | None,
) -> pd.Series:
    """*times* with the *failed* values that only the order other than the column's reads
    (``02/13/2015`` in a day-first column: no other date is meant) read that way, and
    counted in *order* (:attr:`DateOrder.mixed`) for a warning."""
    other = "mdy" if order.order == "dmy" else "dmy"
    positions = np.flatnonzero(failed)
    positions = positions[_matches(text.iloc[positions], _SHOWS[other])]
    if not positions.size:
        return times
    times = times.copy()
    read = np.zeros(len(positions), dtype=bool)
    for fmt in (f for f in FORMATS if format_order(f) == other):
        todo = np.flatnonzero(~read)
        again = _apply(text.iloc[positions[todo]], fmt)
        ok = again.notna().to_numpy()
        if ok.any():
            times.iloc[positions[todo[ok]]] = again[ok].to_numpy()
            read[todo[ok]] = True
        if read.all():
            break
    if read.any():
        first = int(positions[np.argmax(read)])
        if order.mixed == 0:
            order.mixed_example = str(text.iat[first])
            order.mixed_line = int(lines[first]) if lines is not None else None
        order.mixed += int(read.sum())
    return times


def _localize(naive: pd.Series, local: ZoneInfo) -> pd.Series:
    """Wall-clock days in *local* (no zone attached) as UTC: a midnight its clocks skip
    is moved forward to the day's first instant."""
    return naive.dt.tz_localize(
        local, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    ).dt.tz_convert("UTC")


def _wall_clock(
    wall: pd.Series, local: ZoneInfo, text: pd.Series | None = None
) -> tuple[pd.Series, np.ndarray]:
    """``(utc, skipped)``: the naive wall-clock times *wall* of *local* in UTC (a repeated
    hour read as its first occurrence), and which of them do not exist there (inside
    the gap where its clocks go forward): those are NaT, except a date written alone (a
    midnight, its *text*, when given, without a clock time), moved to the day's first
    instant as :func:`_localize` does.

    >>> wall = pd.Series(pd.to_datetime(["2015-03-08 01:59", "2015-03-08 02:30",
    ...                                  "2015-11-01 01:30", "2015-03-08 03:00"]))
    >>> utc, skipped = _wall_clock(wall, ZoneInfo("America/New_York"))
    >>> utc.dt.strftime("%H:%M").tolist(), skipped.tolist()
    (['06:59', nan, '05:30', '07:00'], [False, True, False, False])
    """
    first = np.ones(len(wall), dtype=bool)  # a repeated hour: its first occurrence
    utc = wall.dt.tz_localize(local, ambiguous=first, nonexistent="NaT")
    skipped = np.array(utc.isna() & wall.notna(), dtype=bool)  # a writable copy
    if skipped.any():
        gap = wall[skipped]
        dated = gap == gap.dt.normalize()
        if text is not None:
            dated &= ~text[skipped].astype("str").str.contains(":", regex=False)
        moved = np.flatnonzero(skipped)[dated.to_numpy(dtype=bool, na_value=False)]
        if moved.size:
            utc = utc.copy()
            utc.iloc[moved] = _localize(wall.iloc[moved], local).dt.tz_convert(local)
            skipped[moved] = False
    return utc.dt.tz_convert("UTC"), skipped


def _as_local(
    times: pd.Series, text: pd.Series, missing: np.ndarray, local: ZoneInfo
) -> tuple[pd.Series, np.ndarray | None]:
    """Re-read the times whose text carries no zone (and is not an epoch number) in *local*;
    also the reasons of those inside a gap of its clocks (:func:`_gap_reasons`), now NaT."""
    has_zone = text.str.contains(_HAS_ZONE, regex=True).to_numpy(dtype=bool, na_value=True)
    numeric = text.str.fullmatch(_NUMERIC.pattern).to_numpy(dtype=bool, na_value=True)
    numbers = pd.to_numeric(text.where(numeric), errors="coerce").to_numpy(dtype=np.float64)
    numeric = numeric & ~_compact_dates(numbers)  # YYYYMMDD: a wall-clock day, not an epoch
    naive = ~missing & ~has_zone & ~numeric & times.notna().to_numpy()
    if not naive.any():
        return times, None
    times = times.copy()
    wall = times[naive].dt.tz_convert("UTC").dt.tz_localize(None)
    utc, skipped = _wall_clock(wall, local, text[naive])
    times[naive] = utc.astype(times.dtype)
    if not skipped.any():
        return times, None
    return times, _gap_reasons(text, np.flatnonzero(naive)[skipped], wall[skipped], local)


#: What the reason of a time inside a gap of its zone's clocks says (:func:`clock_gap`).
NO_SUCH_TIME = "does not exist in"


def _gap_reasons(
    raw: pd.Series, positions: np.ndarray, wall: pd.Series, local: ZoneInfo
) -> np.ndarray:
    """The reasons of the rows at *positions* of *raw* (``None`` at the others): their
    wall-clock times *wall* do not exist in *local* (the gap worked out once a day).

    >>> _gap_reasons(pd.Series(["x", "2015-03-08 02:30"]), np.array([1]),
    ...              pd.Series(pd.to_datetime(["2015-03-08 02:30"])),
    ...              ZoneInfo("America/New_York"))[1][:76]
    "nonexistent time '2015-03-08 02:30': it does not exist in America/New_York: "
    """
    reasons = np.full(len(raw), None, dtype=object)
    named: dict[object, str] = {}
    for p, value in zip(positions.tolist(), wall.tolist(), strict=True):
        written = pd.Timestamp(value)
        gap = named.get(written.date())
        if gap is None:
            gap = named[written.date()] = clock_gap(written, local)
        reasons[p] = f"nonexistent time {str(raw.iat[p])[:60]!r}: it {NO_SUCH_TIME} {gap}"
    return reasons


def clock_gap(written: pd.Timestamp, local: ZoneInfo) -> str:
    """The gap in the clocks of *local* that the wall-clock time *written* falls in, and
    a zone that reads such times (one without daylight saving time, when the offset
    before the gap is whole hours).

    >>> clock_gap(pd.Timestamp("2015-03-08 02:30"), ZoneInfo("America/New_York"))
    ... # doctest: +NORMALIZE_WHITESPACE
    'America/New_York: its clocks skip from 02:00 to 03:00 on 2015-03-08 (daylight saving
    time), so no time there is written in that zone; for a clock that stays on UTC-05:00
    all year give --tz Etc/GMT+5'
    >>> clock_gap(pd.Timestamp("2015-10-04 02:10"), ZoneInfo("Australia/Lord_Howe"))[:70]
    'Australia/Lord_Howe: its clocks skip from 02:00 to 02:30 on 2015-10-04'
    """
    naive = written.to_pydatetime()
    before = naive.replace(tzinfo=local, fold=0).utcoffset() or dt.timedelta(0)
    after = naive.replace(tzinfo=local, fold=1).utcoffset() or dt.timedelta(0)
    # the switch lies between the two readings of *written*: find it to the minute
    instants = pd.date_range(written - after, written - before, freq="min", tz="UTC")
    offsets = np.array([t.utcoffset() for t in instants.tz_convert(local)])
    switch = instants[int(np.argmax(offsets == after))].tz_localize(None)
    start, end = switch + before, switch + after
    minutes = int(before.total_seconds()) // 60
    hours, rest = divmod(minutes, 60)
    sign = "-" if minutes < 0 else "+"
    offset = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    fixed = f"--tz Etc/GMT{-hours:+d}" if not rest and -14 <= hours <= 12 else "its times in UTC"
    return (
        f"{local.key}: its clocks skip from {start:%H:%M} to {end:%H:%M} on "
        f"{end:%Y-%m-%d} (daylight saving time), so no time there is written in that "
        f"zone; for a clock that stays on {offset} all year give {fixed}"
    )


def _finish(
    times: pd.Series,
    raw: pd.Series,
    missing: np.ndarray,
    index: pd.Index,
    gaps: np.ndarray | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """``(times, reasons)`` as :func:`parse_times` returns them; *gaps* holds the reasons of
    times inside a gap of the zone's clocks (NaT in *times*)."""
    times = pd.Series(times.array, dtype=times.dtype)
    in_range = ((times >= _LOW) & (times <= _HIGH)).to_numpy(dtype=bool, na_value=False)
    reasons = np.full(len(times), None, dtype=object)
    reasons[missing] = "missing time"
    for p in np.flatnonzero(~missing & ~in_range):
        shown = str(raw.iat[p])[:60]
        parsed = times.iat[p]
        word = "time out of range" if pd.notna(parsed) else "unparseable time"
        reasons[p] = f"{word} {shown!r}"
    if gaps is not None:
        skipped = gaps != None  # noqa: E711 - elementwise on an object array
        reasons[skipped] = gaps[skipped]
    out = times.where(in_range).astype(UTC_NS) if len(times) else times.astype(UTC_NS)
    out.index = index
    return out, reasons


def _parse_column(
    text: pd.Series, missing: np.ndarray, formats: Sequence[str] = FORMATS
) -> tuple[pd.Series, str]:
    """The column parsed with the format (of *formats*, after epoch numbers and ISO 8601)
    that fits its sample best, and that format."""
    sample = text[~missing].iloc[:_SAMPLE]
    if len(sample) == 0:
        return pd.Series(pd.NaT, index=text.index, dtype=_WORK), "epoch"
    best, best_ok = "epoch", -1
    for fmt in ("epoch", "ISO8601", *formats):
        ok = _apply(sample, fmt).notna().sum()
        if ok > best_ok:
            best, best_ok = fmt, ok
        if ok == len(sample):
            break
    return _apply(text, best), best


def _preferring(best: str, formats: tuple[str, ...] = FORMATS) -> tuple[str, ...]:
    """*formats* with the day and month order of the column's own format *best*
    first: in a column read day first, a row that format misses (one carrying an
    offset, say) is read day first too, not by the slashes' month-first convention.

    >>> _preferring("%d/%m/%Y %H:%M")[:2]
    ('%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M')
    >>> _preferring("ISO8601") == FORMATS
    True
    """
    order = best[:5]
    if order not in ("%d/%m", "%m-%d"):  # the conventions' own order comes first already
        return formats
    return tuple(sorted(formats, key=lambda fmt: not fmt.startswith(order)))


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
    compact, days = _compact_days(numbers)
    if compact.any():  # 20250301 is 1 March 2025, not 23 August 1970
        nanos[compact] = days
    with np.errstate(invalid="ignore"):  # 20251301 is no date, and no post of 1970 either
        nanos[(numbers >= _COMPACT[0]) & (numbers <= _COMPACT[1]) & ~compact] = _NAT
    return nanos


#: The numbers read as ``YYYYMMDD`` dates when they are one (:func:`_compact_dates`).
_COMPACT = (19000101, 21991231)


#: Whole numbers read as years in a column of years (:func:`years_of`).
_YEARS = (1000, 2999)


def years_of(numbers: np.ndarray) -> np.ndarray:
    """Which *numbers* are years: all finite ones when every one is a whole number from
    1000 to 2999 (a yearly series, ``1871, 1872, ...``), else none.

    >>> years_of(np.array([1871.0, 1872.0, np.nan])).tolist()
    [True, True, False]
    >>> years_of(np.array([999.0, 1871.0])).tolist()
    [False, False]
    """
    finite = np.isfinite(numbers)
    values = numbers[finite]
    whole = bool(values.size) and (values == np.floor(values)).all()
    if not (whole and values.min() >= _YEARS[0] and values.max() <= _YEARS[1]):
        return np.zeros(len(numbers), dtype=bool)
    return finite


def _compact_dates(numbers: np.ndarray) -> np.ndarray:
    """Which *numbers* are dates written ``YYYYMMDD``: whole numbers of 8 digits that are a
    calendar date from 1900 to 2199 (as epoch seconds they would be posts of 1970).

    >>> _compact_dates(np.array([20250301, 20250230, 1539202764, 20250301.5])).tolist()
    [True, False, False, False]
    """
    return _compact_days(numbers)[0]


def _compact_days(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_compact_dates` of *numbers*, and those dates as UTC nanoseconds."""
    with np.errstate(invalid="ignore"):
        found = (
            np.isfinite(numbers)
            & (numbers >= _COMPACT[0])
            & (numbers <= _COMPACT[1])
            & (numbers == np.floor(numbers))
        )
    if not found.any():
        return found, np.zeros(0, dtype=np.int64)
    text = numbers[found].astype(np.int64).astype(str)
    days = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    found[found] = days.notna()
    return found, days[days.notna()].as_unit("ns").asi8


def parse_one(
    text: str, tz: str | None = None, *, formats: Sequence[str] = FORMATS
) -> pd.Timestamp | None:
    """Parse one time string by trying every accepted format (*formats* in that order
    after ISO 8601, epoch numbers and RFC 2822); ``None`` if none fits.

    >>> str(parse_one("Wed, 10 Oct 2018 20:19:24 GMT"))
    '2018-10-10 20:19:24+00:00'
    >>> parse_one("yesterday") is None
    True
    """
    text = text.strip()
    if not text:
        return None
    if tz is not None and zone(tz) is not None:
        times, _ = parse_times(pd.Series([text]), tz=tz)
        return None if pd.isna(times.iat[0]) else times.iat[0]
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
    for fmt in formats:
        try:
            return _utc(pd.Timestamp(datetime.strptime(text, fmt)))
        except ValueError:
            continue
    return None


def _utc(ts: pd.Timestamp) -> pd.Timestamp | None:
    if pd.isna(ts):
        return None
    return ts.tz_localize(UTC) if ts.tzinfo is None else ts.tz_convert(UTC)
