"""Reading one run in shares, each read by its own process (a Dask worker), with the
same results as one :class:`~detector.ingest.run.IngestRun` reading everything.

A *share* is a whole file, a byte range of an uncompressed UTF-8 JSON Lines or CSV
file (cut on line boundaries, :func:`align_range`; a CSV file's cuts fall outside
quoted fields, found from the quote counts of the ranges before, :func:`count_quotes`)
or a group of row groups of a Parquet file (:func:`plan_shares`). Line numbers stay
relative to each file: a byte range learns the number of its first line from the
line counts of the ranges before it. A CSV range that needs the reader's slow path
(a broken quote, a bare carriage return) could read differently alone than after the
lines before it, so it says so (:attr:`ShareKeys.exact`) and its file is read whole.

Duplicates and reposts depend on everything read before a post, so a share is
read twice. The first pass (:class:`KeyRecorder`) records each usable post's
duplicate key, repost key and author with its *origin* (file number and line,
which orders posts as one reader would meet them). The keys are then shuffled by
key (:func:`first_origins`, :func:`first_authors`: the first origin of each
duplicate key, the first author of each normalised text), and the second pass
(:class:`KnownPosts`) answers the reader's questions from the shuffle's results.
Compressed files are one share each (their records can only be found by reading
from the start).

The day and month order of a file's numeric dates holds from the first value that
shows it (:class:`~detector.ingest.timestamps.DateOrder`). Planning decides it when
the file's first rows hold such dates; when they do not, a later share may be the
first to show it, and the shares after it, read alone, would not know it: the first
pass reports what each share showed (:attr:`ShareKeys.shown`), and the shares after
the first that showed an order take it (:func:`with_date_orders`; those that read
numeric dates without it read again), as one reader of the file would.

>>> import tempfile
>>> from pathlib import Path
>>> from detector.ingest.columns import ColumnMapping
>>> with tempfile.TemporaryDirectory() as d:
...     p = Path(d, "a.jsonl")
...     rows = [f'{{"id": "{i % 3}", "text": "mail down", "created_at": "2024-01-01T10:0{i}:00Z"}}'
...             for i in range(6)]
...     _ = p.write_text("\\n".join(rows) + "\\n")
...     plans, _ = plan_inputs([p], ColumnMapping())
...     shares = plan_shares(plans, split_bytes=100)
...     shares = [s.aligned(*align_range(s)) for s in shares]
...     shares = with_first_lines(shares)
...     keys = [record_keys(s, "id") for s in shares]
>>> [(s.info.byte_range, s.info.first_line) for s in shares][:2]
[((0, 142), 1), ((142, 213), 3)]
>>> dups = first_origins([k.dedupe for k in keys])
>>> sorted(int(o) & 0xFFFFFFFFFF for o in dups[0]["origin"])
[4, 5, 6]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detector.ingest.columns import ResolvedColumns
from detector.ingest.compression import open_named
from detector.ingest.csvfile import CsvReader, first_even_cut
from detector.ingest.dedupe import (
    PAIRED,
    PAIRED_MARK,
    PostIndex,
    judge_reposts,
    needs_pairing,
    pair_reduce,
)
from detector.ingest.formats import SourceInfo
from detector.ingest.location import input_size
from detector.ingest.quarantine import DuplicateLog, Quarantine
from detector.ingest.run import IngestRun, SourceReport, plan_inputs
from detector.ingest.timestamps import OrderShown

__all__ = [
    "Share",
    "ShareKeys",
    "ShareReport",
    "align_range",
    "align_shares",
    "count_quotes",
    "first_authors",
    "first_origins",
    "for_share",
    "merged_run",
    "plan_inputs",
    "plan_shares",
    "read_share",
    "record_keys",
    "whole_files",
    "with_date_orders",
    "with_first_lines",
]

#: Bits of an origin that hold the line; the file number is above them.
LINE_BITS = 40
#: Default size of a byte-range share of a JSON Lines file.
SPLIT_BYTES = 64 << 20
#: Default number of rows of a Parquet share (whole row groups).
SPLIT_ROWS = 1_000_000
#: Formats whose uncompressed UTF-8 files are cut into byte ranges.
RANGED_FORMATS = ("jsonl", "csv")


@dataclass(frozen=True)
class Share:
    """One share of a run: file number *file* of the run, read as *info* says."""

    seq: int  #: position of the share in the run (shares are in input order)
    file: int
    info: SourceInfo
    cols: ResolvedColumns
    #: nominal byte range before alignment on line boundaries (ranged JSON Lines only)
    nominal: tuple[int, int] | None = None
    size: int = 0  #: file size in bytes (ranged shares)
    lines: int = 0  #: physical lines in the aligned range (ranged shares)
    #: whether the run pairs posts without id and author with those they copy (one of
    #: its files has no author column: :func:`~detector.ingest.dedupe.needs_pairing`)
    pairing: bool = True

    def aligned(self, start: int, end: int, lines: int) -> Share:
        """This share cut on line boundaries."""
        info = dataclasses.replace(self.info, byte_range=(start, end))
        return dataclasses.replace(self, info=info, lines=lines)

    @property
    def first_origin(self) -> int:
        """Origin of the first line of this share."""
        return (self.file << LINE_BITS) | self.info.first_line


def plan_shares(
    plans: Sequence[tuple[SourceInfo, ResolvedColumns]],
    *,
    split_bytes: int = SPLIT_BYTES,
    split_rows: int = SPLIT_ROWS,
) -> list[Share]:
    """Cut the run's files into shares (reads only Parquet footers)."""
    shares: list[Share] = []
    for number, (info, cols) in enumerate(plans):
        pieces: list[Share] = []
        if info.empty:  # a source of zero records: one share, which opens nothing
            shares.append(Share(0, number, info, cols))
            continue
        if (
            info.format in RANGED_FORMATS
            and info.compression is None
            and info.encoding == "utf-8"
            and not info.cr_lines  # its line ends are not the newlines ranges are cut at
        ):
            size = input_size(info.path)
            if size > split_bytes:
                cuts = list(range(0, size, split_bytes)) + [size]
                pieces = [
                    Share(0, number, info, cols, nominal=(a, b), size=size)
                    for a, b in zip(cuts[:-1], cuts[1:], strict=True)
                ]
        elif info.format == "parquet" and info.compression is None:
            pieces = _parquet_shares(number, info, cols, split_rows)
        shares.extend(pieces or [Share(0, number, info, cols)])
    pairing = needs_pairing((info.empty, cols.author) for info, cols in plans)
    return [dataclasses.replace(s, seq=i, pairing=pairing) for i, s in enumerate(shares)]


