"""Decide the day and month order of a file's numeric dates before reading it.

A column of dates written ``10/02/2015`` is read in one order for the whole file
(:class:`~detector.ingest.timestamps.DateOrder`): the first value only one order
reads (``13/02/2015``, a day above 12) decides it. That value may come late: a UK
export of 1-12 March shows nothing until the 13th, maybe a million rows in. Reading
chunk by chunk, the rows before it would already be read by the slashes' month-first
convention. So when the first rows of a file hold such dates and none of them shows
the order, :func:`scan_date_order` reads on through the file's time column until a
value does (or the file ends: then no value contradicts the convention). Only those
files pay for a second read, and only up to the deciding value; the decision is part
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

from collections.abc import Iterator
from typing import Protocol

import pandas as pd

from detector.errors import DataError
from detector.ingest.canonical import time_column
from detector.ingest.columns import ResolvedColumns
from detector.ingest.raw import RawChunk
from detector.ingest.timestamps import OrderShown, has_year_last_dates, shown_order

#: Rows per chunk of the scan (it stops at the first chunk holding a deciding value).
SCAN_CHUNK = 20_000


class _Reader(Protocol):
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
