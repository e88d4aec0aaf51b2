"""``read_posts``: read any number of exports into canonical post frames, chunk by chunk.

Every file is checked first (exists, readable, known format, a text and a time
column), so a bad third file fails before the first is read. Iterating the
returned :class:`IngestRun` then reads lazily: memory holds one chunk, the
duplicate/repost hash sets (16-24 bytes per post) and at most
``quarantine_limit`` quarantined rows (all of them are streamed to
``quarantine_path`` when given; dropped duplicates to ``duplicates_path``).

Accounting holds in records (``stats``) and in physical input lines (``lines``):
``lines_read == lines_ok + lines_quarantined + lines_duplicate + lines_blank``,
where ``lines_read`` counts the lines after each file's header (for JSON arrays
and Parquet, which have no lines, one "line" is one record).

A time column holding clock times only (``03:53:50 PM``) is joined with the
file's date column when the time column was auto-detected; when it was given,
:meth:`IngestRun.no_rows_message` names the date column instead. A time column of
numeric dates (``10/02/2015``) is read in one day and month order for the whole file:
planning scans the file for the first value that shows it when its first rows do not
(:mod:`detector.ingest.dateorder`), and each file's
:class:`~detector.ingest.timestamps.DateOrder` goes from chunk to chunk.

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

import csv
import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from detector.errors import DataError, UsageError
from detector.ingest.canonical import empty_posts, finish, map_rows
from detector.ingest.columns import ColumnMapping, ResolvedColumns, resolve_columns
from detector.ingest.compression import read_head
from detector.ingest.csvfile import CsvReader
from detector.ingest.dateorder import SCAN_CHUNK, scan_date_order
from detector.ingest.dedupe import DEDUPE_MODES, KEY_NAMES, PostIndex, lossy_ids, needs_pairing
from detector.ingest.formats import SAMPLE_BYTES, SourceInfo, sniff
from detector.ingest.jsonfile import (
    TRUNCATED_JSON,
    JsonArrayReader,
    JsonLinesReader,
    normalize_records,
    unicode_text,
)
from detector.ingest.parquetfile import ParquetReader
from detector.ingest.quarantine import DuplicateLog, Quarantine
from detector.ingest.raw import RawChunk, clip
from detector.ingest.timestamps import DateOrder, OrderShown, is_clock_only, parse_times, zone

DEFAULT_CHUNKSIZE = 200_000
#: The kind of quarantine reason of a time that does not exist in the ``--tz`` zone.
NONEXISTENT_TIME = "nonexistent time"

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
class LineStats:
    """Line accounting: ``lines_read == lines_ok + lines_quarantined + lines_duplicate
    + lines_blank``; ``lines_header`` (header and blank lines before it) is apart."""

    lines_read: int = 0
    lines_ok: int = 0
    lines_quarantined: int = 0
    lines_duplicate: int = 0
    lines_blank: int = 0
    lines_header: int = 0

    def to_dict(self) -> dict[str, int]:
        """The counts as a plain dict."""
        return asdict(self)

    @property
    def balanced(self) -> bool:
        """True when every line read is accounted for."""
        return self.lines_read == (
            self.lines_ok + self.lines_quarantined + self.lines_duplicate + self.lines_blank
        )


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
    lines: LineStats = field(default_factory=LineStats)
    #: Why the time column may not parse (clock times only), naming the date column.
    time_hint: str | None = None
    #: Why nothing was read (``file is empty``): the file holds no records
    empty: str | None = None
    #: Byte sequences that are not valid UTF-8, read as U+FFFD (a file of mixed encodings)
    replaced: int = 0
    #: The day and month order of the time column's numeric dates, kept from chunk to chunk
    dates: DateOrder = field(default_factory=DateOrder)
    #: Ids in scientific notation that lost digits (no duplicate key), the first's line
    #: and text
    lossy_ids: int = 0
    lossy_example: tuple[int, str] | None = None
    #: What the file's reader noted for a person (pages without posts skipped, a JSON
    #: file ending in a page's metadata): warnings
    notes: list[str] = field(default_factory=list)

    @property
    def date_order(self) -> OrderShown | None:
        """The order of the time column's numeric dates and the value that showed it."""
        return self.dates.shown


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
        *,
        duplicates: DuplicateLog | None = None,
        dedupe: str = "id",
        tz: str | None = None,
        hints: list[str | None] | None = None,
        index: PostIndex | None = None,
        file_numbers: list[int] | None = None,
        names: list[str] | None = None,
    ) -> None:
        self._plans = plans
        #: Number of each plan's file in the whole run (in ``origins``), and the names
        #: of all the run's files by number: a Dask worker reads one share of a run.
        self._numbers = file_numbers or list(range(len(plans)))
        self._names = names or [info.name for info, _ in plans]
        self.chunksize = chunksize
        self._quarantine = quarantine
        self._duplicates = duplicates or DuplicateLog()
        self.dedupe = dedupe
        self.tz = tz
        self.stats = IngestStats()
        self.lines = LineStats()
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
                    "time": cols.time_label or None,  # None: an empty file
                    "id": cols.id,
                    "author": cols.author,
                    "service": cols.service,
                },
                time_hint=hint,
                empty=info.empty,
                dates=DateOrder(shown=cols.date_order),
            )
            for (info, cols), hint in zip(plans, hints or [None] * len(plans), strict=True)
        ]
        self._started = False
        #: a CSV byte range read here may differ from the same lines read with the whole
        #: file (it needed the slow path): see :mod:`detector.ingest.shares`
        self.inexact = False
        if index is None:
            pairing = needs_pairing((info.empty, cols.author) for info, cols in plans)
            index = PostIndex(dedupe, pairing=pairing)
        self._index = index

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

    @property
    def duplicates_logged(self) -> int:
        """Rows written to the duplicates log (equals ``stats.rows_duplicate``)."""
        return self._duplicates.count

    def _frames(self) -> Iterator[pd.DataFrame]:
        try:
            for number, (info, cols), report in zip(
                self._numbers, self._plans, self.sources, strict=True
            ):
                if info.empty:  # a source of zero records: nothing to open
                    continue
                reader = _READERS[info.format](info, self.chunksize)
                if isinstance(reader, CsvReader):
                    reader.anchor_column = cols.time_date or cols.time
                usecols = cols.needed if self._row_keys_from(cols) is None else None
                records = 0
                for raw in reader.chunks(usecols or _all_columns(reader)):
                    records += len(raw.frame) + len(raw.bad)
                    frame = self._canonical(raw, info, cols, report, number)
                    if len(frame):
                        yield frame
                self.inexact |= bool(getattr(reader, "in_share", False) and reader.inexact)
                report.replaced += getattr(reader, "replaced", 0)
                report.notes += getattr(reader, "notes", [])
                total = getattr(reader, "lines_total", None)
                header = getattr(reader, "header_lines", 0)
                if total is None:  # JSON arrays and Parquet: one "line" per record
                    total, header = records, 0
                self._count_lines(report, read=total - header, header=header)
        finally:
            self._quarantine.close()
            self._duplicates.close()

    def _row_keys_from(self, cols: ResolvedColumns) -> str | None:
        """``"row"`` when duplicates must be judged on whole rows (no id, no author)."""
        if self.dedupe == "id" and cols.id is None and cols.author is None:
            return "row"
        return None

    def _canonical(
        self,
        raw: RawChunk,
        info: SourceInfo,
        cols: ResolvedColumns,
        report: SourceReport,
        number: int,
    ) -> pd.DataFrame:
        stats = report.stats
        # Rows the parser refused and rows without a usable text or time go to the
        # quarantine together, in line order: the order must not depend on where the
        # chunks were cut (the Dask engine's ranges cut them elsewhere).
        refused: list[tuple[int, str, str]] = []
        if raw.bad:
            bad = raw.bad_records()
            refused = [(int(b[0]), b[1], clip(b[2])) for b in bad]
            self._count_lines(report, quarantined=sum(b[3] for b in bad))
        self._count(stats, read=len(raw.frame) + len(raw.bad), quarantined=len(raw.bad))
        self._count_lines(report, blank=raw.blank)
        if len(raw.frame) == 0:
            self._quarantine_in_order(info.name, refused)
            return empty_posts()
        mapped = map_rows(raw, cols, tz=self.tz, order=report.dates)
        spans = raw.span_of()
        if len(mapped.bad):
            lines = raw.lines[mapped.bad]
            reasons = [
                _with_span(r, int(first), int(n))
                for r, first, n in zip(mapped.reasons, lines, spans[mapped.bad], strict=True)
            ]
            refused += zip(lines.tolist(), reasons, raw.raws(mapped.bad), strict=True)
            self._count_lines(report, quarantined=int(spans[mapped.bad].sum()))
        self._quarantine_in_order(info.name, refused)
        kept = np.delete(np.arange(len(raw.frame)), mapped.bad)  # raw position of each post
        posts, flag = mapped.posts, mapped.repost_flag
        row_hash = None
        if self._row_keys_from(cols) and self._index.needs_row_hash:
            row_hash = self._index.row_hash(raw.frame)[kept]
        lossy = None  # ids in scientific notation that lost digits: counted, and no key
        if self.dedupe == "id" and cols.id is not None:
            lossy = self._count_lossy_ids(report, posts, raw.lines[kept])
        origins = (np.uint64(number) << np.uint64(40)) | raw.lines[kept].astype(np.uint64)
        dup, first, codes = self._index.find(posts.reset_index(drop=True), origins, row_hash, lossy)
        if dup.any():
            where = np.flatnonzero(dup)
            files = (first[where] >> np.uint64(40)).astype(np.int64)
            self._duplicates.add(
                [info.name] * len(where),
                raw.lines[kept[where]].tolist(),
                [self._names[int(f)] for f in files],
                (first[where] & np.uint64((1 << 40) - 1)).astype(np.int64).tolist(),
                [KEY_NAMES[c] for c in codes[where]],
                raw.raws(kept[where]),
            )
            self._count_lines(report, duplicate=int(spans[kept[where]].sum()))
            posts = posts[~dup]
            flag = flag[~dup] if flag is not None else None
        self._count_lines(report, ok=int(spans[kept[~dup]].sum()))
        reposts = self._index.reposts(posts.reset_index(drop=True), flag)
        self._count(stats, ok=len(posts), quarantined=len(mapped.bad), duplicate=int(dup.sum()))
        return finish(posts, info.name, reposts)

    @staticmethod
    def _count_lossy_ids(
        report: SourceReport, posts: pd.DataFrame, lines: np.ndarray
    ) -> np.ndarray:
        """Count the posts whose id lost digits in scientific notation (not a key); their
        mask (:func:`~detector.ingest.dedupe.lossy_ids`)."""
        lossy = lossy_ids(posts["id"])
        if lossy.any():
            if report.lossy_example is None:
                first = int(np.argmax(lossy))
                report.lossy_example = (int(lines[first]), str(posts["id"].iat[first]))
            report.lossy_ids += int(lossy.sum())
        return lossy

    def _quarantine_in_order(self, source: str, rows: list[tuple[int, str, str]]) -> None:
        if rows:
            rows.sort(key=lambda row: row[0])
            self._quarantine.add(source, *zip(*rows, strict=True))

    def _count(self, stats: IngestStats, **counts: int) -> None:
        for key, value in counts.items():
            name = f"rows_{key}"
            setattr(stats, name, getattr(stats, name) + value)
            setattr(self.stats, name, getattr(self.stats, name) + value)

    def _count_lines(self, report: SourceReport, **counts: int) -> None:
        for key, value in counts.items():
            name = f"lines_{key}"
            setattr(report.lines, name, getattr(report.lines, name) + value)
            setattr(self.lines, name, getattr(self.lines, name) + value)

    def quarantine_summary(self, limit: int = 3) -> str:
        """The most common kinds of quarantine reasons, e.g. ``1,988 unparseable time``."""
        kinds = self._quarantine.kinds.most_common(limit)
        parts = []
        for kind, count in kinds:
            line, reason = self._quarantine.examples[kind]
            detail = f": {reason}" if reason != kind else ""
            parts.append(f"{count:,} {kind}, first on line {line}{detail}")
        rest = sum(self._quarantine.kinds.values()) - sum(count for _, count in kinds)
        if rest:
            others = len(self._quarantine.kinds) - len(kinds)
            parts.append(f"{rest:,} more for {others:,} other reason{'s' * (others > 1)}")
        return "; ".join(parts)

    def no_rows_message(self) -> str:
        """One line saying why no row could be scored (call after iterating)."""
        s = self.stats
        if s.rows_read == 0:
            return _nothing_read(self.sources)
        if s.rows_quarantined == 0 and s.rows_duplicate == s.rows_read - s.rows_ok:
            return f"no rows to score: all {s.rows_read:,} rows were duplicates"
        hints = [src.time_hint for src in self.sources if src.time_hint]
        cause = f"all {s.rows_read:,} rows were quarantined"
        if s.rows_duplicate:
            cause = (
                f"of {s.rows_read:,} rows {s.rows_quarantined:,} were quarantined "
                f"and {s.rows_duplicate:,} were duplicates"
            )
        message = f"no row could be scored: {cause} ({self.quarantine_summary()})"
        if hints:
            message += f"; {hints[0]}"
        return message

    def warnings(self, share: float = 0.5) -> list[str]:
        """Warnings worth showing a person: empty files, bytes that are not UTF-8, most rows
        quarantined, dates read in an order their column contradicts or a column mixing
        orders, ids that lost digits, a truncated JSON file, unbalanced lines."""
        out = [f"{src.name}: {src.empty}, nothing read" for src in self.sources if src.empty]
        out += [
            f"{src.name}: {src.replaced:,} byte sequence{'s' * (src.replaced > 1)} "
            "not valid UTF-8 read as \ufffd (the file mixes text encodings; the posts "
            "holding them were scored with it)"
            for src in self.sources
            if src.replaced
        ]
        s = self.stats
        if s.rows_read and s.rows_quarantined > share * s.rows_read:
            out.append(
                f"{s.rows_quarantined:,} of {s.rows_read:,} rows "
                f"({s.rows_quarantined / s.rows_read:.0%}) were quarantined "
                f"({self.quarantine_summary()}); see quarantine.csv"
            )
        hints = [src.time_hint for src in self.sources if src.time_hint]
        if hints and s.rows_quarantined:
            out.append(hints[0])
        for src in self.sources:
            out += [f"{src.name}: {note}" for note in src.notes]
            out += [f"{src.name}: {w}" for w in src.dates.warnings(str(src.columns["time"]))]
            if src.lossy_ids and src.lossy_example is not None:
                line, example = src.lossy_example
                many = src.lossy_ids > 1
                out.append(
                    f"{src.name}: {src.lossy_ids:,} id{'s' * many} in scientific notation "
                    f"lost digits ({example[:30]!r} on line {line:,}: a spreadsheet shows "
                    "long numbers so and saves them that way), so "
                    f"{'they were' if many else 'it was'} not used to find duplicates: "
                    "those posts were deduplicated by author, text and minute; save the "
                    "id column as text to keep the ids"
                )
        cut = self._quarantine.kinds.get(TRUNCATED_JSON, 0)
        if cut:  # a JSON file breaks off: what followed the break is not in the file
            line, reason = self._quarantine.examples[TRUNCATED_JSON]
            out.append(f"{cut:,} JSON file{'s' * (cut > 1)} cut short: {reason}")
        skipped = self._quarantine.kinds.get(NONEXISTENT_TIME, 0)
        if skipped:  # --tz names a zone whose clocks never wrote these times
            line, reason = self._quarantine.examples[NONEXISTENT_TIME]
            out.append(
                f"{skipped:,} row{'s' * (skipped > 1)} quarantined for a time inside a "
                f"daylight saving time gap of --tz {self.tz}, first on line {line}: {reason}"
            )
        if not self.lines.balanced:  # pragma: no cover - a bug if it ever shows
            out.append(f"line accounting does not add up: {self.lines.to_dict()}")
        return out