def _parquet_shares(
    number: int, info: SourceInfo, cols: ResolvedColumns, split_rows: int
) -> list[Share]:
    import pyarrow.parquet as pq

    with open_named(info.path, info.name) as handle:
        meta = pq.ParquetFile(handle).metadata
    rows = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    if len(rows) < 2:
        return []
    out, group, first, got = [], [], 1, 0
    for i, n in enumerate(rows):
        group.append(i)
        got += n
        if got >= split_rows or i == len(rows) - 1:
            part = dataclasses.replace(info, row_groups=tuple(group), first_line=first)
            out.append(Share(0, number, part, cols))
            first += got
            group, got = [], 0
    return out


def count_quotes(share: Share) -> int:
    """Quote characters in the share's nominal byte range (a CSV file's shares are cut
    where the quotes before are even: outside quoted fields, :func:`align_range`)."""
    if share.nominal is None:
        raise ValueError("only a ranged share has a nominal range")
    a, b = share.nominal
    quotes = 0
    with open_named(share.info.path, share.info.name) as handle:
        handle.seek(a)
        left = b - a
        while left > 0 and (block := handle.read(min(1 << 22, left))):
            left -= len(block)
            quotes += block.count(b'"')
    return quotes


def _line_start(handle: object, at: int, size: int, quotes_before: int | None = None) -> int:
    """Offset of the first line that starts at or after *at*; given *quotes_before* (the
    quote characters before *at*), the first one outside quotes (an even number before)."""
    if at <= 0:
        return 0
    if at >= size:
        return size
    handle.seek(at - 1)  # type: ignore[attr-defined]
    pos = at - 1
    block = handle.read(1 << 20)  # type: ignore[attr-defined]
    odd = ((quotes_before or 0) - (block[:1] == b'"')) % 2  # quotes before the block
    while block:
        if quotes_before is None:
            cut = block.find(b"\n") + 1 or None
        else:
            cut = first_even_cut(block, odd=bool(odd))
        if cut is not None:
            return pos + cut
        odd = (odd + block.count(b'"')) % 2
        pos += len(block)
        block = handle.read(1 << 20)  # type: ignore[attr-defined]
    return size


