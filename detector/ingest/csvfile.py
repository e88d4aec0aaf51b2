"""Read CSV/TSV in chunks with exact physical line numbers and bad-row quarantine.

The happy path is pyarrow's CSV parser (about eight times faster than pandas'
C parser here) on one block of bytes at a time: a block is cut at a newline
where the count of quote characters so far is even (so no quoted field is
split). Line numbers are free when a block has as many records as lines;
otherwise the newlines inside each record are counted (vectorised) and checked
against the block's line count. Anything the fast path cannot explain (an odd
number of quotes, a bare carriage return, undecodable text) sends that block,
and only that block, through Python's :mod:`csv` module, which quarantines the
bad records with their line number and goes on.

A quoted field is never allowed to absorb lines silently. A record that spans
several lines is kept only when it has the header's field count and none of the
lines it would absorb is a record on its own (balanced quotes, the header's field
count and, when the reader knows the time column, a readable time there). Else,
or when the quote runs over more than :data:`MAX_RECORD_LINES` lines or to the
end of the file, it is taken for a broken quote: its first line is quarantined
(the reason names the lines it would have absorbed) and reading resynchronises
on the next line.

Line accounting: :attr:`CsvReader.lines_total` counts the physical lines read,
:attr:`CsvReader.header_lines` those of the header (and blank lines before it, and
Excel's ``sep=;`` line, :attr:`~detector.ingest.formats.SourceInfo.preamble`);
every other line belongs to a yielded record (``RawChunk.spans``), a quarantined
record (its span), or is blank (``RawChunk.blank``).

A row with more or fewer fields than the header is quarantined (``expected N
fields, found M``): its values cannot be matched to the columns. A bare
carriage return inside an unquoted field is a line break to both pyarrow and the
:mod:`csv` module, so such a row is quarantined too (quoted fields may hold any
line breaks).

>>> import tempfile
>>> from pathlib import Path
>>> from detector.ingest.formats import sniff
>>> with tempfile.TemporaryDirectory() as d:
...     p = Path(d, "x.csv")
...     _ = p.write_text('id,text\\n1,"two\\nlines"\\n2,"broken\\n3,ok\\n')
...     reader = CsvReader(sniff(p), chunksize=10)
...     chunks = list(reader.chunks(["id", "text"]))
>>> [c.lines.tolist() for c in chunks], [b[0] for c in chunks for b in c.bad]
([[2, 5]], [4])
>>> chunks[0].bad[0][1]
'unterminated quoted field (broken quote) on line 4: it would have absorbed line 5'
"""

from __future__ import annotations

import csv
import dataclasses
import io
import sys
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from detector.errors import DataError
from detector.ingest.blocks import iter_utf8
from detector.ingest.formats import SourceInfo
from detector.ingest.raw import RawChunk, physical_lines
from detector.ingest.timestamps import parse_one

MAX_RECORD_LINES = 1000
#: No limit on the size of one field in the slow path either (Python's :mod:`csv` stops
#: at 128 KiB by default; pyarrow, the fast path, has none): a long post read there must
#: not be quarantined when the same post is read anywhere else.
FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
_BROKEN_QUOTE = "unterminated quoted field (broken quote)"
#: Most absorbed lines the fast path checks one by one before leaving it to the slow path.
_MAX_CHECKED_LINES = 20_000


def broken_quote_reason(first: int, last: int, more: bool = False) -> str:
    """Quarantine reason for a quote opened on line *first* and running on to line *last*.

    >>> broken_quote_reason(100, 30100)
    'unterminated quoted field (broken quote) on line 100: it would have absorbed lines 101-30100'
    """
    if last <= first:
        return f"{_BROKEN_QUOTE} on line {first}: the file ends inside it"
    if more:
        return (
            f"{_BROKEN_QUOTE} on line {first}: it would have absorbed lines "
            f"{first + 1}-{last} and more (over {MAX_RECORD_LINES:,} lines)"
        )
    lines = f"line {last}" if last == first + 1 else f"lines {first + 1}-{last}"
    return f"{_BROKEN_QUOTE} on line {first}: it would have absorbed {lines}"


