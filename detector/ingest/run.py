"""``read_posts``: read any number of exports into canonical post frames, chunk by chunk.

Every file is checked first (exists, readable, known format, a text and a time
column), so a bad third file fails before the first is read. Iterating the
returned :class:`IngestRun` then reads lazily: memory holds one chunk, the
duplicate/repost hash sets (16-24 bytes per post) and at most
``quarantine_limit`` quarantined rows (all of them are streamed to
``quarantine_path`` when given).

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as d:
...     p = Path(d, "posts.csv")
...     _ = p.write_text("id,text,created_at\\n1,mail down,2024-01-01T10:00:00Z\\n"
...                      "1,mail down,2024-01-01T10:00:00Z\\n2,,2024-01-01T10:01:00Z\\n")
...     run = read_posts(p)
...     frames = list(run)
>>> frames[0][["line", "id", "text"]].to_dict("records")
[{'line': 2, 'id': '1', 'text': 'mail down'}]
>>> run.stats
IngestStats(rows_read=3, rows_ok=1, rows_quarantined=1, rows_duplicate=1)
>>> run.quarantine[["line", "reason"]].to_dict("records")
[{'line': 4, 'reason': 'missing text'}]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from detector.errors import DataError, UsageError
from detector.ingest.columns import ColumnMapping, ResolvedColumns, resolve_columns
from detector.ingest.csvfile import CsvReader
from detector.ingest.dedupe import FirstSeen, HashSet, hash_columns, hash_strings
from detector.ingest.formats import SourceInfo, sniff
from detector.ingest.jsonfile import JsonArrayReader, JsonLinesReader
from detector.ingest.parquetfile import ParquetReader
from detector.ingest.quarantine import Quarantine
from detector.ingest.raw import RawChunk
from detector.ingest.textclean import html_to_text, is_rt, repost_key
from detector.ingest.timestamps import UTC_NS, parse_times

#: Columns of every frame :class:`IngestRun` yields, in order, with their dtypes.
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
DEFAULT_CHUNKSIZE = 200_000

_READERS = {
    "csv": CsvReader,
    "jsonl": JsonLinesReader,
    "json": JsonArrayReader,
    "parquet": ParquetReader,
}
_NO_AUTHOR = np.uint64(0)


def empty_posts() -> pd.DataFrame:
    """A canonical post frame without rows.

    >>> empty_posts().dtypes.astype(str).to_dict()["created_at"]
    'datetime64[ns, UTC]'
    """
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CANONICAL_DTYPES.items()})


@dataclass
class IngestStats:
    """Row accounting: ``rows_read == rows_ok + rows_quarantined + rows_duplicate``."""

    rows_read: int = 0
    rows_ok: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0

    def __getitem__(self, key: str) -> int:
        return int(getattr(self, key))

    def to_dict(self) -> dict[str, int]:
        """The counts as a plain dict."""
        return asdict(self)


@dataclass
class SourceReport:
    """What was found and counted for one input file."""

    name: str
    format: str
    compression: str | None
    encoding: str
    delimiter: str | None
    shape: str
    columns: dict[str, object]
    stats: IngestStats = field(default_factory=IngestStats)


class IngestRun:
    """Lazy iterator over canonical post frames; ``stats`` and ``quarantine`` after it.

    Iterate once (a second iteration raises :class:`UsageError`). ``sources`` lists
    one :class:`SourceReport` per file.
    """

    def __init__(
        self,
        plans: list[tuple[SourceInfo, ResolvedColumns]],
        chunksize: int,
        quarantine: Quarantine,
    ) -> None:
        self._plans = plans
        self.chunksize = chunksize
        self._quarantine = quarantine
        self.stats = IngestStats()
        self.sources = [
            SourceReport(
                info.name,
                info.format,
                info.compression,
                info.encoding,
                info.delimiter,
                cols.shape,
                {
                    "text": list(cols.text),
                    "time": cols.time,
                    "id": cols.id,
                    "author": cols.author,
                    "service": cols.service,
                },
            )
            for info, cols in plans
        ]
        self._started = False
        self._ids = HashSet()
        self._first_author = FirstSeen()

    @property
    def quarantine(self) -> pd.DataFrame:
        """Quarantined rows ``source_file, line, reason, raw`` (first ``quarantine_limit``)."""
        return self._quarantine.frame()

    @property
    def quarantine_dropped(self) -> int:
        """Quarantined rows counted but not kept in memory."""
        return self._quarantine.dropped

    def __iter__(self) -> Iterator[pd.DataFrame]:
        if self._started:
            raise UsageError("an IngestRun can be iterated only once; call read_posts again")
        self._started = True
        return self._frames()

    def _frames(self) -> Iterator[pd.DataFrame]:
        try:
            for (info, cols), report in zip(self._plans, self.sources, strict=True):
                reader = _READERS[info.format](info, self.chunksize)
                for raw in reader.chunks(cols.needed):
                    frame = self._canonical(raw, info, cols, report.stats)
                    if len(frame):
                        yield frame
        finally:
            self._quarantine.close()

    def _canonical(
        self, raw: RawChunk, info: SourceInfo, cols: ResolvedColumns, stats: IngestStats
    ) -> pd.DataFrame:
        if raw.bad:
            lines, reasons, raws = zip(*raw.bad, strict=True)
            self._quarantine.add(info.name, lines, reasons, [r[:500] for r in raws])
        n_bad = len(raw.bad)
        frame = raw.frame.reset_index(drop=True)
        n = len(frame)
        self._count(stats, read=n + n_bad, quarantined=n_bad)
        if n == 0:
            return empty_posts()
        text = _text(frame, cols)
        times, reasons = parse_times(_column(frame, cols.time))
        missing_text = text.isna().to_numpy() | (text.str.strip() == "").to_numpy(
            dtype=bool, na_value=True
        )
        reasons[missing_text] = "missing text"
        bad = reasons != None  # noqa: E711 - elementwise on an object array
        if bad.any():
            pos = np.flatnonzero(bad)
            self._quarantine.add(info.name, raw.lines[pos], reasons[pos].tolist(), raw.raws(pos))
        keep = None if not bad.any() else ~bad  # masks are skipped on the clean path
        out = pd.DataFrame(
            {
                "line": _keep(raw.lines, keep),
                "id": _keep(_str_column(frame, cols.id), keep),
                "created_at": _keep(times, keep),
                "text": _keep(text, keep),
                "author": _keep(_str_column(frame, cols.author), keep),
                "service": _keep(_str_column(frame, cols.service), keep),
            }
        )
        repost_flag = None
        if cols.repost_flag and cols.repost_flag in frame:
            repost_flag = _keep(frame[cols.repost_flag].notna().to_numpy(), keep)
        dup = self._duplicates(out)
        if dup.any():
            out = out[~dup].reset_index(drop=True)
            if repost_flag is not None:
                repost_flag = repost_flag[~dup]
        out["is_repost"] = self._reposts(out, repost_flag)
        out.insert(1, "source_file", _constant(info.name, len(out)))
        self._count(stats, ok=len(out), quarantined=int(bad.sum()), duplicate=int(dup.sum()))
        return out.astype(CANONICAL_DTYPES)

    def _count(self, stats: IngestStats, **counts: int) -> None:
        for key, value in counts.items():
            name = f"rows_{key}"
            setattr(stats, name, getattr(stats, name) + value)
            setattr(self.stats, name, getattr(self.stats, name) + value)

    def _duplicates(self, out: pd.DataFrame) -> np.ndarray:
        """Duplicate by id when there is one, else by (author, text, minute)."""
        if len(out) == 0:
            return np.zeros(0, dtype=bool)
        has_id = out["id"].notna().to_numpy()
        keys = np.empty(len(out), dtype=np.uint64)
        if has_id.any():
            keys[has_id] = hash_columns(out["id"][has_id])
        if not has_id.all():
            rest = out[~has_id]
            minute = rest["created_at"].dt.floor("min").astype("int64")
            content = hash_columns(rest["author"], rest["text"], minute)
            keys[~has_id] = content ^ np.uint64(0x9E3779B97F4A7C15)  # apart from id keys
        return self._ids.add(keys)

    def _reposts(self, out: pd.DataFrame, flag: np.ndarray | None) -> np.ndarray:
        """Same normalised text first seen from another author, an RT prefix, or a flag."""
        if len(out) == 0:
            return np.zeros(0, dtype=bool)
        author = out["author"]
        known = author.notna().to_numpy()
        author_hash = hash_strings(author, few_distinct=True)
        author_hash[~known] = _NO_AUTHOR
        rt = is_rt(out["text"])
        text_hash = hash_strings(repost_key(out["text"], rt))
        first = self._first_author.first(text_hash, author_hash)
        repost = known & (first != _NO_AUTHOR) & (first != author_hash)
        repost |= rt
        if flag is not None:
            repost |= flag
        return repost


def _keep(values: pd.Series | np.ndarray, keep: np.ndarray | None):
    """The values (as an array) at the rows to keep; all of them when *keep* is None."""
    if isinstance(values, pd.Series):
        return values.array if keep is None else values[keep].array
    return values if keep is None else values[keep]


def _constant(value: str, n: int) -> pd.Series:
    """A ``str`` column repeating *value* (built by pyarrow, not a Python list)."""
    return pd.Series(pd.array(pc.fill_null(pa.nulls(n, pa.large_string()), value), dtype="str"))


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


def _text(frame: pd.DataFrame, cols: ResolvedColumns) -> pd.Series:
    parts = [_str_column(frame, c) for c in cols.text]
    text = parts[0]
    for extra in parts[1:]:  # Reddit: title + body, skipping empty parts
        both = text.notna() & extra.notna() & (extra.str.strip() != "")
        text = text.where(~both, text + "\n" + extra).fillna(extra)
    if cols.html:
        text = html_to_text(text)
    return text


def read_posts(
    paths: str | Path | Iterable[str | Path],
    mapping: ColumnMapping | None = None,
    *,
    chunksize: int = DEFAULT_CHUNKSIZE,
    quarantine_limit: int = 100_000,
    quarantine_path: str | Path | None = None,
) -> IngestRun:
    """Plan reading *paths* and return the lazy :class:`IngestRun`.

    *chunksize* is the number of input rows per chunk (about, for CSV). Raises
    :class:`~detector.errors.InputMissingError` / :class:`~detector.errors.DataError`
    / :class:`~detector.errors.SchemaError` with a one-line message before
    anything is read when a file is missing, unreadable or has no text/time column.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise UsageError("read_posts needs at least one input path; got none")
    if not isinstance(chunksize, int) or chunksize < 1:
        raise UsageError(f"The 'chunksize' parameter must be a positive int. Got {chunksize!r}.")
    plans = []
    for path in paths:
        info = sniff(path)
        columns = _READERS[info.format](info, min(chunksize, 10_000)).columns()
        if not columns:
            raise DataError(f"{info.name}: file is empty (no records)")
        plans.append((info, resolve_columns(columns, mapping, info.name)))
    return IngestRun(plans, chunksize, Quarantine(quarantine_limit, quarantine_path))