def _nothing_read(sources: list[SourceReport]) -> str:
    """Why a run that read no record has none: headers without rows, empty files."""
    read = [src.name for src in sources if not src.empty]
    empty = [src.name for src in sources if src.empty]
    parts = []
    if read:
        parts.append(f"{', '.join(read)} holds a header but no data rows")
    if empty:
        parts.append(f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty")
    return "no rows to score: " + "; ".join(parts)


def _with_span(reason: str, first: int, span: int) -> str:
    """*reason* plus the lines of a record that spans several lines."""
    if span <= 1:
        return reason
    return f"{reason} (record spans lines {first}-{first + span - 1})"


def _all_columns(reader: object) -> list[str]:
    """Every column of the file (for whole-row duplicate keys)."""
    return list(reader.columns())  # type: ignore[attr-defined]


def read_posts(
    paths: str | Path | Iterable[str | Path],
    mapping: ColumnMapping | None = None,
    *,
    chunksize: int = DEFAULT_CHUNKSIZE,
    quarantine_limit: int = 100_000,
    quarantine_path: str | Path | None = None,
    duplicates_path: str | Path | None = None,
    dedupe: str = "id",
    tz: str | None = None,
) -> IngestRun:
    """Plan reading *paths* and return the lazy :class:`IngestRun`.

    *chunksize* is the number of input rows per chunk (about, for CSV); *dedupe*
    one of :data:`~detector.ingest.dedupe.DEDUPE_MODES`; *tz* the zone of times
    written without one (default UTC). Raises
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
    if dedupe not in DEDUPE_MODES:
        raise UsageError(f"--dedupe must be one of {', '.join(DEDUPE_MODES)}. Got {dedupe!r}.")
    try:
        zone(tz)
    except ValueError as exc:
        raise UsageError(f"--tz: {exc}") from exc
    plans, hints = plan_inputs(paths, mapping, chunksize)
    return IngestRun(
        plans,
        chunksize,
        Quarantine(quarantine_limit, quarantine_path),
        duplicates=DuplicateLog(duplicates_path),
        dedupe=dedupe,
        tz=tz,
        hints=hints,
    )


def plan_inputs(
    paths: Iterable[str | Path], mapping: ColumnMapping | None, chunksize: int = DEFAULT_CHUNKSIZE
) -> tuple[list[tuple[SourceInfo, ResolvedColumns]], list[str | None]]:
    """Sniff every input and resolve its columns (reads only the head of each file, but
    for a time column of numeric dates whose head does not show their day and month
    order: that file is read on until a value shows it, :mod:`detector.ingest.dateorder`).

    Returns one ``(SourceInfo, ResolvedColumns)`` per input and, per input, the
    clock-only-time hint (or ``None``). Raises the one-line errors of :func:`read_posts`.
    An empty file (no byte, blank lines only, a JSON array without a record) is a source
    of zero records, :attr:`SourceInfo.empty` saying why (the run warns); only when every
    input is empty is it an error.
    """
    plans = []
    hints: list[str | None] = []
    for path in paths:
        info = sniff(path, allow_empty=True)
        if info.empty:
            plans.append((info, _NO_COLUMNS))
            hints.append(None)
            continue
        reader = _READERS[info.format](info, min(chunksize, 10_000))
        columns = reader.columns()
        if not columns:  # a JSON array without a record
            plans.append(
                (dataclasses.replace(info, empty="file is empty (no records)"), _NO_COLUMNS)
            )
            hints.append(None)
            continue
        cols = resolve_columns(columns, mapping, info.name)
        given = mapping is not None and mapping.time is not None
        sample = _sample(info, columns)
        cols, hint = _clock_only_time(info, cols, columns, given, sample)
        cols = _with_date_order(info, cols, sample)
        plans.append((info, cols))
        hints.append(hint)
    _refuse_all_empty([info for info, _ in plans])
    return plans, hints


#: The columns of an empty file (never read).
_NO_COLUMNS = ResolvedColumns(text=(), time="")


def _refuse_all_empty(infos: list[SourceInfo]) -> None:
    """Raise when every input is empty (an empty one among others is only a warning).

    One file keeps its own message (``x.csv: file is empty``); several are named.
    """
    if not infos or not all(info.empty for info in infos):
        return
    if len(infos) == 1:
        raise DataError(f"{infos[0].name}: {infos[0].empty}")
    names = ", ".join(info.name for info in infos)
    raise DataError(f"no rows to score: every input is empty ({names})")


_DATE_WORD = re.compile(r"(?i)date|day")
_NUMBER = re.compile(r"^\s*[-+]?\d+(\.\d*)?\s*$")


def _date_column(sample: pd.DataFrame, time: str, share: float = 0.8) -> str | None:
    """The column of *sample* holding dates that, joined with the clock times in
    *time*, parse best (at least *share*); columns named like dates first."""
    named = [c for c in sample.columns if _DATE_WORD.search(str(c))]
    others = [c for c in sample.columns if c not in named]
    for group in (named, others):
        best, best_ok = None, share
        for name in group:
            if name == time:
                continue
            values = sample[name].dropna().astype("str").str.strip()
            if len(values) == 0 or values.str.match(_NUMBER).mean() > 0.5:
                continue  # numbers would be read as epoch times
            if is_clock_only(values):
                continue
            joined = sample[name].astype("str").str.strip() + " " + sample[time].astype("str")
            _, reasons = parse_times(joined.where(sample[name].notna() & sample[time].notna()))
            ok = float(np.mean([r is None for r in reasons]))
            if ok >= best_ok and (best is None or ok > best_ok):
                best, best_ok = name, ok
        if best is not None:
            return best
    return None


def _sample(info: SourceInfo, columns: list[str], rows: int = 200) -> pd.DataFrame:
    """About the first *rows* rows of the file, whatever its format (the same posts
    must be read alike through every door: a clock-only time column is joined with
    its date column in a Parquet file or a JSON array as in a CSV).

    A CSV or JSON Lines file is sampled from its first 64 KiB (read when sniffing);
    a JSON array or a Parquet file from the first *rows* records its reader yields
    (a streamed array; Parquet's first record batch). Never fails: a head that does
    not parse gives an empty frame.
    """
    empty = pd.DataFrame(columns=columns)
    if info.format not in ("csv", "jsonl"):
        return _first_records(info, columns, rows)
    try:
        head = read_head(info.path, info.compression, info.name, SAMPLE_BYTES)
    except DataError:
        return empty
    text = head[info.bom :].decode(info.encoding, "replace")
    lines = text.splitlines()[info.preamble : info.preamble + rows + 1]
    if len(head) == SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    if info.format == "jsonl":
        records = []
        for line in lines:
            try:
                value = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, dict) and ("\\u" not in line or unicode_text(value)):
                records.append(value)  # (a lone surrogate is quarantined when read)
        return normalize_records(records) if records else empty
    try:
        table = list(csv.reader(lines, delimiter=info.delimiter or ","))
    except csv.Error:
        return empty
    body = [row for row in table[1:] if len(row) == len(columns)]
    return pd.DataFrame(body, columns=columns) if body else empty


def _first_records(info: SourceInfo, columns: list[str], rows: int) -> pd.DataFrame:
    """The first *rows* records of a JSON array or Parquet file, as its reader yields
    them (an empty frame when they cannot be read: reading reports that later)."""
    empty = pd.DataFrame(columns=columns)
    reader = _READERS.get(info.format)
    if reader is None:
        return empty
    chunks = reader(info, rows).chunks()
    try:
        first = next(chunks, None)
    except (DataError, ValueError, OSError):
        return empty
    finally:
        chunks.close()
    return empty if first is None else first.frame.head(rows)


def _with_date_order(
    info: SourceInfo, cols: ResolvedColumns, sample: pd.DataFrame
) -> ResolvedColumns:
    """*cols* with the day and month order of the file's numeric dates, when a value in
    the file shows it (:func:`~detector.ingest.dateorder.scan_date_order`)."""
    reader = _READERS[info.format](info, SCAN_CHUNK)
    if isinstance(reader, CsvReader):
        reader.anchor_column = cols.time_date or cols.time  # as reading does
    shown = scan_date_order(reader, cols, sample)
    return cols if shown is None else dataclasses.replace(cols, date_order=shown)


def _clock_only_time(
    info: SourceInfo,
    cols: ResolvedColumns,
    columns: list[str],
    given: bool,
    sample: pd.DataFrame | None = None,
) -> tuple[ResolvedColumns, str | None]:
    """Join a clock-only time column with the file's date column (or say which it is).

    Returns the columns to use and, when the time column was given by the user
    and holds clock times only, a hint naming the date column. *sample*: the file's
    first rows (:func:`_sample`; read here when not given).
    """
    if sample is None:
        sample = _sample(info, columns)
    if cols.time not in sample or not is_clock_only(sample[cols.time]):
        return cols, None
    best = _date_column(sample, cols.time)
    example = str(sample[cols.time].dropna().iloc[0])
    if best is None:
        return cols, (
            f"column {cols.time!r} holds clock times only (e.g. {example!r}) and no "
            "column with dates was found; pass --time-col with a column holding dates"
        )
    if given:
        return cols, (
            f"column {cols.time!r} holds clock times only (e.g. {example!r}); the dates "
            f"are in column {best!r}: leave --time-col out to join {best!r} and "
            f"{cols.time!r}, or pass --time-col {best!r}"
        )
    return dataclasses.replace(cols, time_date=best), None
