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

import pandas as pd

from detector.errors import DataError, UsageError
from detector.ingest.canonical import empty_posts, finish, map_rows
from detector.ingest.columns import ColumnMapping, ResolvedColumns, resolve_columns
from detector.ingest.csvfile import CsvReader
from detector.ingest.dedupe import PostIndex
from detector.ingest.formats import SourceInfo, sniff
from detector.ingest.jsonfile import JsonArrayReader, JsonLinesReader
from detector.ingest.parquetfile import ParquetReader
from detector.ingest.quarantine import Quarantine
from detector.ingest.raw import RawChunk, clip

DEFAULT_CHUNKSIZE = 200_000

_READERS = {
    "csv": CsvReader,
    "jsonl": JsonLinesReader,
    "json": JsonArrayReader,
    "parquet": ParquetReader,
}


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
        self._index = PostIndex()

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
            self._quarantine.add(info.name, lines, reasons, [clip(r) for r in raws])
        self._count(stats, read=len(raw.frame) + len(raw.bad), quarantined=len(raw.bad))
        if len(raw.frame) == 0:
            return empty_posts()
        mapped = map_rows(raw, cols)
        if len(mapped.bad):
            lines = raw.lines[mapped.bad]
            self._quarantine.add(info.name, lines, mapped.reasons, raw.raws(mapped.bad))
        posts, flag = mapped.posts, mapped.repost_flag
        dup = self._index.duplicates(posts)
        if dup.any():
            posts = posts[~dup]
            flag = flag[~dup] if flag is not None else None
        reposts = self._index.reposts(posts.reset_index(drop=True), flag)
        self._count(stats, ok=len(posts), quarantined=len(mapped.bad), duplicate=int(dup.sum()))
        return finish(posts, info.name, reposts)

    def _count(self, stats: IngestStats, **counts: int) -> None:
        for key, value in counts.items():
            name = f"rows_{key}"
            setattr(stats, name, getattr(stats, name) + value)
            setattr(self.stats, name, getattr(self.stats, name) + value)


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
