"""The canonical post frame: columns, dtypes, and turning parsed rows into it.

>>> list(empty_posts().columns)
['line', 'source_file', 'id', 'created_at', 'text', 'author', 'service', 'is_repost']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from detector.ingest.columns import ResolvedColumns
from detector.ingest.raw import RawChunk
from detector.ingest.textclean import html_to_text
from detector.ingest.timestamps import UTC_NS, DateOrder, parse_times

#: Columns of every frame an ``IngestRun`` yields, in order, with their dtypes.
CANONICAL_DTYPES: dict[str, str] = {
    "line": "int64",
    "source_file": "str",
    "id": "str",
    "created_at": UTC_NS,
    "text": "str",
    "author": "str",
    "service": "str",
    "is_repost": "bool",
}
CANONICAL_COLUMNS = tuple(CANONICAL_DTYPES)


def empty_posts() -> pd.DataFrame:
    """A canonical post frame without rows.

    >>> empty_posts().dtypes.astype(str).to_dict()["created_at"]
    'datetime64[ns, UTC]'
    """
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CANONICAL_DTYPES.items()})


@dataclass
class Mapped:
    """Rows of one chunk mapped to the canonical roles, split into usable and not."""

    posts: pd.DataFrame  #: ``line, id, created_at, text, author, service`` of usable rows
    bad: np.ndarray  #: positions (in the chunk's frame) of rows that cannot be used
    reasons: list[str]  #: why, one per ``bad`` position
    repost_flag: np.ndarray | None  #: the export's own repost marker, per usable row


def map_rows(
    raw: RawChunk, cols: ResolvedColumns, tz: str | None = None, order: DateOrder | None = None
) -> Mapped:
    """Pick, clean and type the role columns; rows without text or time are set apart.

    *order* keeps the day and month order of the file's numeric dates from chunk to
    chunk (:class:`~detector.ingest.timestamps.DateOrder`; one per call when not given).

    >>> from detector.ingest.columns import resolve_columns
    >>> frame = pd.DataFrame({"text": ["hi", " "], "created_at": ["2024-01-01", "2024-01-02"]})
    >>> raw = RawChunk(frame, np.array([2, 3]))
    >>> mapped = map_rows(raw, resolve_columns(frame.columns, None, "x.csv"))
    >>> mapped.posts["line"].tolist(), mapped.bad.tolist(), mapped.reasons
    ([2], [1], ['missing text'])
    """
    frame = raw.frame.reset_index(drop=True)
    text = post_text(frame, cols.text, html=cols.html)
    times, reasons = parse_times(time_column(frame, cols), tz=tz, order=order, lines=raw.lines)
    blank = (text.str.strip() == "").to_numpy(dtype=bool, na_value=True)
    reasons[text.isna().to_numpy() | blank] = "missing text"
    is_bad = reasons != None  # noqa: E711 - elementwise on an object array
    keep = ~is_bad if is_bad.any() else None  # masks are skipped on the clean path
    posts = pd.DataFrame(
        {
            "line": _keep(raw.lines, keep),
            "id": _keep(_str_column(frame, cols.id), keep),
            "created_at": _keep(times, keep),
            "text": _keep(text, keep),
            "author": _keep(_str_column(frame, cols.author), keep),
            "service": _keep(_str_column(frame, cols.service), keep),
        }
    )
    flag = None
    if cols.repost_flag and cols.repost_flag in frame:
        flag = _keep(frame[cols.repost_flag].notna().to_numpy(), keep)
    bad = np.flatnonzero(is_bad)
    return Mapped(posts, bad, reasons[bad].tolist(), flag)


def finish(posts: pd.DataFrame, source: str, is_repost: np.ndarray) -> pd.DataFrame:
    """Add ``source_file`` and ``is_repost`` and give every column its canonical dtype."""
    posts = posts.reset_index(drop=True)
    posts["is_repost"] = is_repost
    posts.insert(1, "source_file", _constant(source, len(posts)))
    return posts.astype(CANONICAL_DTYPES)


def _keep(values: pd.Series | np.ndarray, keep: np.ndarray | None):
    """The values (as an array) at the rows to keep; all of them when *keep* is None."""
    if isinstance(values, pd.Series):
        return values.array if keep is None else values[keep].array
    return values if keep is None else values[keep]


def _constant(value: str, n: int) -> pd.Series:
    """A ``str`` column repeating *value* (built by pyarrow, not a Python list)."""
    return pd.Series(pd.array(pc.fill_null(pa.nulls(n, pa.large_string()), value), dtype="str"))


def time_column(frame: pd.DataFrame, cols: ResolvedColumns) -> pd.Series:
    """The time values of *frame*: ``time``, or ``time_date + " " + time`` when joined.

    >>> from detector.ingest.columns import ResolvedColumns
    >>> cols = ResolvedColumns(text=("t",), time="Time", time_date="Date")
    >>> time_column(pd.DataFrame({"Date": ["22-04-2015"], "Time": ["03:53:50 PM"]}), cols)[0]
    '22-04-2015 03:53:50 PM'
    """
    times = _column(frame, cols.time)
    if not cols.time_date:
        return times
    date = _str_column(frame, cols.time_date).str.strip()
    return (date + " " + _str_column(frame, cols.time).str.strip()).where(
        date.notna() & times.notna()
    )


def _column(frame: pd.DataFrame, name: str | None) -> pd.Series:
    if name is None or name not in frame:
        nulls = pd.array(pa.nulls(len(frame), pa.large_string()), dtype="str")
        return pd.Series(nulls, index=frame.index)
    return frame[name]


def _str_column(frame: pd.DataFrame, name: str | None) -> pd.Series:
    col = _column(frame, name)
    if col.dtype == "str":
        return col
    if pd.api.types.is_float_dtype(col):  # ids that went through float: no ".0" suffix
        whole = col.notna() & (col == np.floor(col))
        if whole.all() or (whole | col.isna()).all():
            col = col.astype("Int64")
    return col.astype("str").where(col.notna())


def post_text(frame: pd.DataFrame, columns: Sequence[str], *, html: bool = False) -> pd.Series:
    """The posts' text from *columns* of *frame*: joined by a line break when there are
    several (Reddit's title + body, an app review's title + review), empty parts skipped;
    *html* markup reduced to text.

    >>> frame = pd.DataFrame({"Title": ["Crashes", "Fine"], "Review": ["on login", None]})
    >>> post_text(frame, ["Title", "Review"]).tolist()
    ['Crashes\\non login', 'Fine']
    """
    parts = [_str_column(frame, c) for c in columns]
    text = parts[0]
    for extra in parts[1:]:
        both = text.notna() & extra.notna() & (extra.str.strip() != "")
        text = text.where(~both, text + "\n" + extra).fillna(extra)
    if html:
        text = html_to_text(text)
    return text
