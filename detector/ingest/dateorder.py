"""Decide the day and month order of a file's numeric dates before reading it.

A column of dates written ``10/02/2015`` is read in one order for the whole file
(:class:`~detector.ingest.timestamps.DateOrder`): the first value only one order
reads (``13/02/2015``, a day above 12) decides it. That value may come late: a UK
export of 1-12 March shows nothing until the 13th, maybe a million rows in. Reading
chunk by chunk, the rows before it would already be read by the slashes' month-first
convention. So when the first rows of a file hold such dates and none of them shows
the order, :func:`scan_date_order` reads on through the file's time column until a
value does (or the file ends: then no value contradicts the convention). Only those
files pay for a second read, and only up to the deciding value (when the first rows
show the order, only they are read again, for the line of the value that shows it;
dotted dates, ``01.03.2025``, are day first in every order: they need no scan); the
decision is part
of the file's plan (:attr:`~detector.ingest.columns.ResolvedColumns.date_order`), so
every chunk and every Dask share reads the same order.

>>> import tempfile
>>> from pathlib import Path
>>> from detector.ingest.columns import resolve_columns
>>> from detector.ingest.csvfile import CsvReader
>>> from detector.ingest.formats import sniff
>>> with tempfile.TemporaryDirectory() as d:
...     p = Path(d, "uk.csv")
...     rows = [f"{i},power out,0{1 + i % 9}/03/2015 10:00" for i in range(50)]
...     _ = p.write_text("id,text,date\\n" + "\\n".join(rows + ["50,still out,13/03/2015"]))
...     info = sniff(p)
...     cols = resolve_columns(["id", "text", "date"], None, p.name)
...     sample = pd.DataFrame({"date": ["01/03/2015 10:00"]})
...     shown = scan_date_order(CsvReader(info, 10), cols, sample)
>>> shown.describe()
"day first ('13/03/2015' on line 52)"
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Protocol

import pandas as pd

from detector.errors import DataError
from detector.ingest.canonical import time_column
from detector.ingest.columns import ResolvedColumns
from detector.ingest.formats import SAMPLE_BYTES, SourceInfo
from detector.ingest.location import open_input
from detector.ingest.raw import RawChunk
from detector.ingest.timestamps import OrderShown, has_year_last_dates, shown_order

#: Rows per chunk of the scan (it stops at the first chunk holding a deciding value).
SCAN_CHUNK = 20_000


#: Rows per chunk when the file's first rows show the order (only they are read again).
HEAD_CHUNK = 1000
#: A numeric date with the year last written with a slash or a dash (not dots alone).
_UNDOTTED = r"^\s*\d{1,2}(?:[/-]\d{1,2}[/.-]|\.\d{1,2}[/-])\d{2}(?:\d{2})?(?:\D|$)"


class _Reader(Protocol):
    info: SourceInfo

    def __init__(self, info: SourceInfo, chunksize: int) -> None: ...

    def chunks(self, usecols: list[str]) -> Iterator[RawChunk]: ...


def scan_date_order(
    reader: _Reader, cols: ResolvedColumns, sample: pd.DataFrame
) -> OrderShown | None:
    """The day and month order of *cols*' time column, read with *reader* from the start
    until a value shows it, when the file's first rows (*sample*) hold numeric dates
    with the year last that do not show it themselves; ``None`` when they hold none, or
    no value of the file shows the order (or the file cannot be read: reading says why).
    """
    if cols.time not in sample or (cols.time_date and cols.time_date not in sample):
        return None
    values = _text(time_column(sample, cols))
    if values is None or not has_year_last_dates(values):
        return None
    if not values.str.contains(_UNDOTTED, regex=True, na=False).any():
        return None  # dotted dates only: day first whatever the file shows
    if shown_order(values) is not None:  # the first rows show it: read only them again
        shown = _first_shown(_head_reader(reader, len(sample)), cols, first_only=True)
        if shown is not None:
            return shown
    return _first_shown(reader, cols)


def _head_reader(reader: _Reader, rows: int) -> _Reader:
    """A reader like *reader* of about the file's first *rows* rows only (of its sampled
    head, :data:`~detector.ingest.formats.SAMPLE_BYTES`, for an uncompressed UTF-8 CSV
    or JSON Lines file, whose readers read a block of megabytes at once)."""
    info = reader.info
    if (
        info.format in ("csv", "jsonl")
        and info.compression is None
        and info.encoding == "utf-8"
        and not info.cr_lines
        and info.byte_range is None
    ):
        try:
            with open_input(info.path) as handle:
                head = handle.read(SAMPLE_BYTES)
        except OSError:
            head = b""
        end = head.rfind(b"\n") + 1
        if len(head) == SAMPLE_BYTES and end:  # the lines of the head (the sample's)
            info = dataclasses.replace(info, byte_range=(0, end))
    out = type(reader)(info, max(HEAD_CHUNK, 2 * rows))
    if hasattr(reader, "anchor_column"):
        out.anchor_column = reader.anchor_column  # type: ignore[attr-defined]
    return out


def _first_shown(
    reader: _Reader, cols: ResolvedColumns, first_only: bool = False
) -> OrderShown | None:
    """The first value of *cols*' time column that shows the order, read with *reader*
    from the start (only in its first chunk holding rows when *first_only*)."""
    wanted = [c for c in (cols.time_date, cols.time) if c]
    chunks = reader.chunks(wanted)
    try:
        for raw in chunks:
            if not len(raw.frame):
                continue
            times = _text(time_column(raw.frame.reset_index(drop=True), cols))
            shown = shown_order(times) if times is not None else None
            if shown is not None:
                kind, at = shown
                return OrderShown(kind, str(times.iat[at]).strip(), int(raw.lines[at]))
            if first_only:
                return None
    except (DataError, ValueError, OSError):
        return None
    finally:
        chunks.close()  # type: ignore[attr-defined]
    return None


def _text(values: pd.Series) -> pd.Series | None:
    """*values* as strings, or ``None`` when they are typed times or numbers."""
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        return values.astype("str").where(values.notna())
    return None