class _CountedBlocks:
    """Iterator over byte blocks that counts the physical lines passing through."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self.newlines = 0
        self.last = b""

    def __iter__(self) -> _CountedBlocks:
        return self

    def __next__(self) -> bytes:
        block = next(self._blocks)
        self.newlines += block.count(b"\n")
        if block:
            self.last = block[-1:]
        return block

    @property
    def lines(self) -> int:
        """Physical lines so far (a last line without a newline counts)."""
        return self.newlines + (1 if self.last not in (b"", b"\n") else 0)


def _count_lines(data: bytes) -> int:
    """Physical lines in *data* (a last line without a newline counts)."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


_MIN_BLOCK = 1 << 12
_MAX_BLOCK = 1 << 28


class CsvReader:
    """Chunked reader of one CSV/TSV source (see the module docstring)."""

    def __init__(self, info: SourceInfo, chunksize: int) -> None:
        self.info = info
        self.chunksize = chunksize
        self.delimiter = info.delimiter or ","
        #: A column whose value must parse as a time for a line to count as a record
        #: of its own when checking multi-line records (set by the caller; optional).
        self.anchor_column: str | None = None
        self.lines_total = 0
        self.header_lines = 0
        self._anchor_pos: int | None = None
        #: a byte range of the file (a share, :mod:`detector.ingest.shares`); when it starts
        #: after the header, its records are numbered from ``info.first_line`` and the
        #: header is read from the file's head
        self.in_share = info.byte_range is not None
        self._after_header = bool(info.byte_range and info.byte_range[0] > 0)
        #: True once something in this range needed the slow path, or a record longer
        #: than a whole-file reader would accept: read alone, the range may differ
        #: from the same lines read with the rest of the file (see ``ingest.shares``)
        self.inexact = False
        #: Byte sequences read that are not valid UTF-8 (each read as U+FFFD)
        self.replaced = 0
        self._retried = False  # the last fast read had to replace stray bytes

    def columns(self) -> list[str]:
        """Column names from the header record (empty names become ``unnamed_<i>``)."""
        blocks = iter_utf8(dataclasses.replace(self.info, byte_range=None), 1 << 16)
        try:
            names, _, _ = self._header(blocks)
        finally:
            blocks.close()  # type: ignore[attr-defined]
        return names

    def header_end(self) -> int:
        """Byte offset in the file just after the header record and the blank lines before
        it (UTF-8 files; 0 when the header cannot be read: reading will say why)."""
        read = 0

        def counted() -> Iterator[bytes]:
            nonlocal read
            for block in iter_utf8(dataclasses.replace(self.info, byte_range=None), 1 << 16):
                read += len(block)
                yield block

        blocks = counted()
        try:
            _, _, rest = self._header(blocks)
        except DataError:
            return 0
        finally:
            blocks.close()
        return self.info.bom + read - len(rest)

    def _header(self, blocks: Iterator[bytes]) -> tuple[list[str], int, bytes]:
        """Header names, the lines it (and blank lines and the preamble before it) took,
        the bytes after."""
        buf, skipped, eof = b"", 0, False
        while skipped < self.info.preamble and not eof:  # Excel's "sep=;" line
            cut = buf.find(b"\n")
            if cut >= 0:
                buf, skipped = buf[cut + 1 :], skipped + 1
                continue
            block = next(blocks, None)
            eof = block is None
            buf += block or b""
        while True:
            cut = first_even_cut(buf)
            if cut is not None and not buf[:cut].strip():
                skipped += buf.count(b"\n", 0, cut)  # blank lines before the header
                buf = buf[cut:]
                continue
            if cut is not None or eof:
                break
            if buf.count(b"\n") > MAX_RECORD_LINES:
                break
            block = next(blocks, None)
            eof = block is None
            buf += block or b""
        if cut is None:
            cut = len(buf)
        head, rest = buf[:cut], buf[cut:]
        if head.count(b"\n") > 1 or (cut == len(buf) and b"\n" in head.rstrip(b"\r\n")):
            raise DataError(
                f"{self.info.name}: the header (line {skipped + 1}) has an unterminated quote"
            )
        text = head.decode("utf-8", "replace")
        try:
            fields = next(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter))
        except (csv.Error, StopIteration) as exc:
            raise DataError(f"{self.info.name}: cannot read the CSV header ({exc})") from exc
        return _unique_names(fields), skipped + head.count(b"\n"), rest

    def chunks(self, usecols: Sequence[str]) -> Iterator[RawChunk]:
        """Yield :class:`RawChunk` s holding the columns *usecols* (those that exist)."""
        blocks = _CountedBlocks(iter_utf8(self.info))
        if self._after_header:
            names, header_lines, buf = self.columns(), 0, b""
        else:
            names, header_lines, buf = self._header(blocks)
        self._names = names
        self.header_lines = header_lines
        anchor = self.anchor_column
        self._anchor_pos = names.index(anchor) if anchor in names else None
        wanted = set(usecols)
        self._positions = [i for i, n in enumerate(names) if n in wanted]
        line = self.info.first_line if self._after_header else header_lines + 1
        target = want = self._target(buf)
        pending, size, eof = [buf], len(buf), False
        while True:
            while size < want and not eof:
                block = next(blocks, None)
                eof = block is None
                if block is not None:
                    pending.append(block)
                    size += len(block)
            buf = b"".join(pending)
            if eof:
                self.lines_total = blocks.lines
                body = buf.rstrip(b"\r\n")
                if body.strip(b"\r\n"):
                    chunk, _ = self._parse(body + b"\n", line, final=True)
                    chunk.blank += _count_lines(buf) - _count_lines(body)  # blank lines at the end
                else:
                    chunk = RawChunk.empty()
                    chunk.blank = _count_lines(buf)
                if len(chunk.frame) or chunk.bad or chunk.blank:
                    yield chunk
                return
            cut = _last_even_cut(buf)
            if cut is None and buf.count(b"\n") <= MAX_RECORD_LINES:
                pending, want = [buf], want * 2  # one long quoted record: read on
                continue
            if cut is None:  # a runaway quote: the slow path finds and quarantines it
                chunk, used = self._parse_python(buf[: buf.rfind(b"\n") + 1], line, final=False)
            else:
                chunk, used = self._parse(buf[:cut], line)
            line += buf.count(b"\n", 0, used)
            pending, size, want = [buf[used:]], len(buf) - used, target
            if len(chunk.frame) or chunk.bad:
                yield chunk

    def _target(self, buf: bytes) -> int:
        """Bytes per piece for about ``chunksize`` rows, from the average line length."""
        sample = buf[: 1 << 20]
        rows = sample.count(b"\n")
        per_row = len(sample) / rows if rows else 200.0
        return int(min(max(per_row * self.chunksize, _MIN_BLOCK), _MAX_BLOCK))

    def _parse(self, piece: bytes, line: int, final: bool = False) -> tuple[RawChunk, int]:
        """Fast path, else slow path; returns the chunk and the bytes of *piece* used."""
        self._retried = False
        chunk = self._parse_fast(piece, line)
        if chunk is None:
            chunk, used = self._parse_python(piece, line, final=final)
            self.replaced += invalid_utf8(piece[:used])
            return chunk, used
        if self._retried:
            self.replaced += invalid_utf8(piece)
        return chunk, len(piece)

    def _parse_fast(self, piece: bytes, line: int) -> RawChunk | None:
        """pyarrow's CSV parser on *piece*; ``None`` when only the slow path can read it."""
        quotes = piece.count(b'"')
        if quotes % 2:
            return None  # an unterminated quote: the slow path finds and quarantines it
        parsed = self._read_arrow(piece)
        if parsed is None:
            return None
        table, invalid = parsed
        if any("\n" in text for _, _, text in invalid):
            return None  # a quote swallowed lines: the slow path splits them apart again
        n_records = table.num_rows + len(invalid)
        n_lines = piece.count(b"\n") + (not piece.endswith(b"\n"))
        is_invalid = np.zeros(n_records, dtype=bool)
        is_invalid[[number - 1 for number, _, _ in invalid]] = True
        # A bare carriage return outside quotes splits a record in two for pyarrow: with
        # a multi-line record beside it the counts could match by chance, so count spans.
        if n_records == n_lines and piece.count(b"\r") == piece.count(b"\r\n"):
            starts = np.arange(line, line + n_lines, dtype=np.int64)
        else:  # multi-line records: count the newlines inside each one
            spans = np.ones(n_records, dtype=np.int64)
            inside = np.zeros(table.num_rows, dtype=np.int64)
            for column in table.columns:
                counts = pc.count_substring(column, "\n").fill_null(0)
                inside += counts.to_numpy().astype(np.int64, copy=False)
            spans[~is_invalid] += inside
            for number, _, text in invalid:
                spans[number - 1] += text.count("\n")
            if int(spans.sum()) != n_lines:
                return None  # e.g. a bare carriage return splitting a record
            starts = line + np.cumsum(spans) - spans
            if self.in_share and int(spans.max()) > MAX_RECORD_LINES:
                self.inexact = True  # the whole-file reader would call this a runaway quote
            multi = np.flatnonzero((spans > 1) & ~is_invalid)
            if len(multi) and self._absorbs_records(piece, line, starts[multi], spans[multi]):
                return None  # a broken quote swallowed records: the slow path splits them
        if self.in_share and quotes and not self.inexact:
            last = starts - line + (1 if n_records == n_lines else spans) - 1
            if not np.array_equal(last, _even_lines(piece)):
                # a quote inside an unquoted field (5" screen): the cuts made by counting
                # quotes may fall inside quoted fields, so this range may not start or
                # end where the whole file's records do
                self.inexact = True
        n_fields = len(self._names)
        bad = [
            (int(starts[number - 1]), f"expected {n_fields} fields, found {found}", text)
            for number, found, text in invalid
            if found > 1 or text.strip()
        ]
        n_spaces = len(invalid) - len(bad)  # lines of spaces are blank, as on the slow path
        lines = starts[~is_invalid]
        row_spans = None if n_records == n_lines else spans[~is_invalid]
        blank = _all_null(table)
        n_blank = 0
        if blank.any():  # blank lines parse as rows of nulls: drop them, keep ",,,"-rows
            texts = physical_lines(piece, line, lines[blank])
            drop = np.zeros(len(lines), dtype=bool)
            drop[np.flatnonzero(blank)] = [not t.strip() for t in texts]
            n_blank = int(drop.sum())
            table = table.filter(pa.array(~drop))
            lines = lines[~drop]
            row_spans = None if row_spans is None else row_spans[~drop]
        frame = table.select(self._positions).to_pandas()
        frame.columns = [self._names[p] for p in self._positions]
        return RawChunk(
            frame,
            lines,
            bad,
            raw_text=lambda pos: physical_lines(piece, line, lines[pos]),
            spans=row_spans,
            blank=n_blank + n_spaces,
        )

    def _absorbs_records(
        self, piece: bytes, line: int, starts: np.ndarray, spans: np.ndarray
    ) -> bool:
        """True when a line inside one of these multi-line records is a record on its own."""
        if int(spans.sum()) > _MAX_CHECKED_LINES:
            return True  # too many to check here: the slow path checks as it goes
        inside = np.concatenate(
            [np.arange(s + 1, s + n, dtype=np.int64) for s, n in zip(starts, spans, strict=True)]
        )
        return any(self._stands_alone(t) for t in physical_lines(piece, line, inside))

    def _stands_alone(self, text: str) -> bool:
        """True when one physical line is a complete record by itself.

        Balanced quotes, the header's field count and, when an anchor (time)
        column is known, a value there that parses as a time.
        """
        if text.count('"') % 2 or not text.strip():
            return False
        try:
            fields = next(csv.reader([text.rstrip("\r")], delimiter=self.delimiter, strict=True))
        except (csv.Error, StopIteration):
            return False
        if len(fields) != len(self._names):
            return False
        if self._anchor_pos is None:
            return True
        return parse_one(fields[self._anchor_pos]) is not None

    def _read_arrow(self, piece: bytes) -> tuple[pa.Table, list[tuple[int, int, str]]] | None:
        """All columns of *piece* as strings, and the rows with a wrong field count."""
        invalid: list[tuple[int, int, str]] = []

        def on_invalid(row: pacsv.InvalidRow) -> str:
            if row.number is None:
                return "error"
            invalid.append((row.number, row.actual_columns, row.text))
            return "skip"

        names = [f"c{i}" for i in range(len(self._names))]
        options = {
            "read_options": pacsv.ReadOptions(
                column_names=names, use_threads=False, block_size=len(piece) + 1
            ),
            "parse_options": pacsv.ParseOptions(
                delimiter=self.delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            "convert_options": pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        }
        for attempt in range(2):
            invalid.clear()
            try:
                return pacsv.read_csv(io.BytesIO(piece), **options), invalid
            except pa.ArrowInvalid as exc:
                if attempt or "invalid UTF8" not in str(exc):
                    return None
                piece = piece.decode("utf-8", "replace").encode("utf-8")  # stray bytes
                self._retried = True
        return None

    def _parse_python(self, piece: bytes, line: int, final: bool) -> tuple[RawChunk, int]:
        """Slow path: parse record by record, quarantining what cannot be parsed.

        Returns the chunk and how many bytes of *piece* were used (a record left
        open at the end of a non-final piece is given back to be read with more data).
        """
        self.inexact = True
        text_lines = piece.decode("utf-8", "replace").split("\n")
        if text_lines and text_lines[-1] == "":
            text_lines.pop()
        n_fields = len(self._names)
        rows: list[list[str]] = []
        row_lines: list[int] = []
        row_spans: list[int] = []
        bad: list[tuple[int, str, str]] = []
        n_blank = 0
        feeder = _LineFeeder(text_lines)
        used_lines = len(text_lines)
        while feeder.pos < len(text_lines):
            reader = csv.reader(feeder, delimiter=self.delimiter, strict=False)
            try:
                while True:
                    start = feeder.start = feeder.pos
                    try:
                        fields = next(reader)
                    except StopIteration:
                        break
                    span = text_lines[start : feeder.pos]
                    if sum(s.count('"') for s in span) % 2 and feeder.pos == len(text_lines):
                        raise _Runaway  # the file (or piece) ended inside a quoted field
                    if not fields or (len(fields) == 1 and not fields[0].strip()):
                        n_blank += len(span)
                        continue
                    if len(span) > 1 and (
                        len(fields) != n_fields or any(map(self._stands_alone, span[1:]))
                    ):
                        # A quote that swallowed the next lines: a legit multi-line
                        # record has the right field count and absorbs no line that
                        # is a record of its own. Quarantine the first line only and
                        # read the following lines again.
                        reason = broken_quote_reason(line + start, line + feeder.pos - 1)
                        bad.append((line + start, reason, span[0]))
                        feeder.pos = start + 1
                        continue
                    if len(fields) != n_fields:
                        reason = f"expected {n_fields} fields, found {len(fields)}"
                        bad.append((line + start, reason, span[0]))
                        continue
                    rows.append(fields)
                    row_lines.append(line + start)
                    row_spans.append(len(span))
            except _Runaway:
                if not final and feeder.start + MAX_RECORD_LINES >= len(text_lines):
                    used_lines = feeder.start  # maybe just a long record: read on
                    break
                first = text_lines[feeder.start]
                more = feeder.pos - feeder.start >= MAX_RECORD_LINES
                reason = broken_quote_reason(line + feeder.start, line + feeder.pos - 1, more)
                bad.append((line + feeder.start, reason, first))
                feeder.pos = feeder.start + 1
            except csv.Error as exc:
                reason = f"malformed CSV: {exc}"
                if "new-line character seen in unquoted field" in str(exc):
                    reason = "malformed CSV: carriage return inside an unquoted field"
                bad.append((line + feeder.start, reason, text_lines[feeder.start]))
                feeder.pos = feeder.start + 1
        bad = [(n, reason, text.rstrip("\r")) for n, reason, text in bad]  # as physical_lines
        positions = self._positions
        columns = {
            self._names[p]: [r[p] if p < len(r) and r[p] != "" else None for r in rows]
            for p in positions
        }
        frame = pd.DataFrame(columns, dtype="str") if rows else pd.DataFrame(columns)
        lines = np.asarray(row_lines, dtype=np.int64)
        spans = np.asarray(row_spans, dtype=np.int64)
        used = len(piece) if used_lines == len(text_lines) else _byte_offset(piece, used_lines)
        return RawChunk(
            frame,
            lines,
            bad,
            raw_text=lambda pos: physical_lines(piece, line, lines[pos]),
            spans=spans if (spans > 1).any() else None,
            blank=n_blank,
        ), used


class _Runaway(Exception):
    """A record spans too many lines: most likely an unmatched quote."""


class _LineFeeder:
    """Feeds lines to :func:`csv.reader`, counting them and stopping runaway records."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pos = 0
        self.start = 0

    def __iter__(self) -> _LineFeeder:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        if self.pos - self.start >= MAX_RECORD_LINES:
            raise _Runaway
        line = self.lines[self.pos]
        self.pos += 1
        return line + "\n"


def _all_null(table: pa.Table) -> np.ndarray:
    """True for rows where every column is null."""
    mask = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        if column.null_count == 0:
            return np.zeros(table.num_rows, dtype=bool)
        mask &= column.is_null().to_numpy(zero_copy_only=False)
    return mask


def _even_lines(piece: bytes) -> np.ndarray:
    """Numbers (from 0) of the lines of *piece* after which the quotes so far are even:
    where the records of a CSV whose quotes all open or close quoted fields end."""
    data = np.frombuffer(piece, dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    if not piece.endswith(b"\n"):
        ends = np.append(ends, len(piece))
    before = np.searchsorted(np.flatnonzero(data == ord('"')), ends)
    return np.flatnonzero(before % 2 == 0)


def _byte_offset(piece: bytes, n_lines: int) -> int:
    offset = 0
    for _ in range(n_lines):
        offset = piece.index(b"\n", offset) + 1
    return offset


def first_even_cut(buf: bytes, odd: bool = False) -> int | None:
    """Offset just after the first newline outside quotes, or ``None`` (*odd*: *buf*
    starts inside a quoted field)."""
    pos = buf.find(b"\n")
    quotes = int(odd)
    start = 0
    while pos >= 0:
        quotes += buf.count(b'"', start, pos + 1)
        if quotes % 2 == 0:
            return pos + 1
        start = pos + 1
        pos = buf.find(b"\n", start)
    return None


def _last_even_cut(buf: bytes) -> int | None:
    """Offset just after the last newline outside quotes (searching back a bounded way)."""
    end = buf.rfind(b"\n")
    if end < 0:
        return None
    quotes = buf.count(b'"', 0, end + 1)
    steps = 0
    while quotes % 2:
        prev = buf.rfind(b"\n", 0, end)
        steps += 1
        if prev < 0 or steps > 2 * MAX_RECORD_LINES:
            return None
        quotes -= buf.count(b'"', prev + 1, end + 1)
        end = prev
    return end + 1


def _unique_names(fields: list[str]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(fields):
        name = raw.strip() or f"unnamed_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        names.append(name)
    return names


def invalid_utf8(data: bytes) -> int:
    """How many byte sequences of *data* are not valid UTF-8 (each reads as U+FFFD).

    >>> invalid_utf8(b"caf\\xe9 ok"), invalid_utf8("café \\ufffd".encode()), invalid_utf8(b"plain")
    (1, 0, 0)
    """
    if data.isascii():
        return 0
    return data.decode("utf-8", "replace").count("\ufffd") - data.count("\ufffd".encode())