def align_range(share: Share, quotes: tuple[int, int] | None = None) -> tuple[int, int, int]:
    """``(start, end, lines)``: the share's nominal byte range moved to line starts,
    and the physical lines in it (a last line without a newline counts).

    A CSV share passes *quotes*, the quote characters before its nominal start and
    before its nominal end (:func:`count_quotes` of the shares before): its ends
    move to line starts outside quoted fields, so no record is cut in two, and not
    before the end of the header (a range holding only blank lines before it would
    find no header, and a range starting among them would read the header as a record).
    """
    if share.nominal is None:
        raise ValueError("only a ranged share can be aligned")
    a, b = share.nominal
    with open_named(share.info.path, share.info.name) as handle:
        if quotes is None:
            start = _line_start(handle, a, share.size)
            end = _line_start(handle, b, share.size)
        else:  # and never before the header's end (blank lines may come before it)
            head = CsvReader(share.info, 1).header_end()
            start = max(_line_start(handle, a, share.size, quotes[0]), head) if a > 0 else 0
            end = max(_line_start(handle, b, share.size, quotes[1]), head)
        lines, last = 0, b""
        handle.seek(start)
        left = end - start
        while left > 0 and (block := handle.read(min(1 << 22, left))):
            left -= len(block)
            lines += block.count(b"\n")
            last = block[-1:]
    if end == share.size and last not in (b"", b"\n"):
        lines += 1
    return start, end, lines


def align_shares(
    shares: list[Share],
    plans: Sequence[tuple[SourceInfo, ResolvedColumns]],
    map_tasks: Callable[..., Iterable[Any]] = map,
) -> list[Share]:
    """The byte-range shares cut on record boundaries, and numbered from their lines.

    A CSV file's cuts must fall outside quoted fields, so the quotes of each range are
    counted first and every cut learns how many come before it; a CSV file with an
    odd number of quotes has a broken quote somewhere and is read whole. The reading
    runs through *map_tasks* (``map``'s signature; a Dask client's map and gather).
    """
    shares = list(shares)
    ranged = [i for i, s in enumerate(shares) if s.nominal is not None]
    if not ranged:
        return shares
    csv = [i for i in ranged if shares[i].info.format == "csv"]
    counted = list(map_tasks(count_quotes, [shares[i] for i in csv]))
    quotes: dict[int, tuple[int, int]] = {}
    before: dict[int, int] = {}
    for i, count in zip(csv, counted, strict=True):
        start = before.get(shares[i].file, 0)
        quotes[i] = (start, start + count)
        before[shares[i].file] = start + count
    broken = {file for file, total in before.items() if total % 2}
    todo = [i for i in ranged if shares[i].file not in broken]
    aligned = map_tasks(_aligned, [shares[i] for i in todo], [quotes.get(i) for i in todo])
    for i, share in zip(todo, aligned, strict=True):
        shares[i] = share
    return with_first_lines(whole_files(shares, broken, plans)[0])


def _aligned(share: Share, quotes: tuple[int, int] | None) -> Share:
    return share.aligned(*align_range(share, quotes))


def whole_files(
    shares: Sequence[Share], files: set[int], plans: Sequence[tuple[SourceInfo, ResolvedColumns]]
) -> tuple[list[Share], list[int | None]]:
    """*shares* with the shares of *files* replaced by one whole-file share each, and
    where each share was in *shares* (``None`` for the new whole-file shares)."""
    out: list[Share] = []
    was: list[int | None] = []
    for i, share in enumerate(shares):
        if share.file not in files:
            out.append(share)
            was.append(i)
        elif not out or out[-1].file != share.file:
            info, cols = plans[share.file]
            out.append(Share(0, share.file, info, cols, pairing=share.pairing))
            was.append(None)
    return [dataclasses.replace(s, seq=i) for i, s in enumerate(out)], was


def with_first_lines(shares: Sequence[Share]) -> list[Share]:
    """Ranged shares numbered from the line counts of the ranges before them."""
    out, line, current = [], 1, -1
    for share in shares:
        if share.nominal is None:
            out.append(share)
            continue
        if share.file != current:
            current, line = share.file, 1
        out.append(
            dataclasses.replace(share, info=dataclasses.replace(share.info, first_line=line))
        )
        line += share.lines
    return out


def _run(
    share: Share,
    names: Sequence[str],
    index: PostIndex,
    chunksize: int,
    dedupe: str,
    tz: str | None,
    quarantine: Quarantine | None = None,
    duplicates: DuplicateLog | None = None,
) -> IngestRun:
    return IngestRun(
        [(share.info, share.cols)],
        chunksize,
        quarantine or Quarantine(0),
        duplicates=duplicates,
        dedupe=dedupe,
        tz=tz,
        index=index,
        file_numbers=[share.file],
        names=list(names),
    )


class KeyRecorder(PostIndex):
    """First pass: finds nothing, records each post's keys and origin."""

    def __init__(self, mode: str, *, pairing: bool = True) -> None:
        super().__init__(mode, stable=True, pairing=pairing)
        self.parts: list[tuple[np.ndarray, ...]] = []
        #: text+time key, pair key, kind (-1 anonymous, 1 not) and origin of each post
        self.pair_parts: list[tuple[np.ndarray, ...]] = []
        self.repost_parts: list[tuple[np.ndarray, np.ndarray]] = []

    def find(
        self,
        posts: pd.DataFrame,
        origins: np.ndarray,
        row_hash: np.ndarray | None = None,
        lossy: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        origins = np.asarray(origins, dtype=np.uint64)
        by_id = self._by_id(posts, lossy)
        keys, codes = self.keys(posts, row_hash, by_id)
        self.parts.append((keys, origins))
        if self.mode != "none" and self.pairing and len(posts):
            text_time, pair = self.pair_keys(posts, keys)
            kind = np.where(self.anonymous(posts, by_id), -1, 1).astype(np.int8)
            self.pair_parts.append((text_time, pair, kind, origins))
        return np.zeros(len(posts), dtype=bool), origins, codes

    def reposts(self, posts: pd.DataFrame, flag: np.ndarray | None = None) -> np.ndarray:
        if len(posts):
            text, author, _ = self.repost_keys(posts)
            self.repost_parts.append((text, author))
        return np.zeros(len(posts), dtype=bool)


@dataclass
class ShareKeys:
    """What the first pass found in one share (origins in reading order)."""

    origins: np.ndarray
    #: structured ``key, origin, pair, kind`` (empty when nothing is deduplicated): each
    #: post's own key (kind 0) and its text+time key (:class:`~detector.ingest.dedupe.Pairing`:
    #: kind -1 anonymous, 1 not; *pair* its pair key)
    dedupe: np.ndarray
    text: np.ndarray  #: repost text key per post
    author: np.ndarray  #: author key per post
    #: False when a CSV byte range needed the slow path (a broken quote, a bare carriage
    #: return...): read alone it may differ from the whole file, which is then read whole
    exact: bool = True
    #: the first value of the share that showed its dates' day and month order (or the
    #: order it was given), and whether it read numeric dates that fit both orders
    #: without one (see :func:`with_date_orders`)
    shown: OrderShown | None = None
    assumed: bool = False

    def dedupe_bucket(self, bucket: int, buckets: int) -> np.ndarray:
        """The ``key, origin, pair, kind`` rows whose key falls in *bucket* of *buckets*."""
        return self.dedupe[self.dedupe["key"] % np.uint64(buckets) == bucket]

    def repost_bucket(self, bucket: int, buckets: int, dropped: np.ndarray) -> np.ndarray:
        """``key, origin, author`` of the posts kept (not in *dropped*) in *bucket*."""
        kept = ~np.isin(self.origins, dropped)
        mine = kept & (self.text % np.uint64(buckets) == bucket)
        out = np.empty(int(mine.sum()), dtype=_REPOST_ROW)
        out["key"], out["origin"], out["author"] = (
            self.text[mine],
            self.origins[mine],
            self.author[mine],
        )
        return out


_KEY_ROW = np.dtype(
    [("key", np.uint64), ("origin", np.uint64), ("pair", np.uint64), ("kind", np.int8)]
)
_REPOST_ROW = np.dtype([("key", np.uint64), ("origin", np.uint64), ("author", np.uint64)])
#: A reducer's answer for one post: its origin and the first (origin or author) of its key.
FIRST_ROW = np.dtype([("origin", np.uint64), ("first", np.uint64)])


def record_keys(
    share: Share, dedupe: str, *, chunksize: int = 200_000, tz: str | None = None
) -> ShareKeys:
    """First pass over *share* (see the module docstring)."""
    recorder = KeyRecorder(dedupe, pairing=share.pairing)
    names = [""] * (share.file + 1)
    run = _run(share, names, recorder, chunksize, dedupe, tz)
    for _ in run:
        pass
    empty = np.empty(0, dtype=np.uint64)
    keys = np.concatenate([k for k, _ in recorder.parts]) if recorder.parts else empty
    origins = np.concatenate([o for _, o in recorder.parts]) if recorder.parts else empty
    text = np.concatenate([t for t, _ in recorder.repost_parts]) if recorder.repost_parts else empty
    author = (
        np.concatenate([a for _, a in recorder.repost_parts]) if recorder.repost_parts else empty
    )
    rows = np.zeros(0 if dedupe == "none" else len(keys), dtype=_KEY_ROW)
    if len(rows):
        rows["key"], rows["origin"] = keys, origins
    if len(rows) and recorder.pair_parts:  # the run pairs copies (share.pairing)
        paired = [np.concatenate(part) for part in zip(*recorder.pair_parts, strict=True)]
        more = np.empty(len(paired[0]), dtype=_KEY_ROW)
        more["key"], more["pair"], more["kind"], more["origin"] = paired
        rows = np.concatenate((rows, more))
    dates = run.sources[0].dates if run.sources else None
    return ShareKeys(
        origins,
        rows,
        text,
        author,
        exact=not run.inexact,
        shown=dates.shown if dates is not None else None,
        assumed=bool(dates is not None and dates.assumed),
    )


def with_date_orders(
    shares: Sequence[Share], found: Sequence[tuple[OrderShown | None, bool]]
) -> tuple[list[Share], list[int]]:
    """*shares* with the day and month order of their file's numeric dates, as one reader
    of the whole file would read them: every share after the first that showed an order
    (*found*: :attr:`ShareKeys.shown` and :attr:`ShareKeys.assumed` of each share's
    first pass) reads that order; and the positions of the shares whose first pass must
    be done again (it read numeric dates without that order).

    >>> from detector.ingest.columns import ResolvedColumns
    >>> info = SourceInfo("a.csv", "a.csv", "csv")
    >>> cols = ResolvedColumns(text=("text",), time="date")
    >>> shares = [Share(i, 0, info, cols, nominal=(i, i + 1)) for i in range(4)]
    >>> dmy = OrderShown("dmy", "13/02/2015", 7)
    >>> out, again = with_date_orders(shares, [(None, True), (dmy, True), (None, False),
    ...                                         (None, True)])
    >>> [s.cols.date_order == dmy for s in out], again
    ([False, False, True, True], [3])
    """
    out = list(shares)
    again: list[int] = []
    current: dict[int, OrderShown | None] = {}
    for i, (share, (shown, assumed)) in enumerate(zip(shares, found, strict=True)):
        order = current.get(share.file) or share.cols.date_order
        if order is not None and share.cols.date_order is None:
            cols = dataclasses.replace(share.cols, date_order=order)
            out[i] = dataclasses.replace(share, cols=cols)
            if assumed or (shown is not None and shown.order != order.order):
                again.append(i)
        current[share.file] = order or shown
    return out, again


def _share_of(origins: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.searchsorted(starts, origins, side="right") - 1


def first_origins(pieces: Sequence[np.ndarray]) -> dict[int, np.ndarray]:
    """Reduce one dedupe bucket: every post whose key came earlier, with the origin of
    the first post of that key, and every post paired as a copy by its text and time
    (:func:`~detector.ingest.dedupe.pair_reduce`; its first marked with
    :data:`~detector.ingest.dedupe.PAIRED_MARK`), as ``{file number: rows (origin, first)}``."""
    rows = np.concatenate(pieces) if pieces else np.empty(0, dtype=_KEY_ROW)
    if not len(rows):
        return {}
    own, text_time = rows[rows["kind"] == 0], rows[rows["kind"] != 0]
    parts = []
    if len(own):
        origins, _, start = _by_key(own)
        first = origins[np.flatnonzero(start)][np.cumsum(start) - 1]
        dup = ~start
        out = np.empty(int(dup.sum()), dtype=FIRST_ROW)
        out["origin"], out["first"] = origins[dup], first[dup]
        parts.append(out)
    copies, partners = pair_reduce(
        text_time["key"], text_time["pair"], text_time["kind"], text_time["origin"]
    )
    paired = np.empty(len(copies), dtype=FIRST_ROW)
    paired["origin"], paired["first"] = copies, partners | PAIRED_MARK
    parts.append(paired)
    out = np.concatenate(parts)
    return _by_file(out) if len(out) else {}


def first_authors(pieces: Sequence[np.ndarray]) -> dict[int, np.ndarray]:
    """Reduce one repost bucket: the first author of each post's text, as
    ``{file number: rows (origin, first author)}``."""
    rows = np.concatenate(pieces) if pieces else np.empty(0, dtype=_REPOST_ROW)
    if not len(rows):
        return {}
    origins, order, start = _by_key(rows)
    authors = rows["author"][order]
    out = np.empty(len(rows), dtype=FIRST_ROW)
    out["origin"] = origins
    out["first"] = authors[np.flatnonzero(start)][np.cumsum(start) - 1]
    return _by_file(out)


def _by_key(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origins sorted by (key, origin), that order, and where each key starts in it."""
    order = np.lexsort((rows["origin"], rows["key"]))
    keys, origins = rows["key"][order], rows["origin"][order]
    start = np.empty(len(keys), dtype=bool)
    start[0] = True
    np.not_equal(keys[1:], keys[:-1], out=start[1:])
    return origins, order, start


def _by_file(out: np.ndarray) -> dict[int, np.ndarray]:
    """Reducer rows in origin order, split by the file they come from."""
    out = out[np.argsort(out["origin"])]
    files = (out["origin"] >> np.uint64(LINE_BITS)).astype(np.int64)
    return {int(f): out[files == f] for f in np.unique(files)}


def for_share(found: dict[int, np.ndarray], share: Share, next_origin: int | None) -> np.ndarray:
    """The rows of a reducer's result (:func:`first_origins`, :func:`first_authors`)
    that belong to *share* (origins from its first line up to *next_origin*)."""
    rows = found.get(share.file)
    if rows is None:
        return np.empty(0, dtype=FIRST_ROW)
    origin = rows["origin"]
    lo = np.searchsorted(origin, np.uint64(share.first_origin))
    hi = len(origin) if next_origin is None else np.searchsorted(origin, np.uint64(next_origin))
    return rows[lo:hi]


class KnownPosts(PostIndex):
    """Second pass: duplicates and first authors as the shuffle found them."""

    needs_row_hash = False  # the keys were hashed in the first pass

    def __init__(self, mode: str, duplicates: np.ndarray, authors: np.ndarray) -> None:
        super().__init__(mode, stable=True)
        self._dups = np.sort(duplicates, order="origin")
        self._authors = np.sort(authors, order="origin")["first"]
        self._at = 0

    def find(
        self,
        posts: pd.DataFrame,
        origins: np.ndarray,
        row_hash: np.ndarray | None = None,
        lossy: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        origins = np.asarray(origins, dtype=np.uint64)
        n = len(posts)
        if n == 0 or self.mode == "none":
            return np.zeros(n, dtype=bool), origins, np.zeros(n, dtype=np.int8)
        codes = self.key_codes(posts, self._by_id(posts, lossy))
        known = self._dups["origin"]
        pos = np.minimum(np.searchsorted(known, origins), max(0, len(known) - 1))
        dup = (known[pos] == origins) if len(known) else np.zeros(n, dtype=bool)
        first = origins.copy()
        first[dup] = self._dups["first"][pos[dup]]
        paired = dup & (first >= PAIRED_MARK)  # sorted after a duplicate by its own key
        first[paired] &= ~PAIRED_MARK
        codes[paired] = PAIRED
        return dup, first, codes

    def reposts(self, posts: pd.DataFrame, flag: np.ndarray | None = None) -> np.ndarray:
        if len(posts) == 0:
            return np.zeros(0, dtype=bool)
        author, rt = self.author_keys(posts)
        first = self._authors[self._at : self._at + len(posts)]
        self._at += len(posts)
        return judge_reposts(author, first, rt, flag)


def read_share(
    share: Share,
    names: Sequence[str],
    dedupe: str,
    duplicates: np.ndarray,
    authors: np.ndarray,
    *,
    chunksize: int = 200_000,
    tz: str | None = None,
    quarantine_path: str | None = None,
    duplicates_path: str | None = None,
) -> IngestRun:
    """Second pass over *share*: the lazy run whose frames are the share's posts,
    duplicates dropped and reposts flagged as one reader of the whole run would."""
    index = KnownPosts(dedupe, duplicates, authors)
    return _run(
        share,
        names,
        index,
        chunksize,
        dedupe,
        tz,
        Quarantine(0, quarantine_path),
        DuplicateLog(duplicates_path),
    )


@dataclass
class ShareReport:
    """Accounting of one share after its second pass (small; sent to the client)."""

    seq: int
    file: int
    stats: dict[str, int]
    lines: dict[str, int]
    kinds: dict[str, int]
    examples: dict[str, tuple[int, str]]
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, share: Share, run: IngestRun) -> ShareReport:
        """The report of *run* (iterated) over *share*."""
        quarantine = run._quarantine  # noqa: SLF001 - same package
        return cls(
            share.seq,
            share.file,
            run.stats.to_dict(),
            run.lines.to_dict(),
            dict(quarantine.kinds),
            dict(quarantine.examples),
            {
                "replaced": sum(source.replaced for source in run.sources),
                "dates": dataclasses.asdict(run.sources[0].dates) if run.sources else None,
                "lossy_ids": [(source.lossy_ids, source.lossy_example) for source in run.sources],
                "notes": [note for source in run.sources for note in source.notes],
            },
        )


def _merge_share_notes(source: SourceReport, extra: dict[str, object]) -> None:
    """Add what one share of *source* noted (in reading order) to *source*: the dates
    read in an order their column contradicts, the ids that lost digits, its reader's
    notes."""
    source.notes += [str(note) for note in extra.get("notes", [])]  # type: ignore[attr-defined]
    for count, example in extra.get("lossy_ids", []):  # type: ignore[attr-defined]
        if count:
            source.lossy_ids += int(count)
            if source.lossy_example is None and example is not None:
                source.lossy_example = (int(example[0]), str(example[1]))
    notes = extra.get("dates")
    if not isinstance(notes, dict):
        return
    dates = source.dates
    shown = OrderShown(**notes["shown"]) if notes["shown"] is not None else None
    if dates.shown is None:
        dates.shown = shown
    elif shown is not None and shown.order != dates.shown.order:  # not one reader's
        source.notes.append(
            f"a share of the file read its dates {shown.describe()}, but an earlier one "
            f"read them {dates.shown.describe()}: score the file with the local engine"
        )
    if notes["assumed"]:
        if dates.assumed_order is None:
            dates.assumed_order, dates.assumed_line = notes["assumed_order"], notes["assumed_line"]
        dates.assumed += int(notes["assumed"])
    if notes["mixed"]:
        if not dates.mixed:
            dates.mixed_example, dates.mixed_line = notes["mixed_example"], notes["mixed_line"]
        dates.mixed += int(notes["mixed"])


def merged_run(
    plans: list[tuple[SourceInfo, ResolvedColumns]],
    hints: list[str | None],
    reports: Sequence[ShareReport],
    *,
    chunksize: int,
    dedupe: str,
    tz: str | None,
) -> IngestRun:
    """An iterated :class:`IngestRun` whose accounting is the sum of the shares'."""
    run = IngestRun(plans, chunksize, Quarantine(0), dedupe=dedupe, tz=tz, hints=hints)
    run._started = True  # noqa: SLF001 - the shares were read instead
    quarantine = run._quarantine  # noqa: SLF001
    for report in sorted(reports, key=lambda r: r.seq):
        source = run.sources[report.file]
        source.replaced += int(report.extra.get("replaced", 0))  # type: ignore[call-overload]
        _merge_share_notes(source, report.extra)
        for key, value in report.stats.items():
            setattr(source.stats, key, getattr(source.stats, key) + value)
            setattr(run.stats, key, getattr(run.stats, key) + value)
        for key, value in report.lines.items():
            setattr(source.lines, key, getattr(source.lines, key) + value)
            setattr(run.lines, key, getattr(run.lines, key) + value)
        for kind, count in report.kinds.items():
            quarantine.kinds[kind] += count
            quarantine.count += count
            quarantine.examples.setdefault(kind, report.examples[kind])
    return run
