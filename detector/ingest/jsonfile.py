"""Read JSON Lines and JSON arrays in chunks, nested objects flattened to dotted names.

JSON Lines: pyarrow's JSON reader parses a whole block at once (fast path); a
block it rejects (a bad line, types changing between rows) is parsed line by
line with :func:`json.loads`, and bad lines are quarantined as
``invalid JSON: ...`` with their line number. A record nested deeper than
:data:`MAX_DEPTH` levels is quarantined (``nested deeper than ...``) before any
parser sees it, so no input can exhaust the stack. JSON arrays (``[{...}, ...]`` or an
object holding the array under ``data``, as X API v2 returns) are streamed one
element at a time, so memory stays bounded; their ``line`` is the record number.

>>> import tempfile
>>> from pathlib import Path
>>> from detector.ingest.formats import sniff
>>> with tempfile.TemporaryDirectory() as d:
...     p = Path(d, "x.jsonl")
...     _ = p.write_text('{"id": 1, "user": {"name": "a"}}\\n{oops\\n{"id": 2}\\n')
...     chunk = next(JsonLinesReader(sniff(p), chunksize=10).chunks())
>>> sorted(chunk.frame.columns), chunk.lines.tolist(), chunk.bad[0][:2]  # doctest: +ELLIPSIS
(['id', 'user.name'], [1, 3], (2, 'invalid JSON: Expecting property name enclosed in ...'))
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from typing import NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson

from detector.errors import DataError
from detector.ingest.arrowtypes import has_leaf, swap_leaves
from detector.ingest.blocks import iter_utf8, line_blocks
from detector.ingest.formats import (
    ARRAY_KEYS,
    PAGE_META_KEYS,
    SourceInfo,
    is_postless_page,
    page_key,
)
from detector.ingest.raw import RawChunk, physical_lines

_SAMPLE_RECORDS = 1000
_MAX_ELEMENT_CHARS = 1 << 26
#: Deepest nesting of objects/arrays accepted in one record.
MAX_DEPTH = 64
_TOO_DEEP = f"JSON nested deeper than {MAX_DEPTH} levels"


def json_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """Deepest nesting of ``{``/``[`` in *text* (strings skipped); stops past *limit*.

    Iterative, so it is safe on any input.

    >>> json_depth('{"a": [1, {"b": "[[["}]}'), json_depth("[" * 500, limit=10)
    (3, 11)
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _bracket_counts(piece: bytes) -> np.ndarray:
    """Opening brackets per line of *piece*: an upper bound of each line's nesting."""
    data = np.frombuffer(piece, dtype=np.uint8)
    opening = (data == ord("{")) | (data == ord("["))
    if not opening.any():
        return np.zeros(piece.count(b"\n") + 1, dtype=np.int64)
    ends = np.flatnonzero(data == 10)
    bounds = np.concatenate(([0], ends + 1))
    bounds = bounds[bounds < len(data)] if len(data) else bounds
    counts = np.add.reduceat(opening.astype(np.int64), bounds) if len(data) else bounds
    return counts


#: Quarantine reason of a record holding a lone surrogate escape (``"\\ud800"``): JSON
#: allows it, but it is no Unicode character, and no column can hold it.
LONE_SURROGATE = "a lone surrogate escape (\\ud800-\\udfff without its pair): not Unicode text"


def unicode_text(value: object) -> bool:
    """Whether every string in the decoded JSON *value* is Unicode text (no lone
    surrogate from an escape such as ``"\\ud800"``, which cannot be encoded).

    >>> unicode_text({"text": "ok 🙂", "n": [1, "x"]}), unicode_text({"text": "bad " + chr(0xD800)})
    (True, False)
    """
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def flatten_table(table: pa.Table) -> pa.Table:
    """Flatten struct columns recursively into ``parent.child`` columns."""
    while any(pa.types.is_struct(t) for t in table.schema.types):
        table = table.flatten()
    return table


def normalize_records(records: list[dict]) -> pd.DataFrame:
    """Records (dicts) as one flat frame with dotted names for nested objects.

    >>> normalize_records([{"a": 1, "b": {"c": "x"}}]).columns.tolist()
    ['a', 'b.c']
    """
    if not records:
        return pd.DataFrame()
    return pd.json_normalize(records, sep=".")


def _read_json_block(piece: bytes, known: list[pa.Field] | None = None) -> pa.Table:
    """*piece* (whole JSON Lines) as a table, with every value arrow would read as a
    timestamp kept as the text it is.

    Arrow's JSON reader takes ISO 8601 strings for timestamps and drops their zone (``Z``,
    ``+02:00``: converted to UTC, without saying so), so a zoneless time and a zoned one
    look alike and ``--tz`` would shift both. Read as text, they are parsed like a CSV's
    times. A block with such columns is read twice, the second time with those fields
    given as strings (nested ones too); the columns keep their order.

    *known*, a reader's own list, carries the fields found to be such times (as
    :func:`_times_only` gives them) from one block to the next: a block is read once,
    with them given as strings, where that gives what reading it twice would (see
    :func:`_read_as_known`); else twice.

    >>> t = _read_json_block(b'{"at": "2019-06-19T23:59:35+02:00", "u": {"t": "2019-06-19"}}\\n')
    >>> t.schema.names, t.column("at")[0].as_py(), t.column("u")[0].as_py()
    (['at', 'u'], '2019-06-19T23:59:35+02:00', {'t': '2019-06-19'})
    """
    options = pajson.ReadOptions(block_size=len(piece) + 1)
    if known:
        table = _read_as_known(piece, options, known)
        if table is not None:
            return table
    table = pajson.read_json(io.BytesIO(piece), read_options=options)
    stamped = [f for f in table.schema if _has_timestamp(f.type)]
    if known is not None:
        learned = [_times_only(f) for f in stamped]
        known[:] = [] if any(f is None for f in learned) else learned  # type: ignore[misc]
    if not stamped:
        return table
    schema = pa.schema([pa.field(f.name, _as_text(f.type)) for f in stamped])
    parse = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    again = pajson.read_json(io.BytesIO(piece), read_options=options, parse_options=parse)
    return again.select(table.schema.names)


def _times_only(field: pa.Field) -> pa.Field | None:
    """*field* cut down to its timestamps, made strings (a struct keeps only the children
    that hold some); None when one lies in a list (whose structs cannot be checked).

    >>> _times_only(pa.field("u", pa.struct([("at", pa.timestamp("s")), ("n", pa.int64())])))
    pyarrow.Field<u: struct<at: string>>
    """
    if pa.types.is_timestamp(field.type):
        return field.with_type(pa.string())
    if not pa.types.is_struct(field.type):
        return None
    children = [_times_only(child) for child in field.type if _has_timestamp(child.type)]
    if any(child is None for child in children):
        return None
    return field.with_type(pa.struct(children))  # type: ignore[arg-type]


def _read_as_known(
    piece: bytes, options: pajson.ReadOptions, known: list[pa.Field]
) -> pa.Table | None:
    """*piece* read once with the fields *known* given as strings, or None where that
    may differ from :func:`_read_json_block` reading it twice: arrow refuses it (a field
    holds numbers now), another field holds times, a known field holds no value in this
    block (absent, or typed null), or its first 256 lines do not name every known field
    (they tell where arrow would have put them: in the order the names first appear).
    """
    schema = pa.schema(known)
    parse = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    try:
        table = pajson.read_json(io.BytesIO(piece), read_options=options, parse_options=parse)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if any(_has_timestamp(kind) for kind in table.schema.types):
        return None
    if not all(_has_values(table.column(field.name), field) for field in known):
        return None
    for lines in (1, 16, 256):  # a field seldom there: the first lines holding it
        placed = _first_order(list(table.schema), known, _first_records(piece, lines))
        if placed is not None:
            try:  # a struct's fields put in that order, matched by name
                return table.select([field.name for field in placed]).cast(pa.schema(placed))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # an arrow that cannot
                return None
    return None


def _first_records(piece: bytes, lines: int) -> list[object]:
    """The records of the first *lines* lines of *piece* (none if one is not JSON)."""
    end = -1
    for _ in range(lines):
        end = piece.find(b"\n", end + 1)
        if end < 0:
            break
    head = piece if end < 0 else piece[:end]
    try:
        return [json.loads(line) for line in head.split(b"\n") if line.strip()]
    except ValueError:
        return []


def _has_values(column: pa.ChunkedArray, field: pa.Field) -> bool:
    """Whether every time *field* names (see :func:`_times_only`) has a value in *column*."""
    if not pa.types.is_struct(field.type):
        return column.null_count < len(column)
    parts = dict(zip([child.name for child in column.type], column.flatten(), strict=True))
    return all(_has_values(parts[child.name], child) for child in field.type)


def _first_order(
    fields: list[pa.Field], known: list[pa.Field], records: list[object]
) -> list[pa.Field] | None:
    """*fields* (of a table, or of a struct in it, read with *known* given) in the order
    a read without *known* gives them: as the first *records* name them, then the others
    as they are (arrow orders fields as they first appear, and puts given ones first);
    None when *records* do not name every known field."""
    seen: dict[str, None] = {}
    for record in records:
        if isinstance(record, dict):
            seen.update(dict.fromkeys(record))
    given = {field.name: field for field in known}
    names = {field.name: field for field in fields}
    if not given.keys() <= seen.keys() <= names.keys():
        return None
    placed = []
    for name in [*seen, *(name for name in names if name not in seen)]:
        field = names[name]
        if name in given and pa.types.is_struct(given[name].type):
            inner = [r[name] for r in records if isinstance(r, dict) and name in r]
            children = _first_order(list(field.type), list(given[name].type), inner)
            if children is None:
                return None
            field = field.with_type(pa.struct(children))
        placed.append(field)
    return placed


def _has_timestamp(kind: pa.DataType) -> bool:
    return has_leaf(kind, pa.types.is_timestamp)


def _as_text(kind: pa.DataType) -> pa.DataType:
    """*kind* with every timestamp in it made a string."""
    return swap_leaves(kind, lambda leaf: pa.string() if pa.types.is_timestamp(leaf) else None)


class JsonLinesReader:
    """Chunked reader of one JSON Lines source."""

    def __init__(self, info: SourceInfo, chunksize: int) -> None:
        self.info = info
        self.chunksize = chunksize
        self.lines_total = 0  #: physical lines read (after :meth:`chunks` is exhausted)
        self.header_lines = 0
        self._times: list[pa.Field] = []  #: the times of the last block read by arrow

    def columns(self) -> list[str]:
        """Flattened column names seen in the first records."""
        names: dict[str, None] = {}
        gen = self._iter(block_size=1 << 20)
        try:
            for chunk in gen:
                names.update(dict.fromkeys(chunk.frame.columns))
                break
        finally:
            gen.close()
        return list(names)

    def chunks(self, usecols: list[str] | None = None) -> Iterator[RawChunk]:
        """Yield chunks of about ``chunksize`` lines, keeping *usecols* if given."""
        for chunk in self._iter(block_size=None):
            if usecols is not None:
                keep = [c for c in chunk.frame.columns if c in set(usecols)]
                chunk.frame = chunk.frame[keep]
            yield chunk

    def _iter(self, block_size: int | None) -> Iterator[RawChunk]:
        line = self.info.first_line
        size = block_size
        pending: list[bytes] = []
        got = 0
        self.lines_total = 0
        for block in line_blocks(iter_utf8(self.info, 1 << 20)):
            self.lines_total += block.count(b"\n") + (not block.endswith(b"\n"))
            if size is None:  # learn the bytes per line from the first block
                size = max(1 << 20, len(block) * self.chunksize // max(1, block.count(b"\n")))
            pending.append(block)
            got += len(block)
            if got >= size:
                piece = b"".join(pending)
                pending, got = [], 0
                yield self._parse(piece, line)
                line += piece.count(b"\n")
        if pending:
            yield self._parse(b"".join(pending), line)

    def _parse(self, piece: bytes, line: int) -> RawChunk:
        n_lines = piece.count(b"\n") + (not piece.endswith(b"\n"))
        if (_bracket_counts(piece) > MAX_DEPTH).any():
            return self._parse_python(piece, line)  # maybe too deep for pyarrow: check each
        try:
            table = _read_json_block(piece, self._times)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = None
        if table is not None and table.num_rows == n_lines:
            frame = flatten_table(table).to_pandas()
            lines = np.arange(line, line + n_lines, dtype=np.int64)
            return RawChunk(
                frame, lines, raw_text=lambda pos: physical_lines(piece, line, lines[pos])
            )
        return self._parse_python(piece, line)

    def _parse_python(self, piece: bytes, line: int) -> RawChunk:
        records: list[dict] = []
        rec_lines: list[int] = []
        bad: list[tuple[int, str, str]] = []
        blank = 0
        texts = piece.decode("utf-8", "replace").split("\n")
        if texts and texts[-1] == "" and piece.endswith(b"\n"):
            texts.pop()
        for i, text in enumerate(texts):
            if not text.strip():
                blank += 1
                continue
            if text.count("[") + text.count("{") > MAX_DEPTH and json_depth(text) > MAX_DEPTH:
                bad.append((line + i, _TOO_DEEP, text))
                continue
            try:
                value = json.loads(text)
            except RecursionError:
                bad.append((line + i, _TOO_DEEP, text))
                continue
            except ValueError as exc:
                reason = f"invalid JSON: {exc.msg}" if hasattr(exc, "msg") else "invalid JSON"
                bad.append((line + i, reason, text))
                continue
            if not isinstance(value, dict):
                bad.append((line + i, f"not a JSON object ({type(value).__name__})", text))
                continue
            if "\\u" in text and not unicode_text(value):
                bad.append((line + i, LONE_SURROGATE, text))
                continue
            records.append(value)
            rec_lines.append(line + i)
        lines = np.asarray(rec_lines, dtype=np.int64)
        return RawChunk(
            normalize_records(records),
            lines,
            bad,
            raw_text=lambda pos: physical_lines(piece, line, lines[pos]),
            blank=blank,
        )


class JsonArrayReader:
    """Streaming reader of one JSON array (or ``{"data": [...]}``) source.

    Pages of an API's answers are read as one array of their posts, numbered on from
    page to page: a JSON array of pages, or pages one after another (twarc2's JSON
    Lines of X API v2 answers, one ``{"data": [...], "includes": ..., "meta": ...}``
    per line; :func:`~detector.ingest.formats.page_key` tells a page from a post).
    Pages without posts (``{"meta": {"result_count": 0}}``, ``{"errors": [...]}``:
    :func:`~detector.ingest.formats.is_postless_page`) hold no record: they are skipped,
    and :attr:`notes` says how many.

    JSON that breaks off (a truncated file) keeps the complete records before the
    break: the broken tail is quarantined as one record, numbered after the last
    complete one, its reason saying where the file ends (:class:`BrokenJson`). A break
    outside every record (in a page's ``meta`` or ``includes``, after its posts) cuts
    no record: nothing is quarantined, :attr:`notes` says where the file ends. A file
    that breaks off before its first complete record, or whose JSON goes wrong part way
    (the rest is there, but no reader can tell where its next record starts), is
    refused, the message saying how many records were complete.
    """

    def __init__(self, info: SourceInfo, chunksize: int) -> None:
        self.info = info
        self.chunksize = chunksize
        #: What a person should know of the last :meth:`chunks` read (pages without
        #: posts skipped, a file ending in a page's metadata); complete once it is read
        self.notes: list[str] = []
        self._skipped = 0  #: pages without posts skipped by the current read

    def columns(self) -> list[str]:
        """Flattened column names of the first records (those before a break)."""
        records = []
        gen = self._records()
        try:
            for _, record in gen:
                if isinstance(record, dict) and unicode_text(record):
                    records.append(record)
                if len(records) >= _SAMPLE_RECORDS:
                    break
        except BrokenJson as exc:
            if not records:
                raise exc.refusal(0) from exc
        finally:
            gen.close()
        return list(normalize_records(records).columns)

    def chunks(self, usecols: list[str] | None = None) -> Iterator[RawChunk]:
        """Yield chunks of ``chunksize`` records; ``line`` is the 1-based record number."""
        batch: list[tuple[int, object]] = []
        records = self._records()
        number = 0
        self.notes = []
        while True:
            try:
                item = next(records)
            except StopIteration:
                break
            except BrokenJson as exc:
                if not (exc.end and number):
                    raise exc.refusal(number) from exc
                if exc.between:  # in a page's metadata: no record was cut
                    self.notes.append(exc.after(number))
                else:
                    batch.append((number + 1, exc))  # the file ends inside this record
                break
            number = item[0]
            batch.append(item)
            if len(batch) >= self.chunksize:
                yield self._chunk(batch, usecols)
                batch = []
        if self._skipped:
            many = self._skipped > 1
            self.notes.insert(
                0,
                f"{self._skipped:,} page{'s' * many} of an API's answer without posts "
                f"({'they hold' if many else 'it holds'} only "
                f"{', '.join(PAGE_META_KEYS)}: an empty result, or errors of posts not "
                f"found) {'were' if many else 'was'} skipped; no post is missing",
            )
        if batch:
            yield self._chunk(batch, usecols)

    def _chunk(self, batch: list[tuple[int, object]], usecols: list[str] | None) -> RawChunk:
        good = [(n, r) for n, r in batch if isinstance(r, dict)]
        bad = [_bad_record(n, r) for n, r in batch if not isinstance(r, dict)]
        try:
            frame = normalize_records([r for _, r in good])
        except UnicodeEncodeError:  # a lone surrogate escape: its records are quarantined
            lone = {n for n, r in good if not unicode_text(r)}
            bad = sorted(
                bad + [(n, LONE_SURROGATE, json.dumps(r)[:1000]) for n, r in good if n in lone]
            )
            good = [(n, r) for n, r in good if n not in lone]
            frame = normalize_records([r for _, r in good])
        if usecols is not None:
            frame = frame[[c for c in frame.columns if c in set(usecols)]]
        records = [r for _, r in good]
        return RawChunk(
            frame,
            np.asarray([n for n, _ in good], dtype=np.int64),
            bad,
            raw_text=lambda pos: [json.dumps(records[p], ensure_ascii=False) for p in pos],
        )

    def _records(self) -> Iterator[tuple[int, object]]:
        self._skipped = 0
        stream = _TextStream(self.info)
        stream.skip_ws()
        first = stream.peek()
        if first == "[":
            yield from enumerate(self._pages_read(stream.array_items()), start=1)
        elif first == "{":
            yield from enumerate(self._objects(stream), start=1)
        else:
            raise DataError(f"{self.info.name}: not JSON (starts with {first!r})")

    def _objects(self, stream: _TextStream) -> Iterator[object]:
        """The posts of one object holding them, and of each such object after it (pages
        one after another); pages without posts are skipped (counted), unless no object
        holds posts: the file is then refused."""
        posts = False
        while True:
            found = inside = False
            keys: list[str] = []
            try:
                for key, is_array in stream.object_members():
                    keys.append(key)
                    if is_array and key in ARRAY_KEYS and not found:
                        found = inside = True
                        yield from stream.array_items()
                    else:
                        inside = not found and key in ARRAY_KEYS  # maybe a post held alone
                        value = stream.value()
                        if inside and isinstance(value, dict):
                            found = True
                            yield value
                    inside = False
            except BrokenJson as exc:
                exc.between = not inside  # the page's other members: no record is cut
                raise
            posts |= found
            last = stream.peek() != "{"  # another page follows, or the end
            postless = not found and bool(keys) and all(key in PAGE_META_KEYS for key in keys)
            self._skipped += postless
            if not (found or postless) or (last and not posts):
                raise DataError(
                    f"{self.info.name}: a JSON object without an array of posts "
                    f"(expected a list under one of: {', '.join(ARRAY_KEYS)})"
                )
            if last:
                return

    def _pages_read(self, items: Iterator[object]) -> Iterator[object]:
        """The elements of an array, the posts of each page when they are pages of an
        API's answer (the first element that is no page without posts tells); pages
        without posts before it, or among pages, are skipped (counted)."""
        pages: bool | None = None
        for item in items:
            if pages is not False and is_postless_page(item):
                self._skipped += 1
                continue
            key = page_key(item)
            if pages is None:
                pages = key is not None
            if key is None or not pages:
                yield item
            else:
                yield from item[key]  # type: ignore[index]


def _bad_record(number: int, record: object) -> tuple[int, str, str]:
    """``(line, reason, raw)`` of an array element that is no post."""
    if isinstance(record, BrokenJson):
        return number, record.reason(number), record.raw
    if isinstance(record, _TooDeep):
        return number, _TOO_DEEP, record.raw
    return number, f"not a JSON object ({type(record).__name__})", json.dumps(record)[:1000]


#: The kind of quarantine reason of a JSON file that breaks off part way.
TRUNCATED_JSON = "truncated JSON"


class BrokenJson(DataError):
    """JSON that breaks off or goes wrong at *line* of the file (see :class:`JsonArrayReader`)."""

    def __init__(self, name: str, line: int, msg: str, found: str, raw: str, end: bool) -> None:
        super().__init__(f"{name}: invalid JSON at line {line}: {msg} (found {found!r})")
        self.name, self.line, self.msg, self.found, self.raw = name, line, msg, found, raw
        self.end = end  #: the file ended inside the value (a truncated file)
        #: it broke outside every record (in a page's metadata, after its posts)
        self.between = False

    def reason(self, number: int) -> str:
        """The quarantine reason of the break, met in record *number*.

        >>> BrokenJson("x.json", 3, "Expecting value", "end of file", "", True).reason(8)[:54]
        'truncated JSON: the file ends inside record 8 (line 3)'
        """
        if self.end:
            return (
                f"{TRUNCATED_JSON}: the file ends inside record {number:,} (line "
                f"{self.line:,}): the records before it were read, none after"
            )
        return (
            f"invalid JSON: {self.msg} at line {self.line:,} (found {self.found!r}): the "
            f"records before it were read; the rest of the file, from record {number:,} "
            "on, cannot be"
        )

    def after(self, number: int) -> str:
        """What to say of a file that ends after record *number*, in a page's metadata.

        >>> BrokenJson("x.json", 1, "Unterminated string", "end of file", "", True).after(5)
        ... # doctest: +NORMALIZE_WHITESPACE
        'truncated JSON: the file ends after record 5 (in its metadata, line 1): every
        record was read whole, none was cut'
        """
        return (
            f"{TRUNCATED_JSON}: the file ends after record {number:,} (in its metadata, "
            f"line {self.line:,}): every record was read whole, none was cut"
        )

    def refusal(self, complete: int) -> DataError:
        """The error of a file that breaks off before its first complete record, or that
        goes wrong part way after *complete* records (the rest of it is still there, but
        no JSON reader can find where its next record starts: fix the file).

        >>> print(BrokenJson("x.json", 3, "Expecting value", "]", "", False).refusal(2))
        ... # doctest: +NORMALIZE_WHITESPACE
        x.json: invalid JSON at line 3: Expecting value (found ']'); the 2 records before
        it are complete, but nothing after it can be read, so the file is refused whole
        """
        if not complete:
            why = "no record before it is complete, so none was read"
        else:
            records = f"{complete:,} record{'s' * (complete > 1)}"
            why = (
                f"the {records} before it {'are' if complete > 1 else 'is'} complete, but "
                "nothing after it can be read, so the file is refused whole"
            )
        return DataError(f"{self}; {why}")


class _TooDeep:
    """Stands for an array element nested deeper than :data:`MAX_DEPTH` (skipped unparsed)."""

    def __init__(self, raw: str) -> None:
        self.raw = raw


class _TextStream:
    """Incremental JSON tokenizer over a decoded text stream (enough to walk one array)."""

    def __init__(self, info: SourceInfo) -> None:
        self.info = info
        self._blocks = iter_utf8(info, 1 << 20)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._dec = json.JSONDecoder()
        self._consumed_lines = 0

    def _more(self) -> bool:
        if self.eof:
            return False
        block = next(self._blocks, None)
        if block is None:
            self.eof = True
            tail = self._decoder.decode(b"", final=True)
            self.buf += tail
            return bool(tail)
        if self.pos > len(self.buf) // 2:
            self._consumed_lines += self.buf.count("\n", 0, self.pos)
            self.buf, self.pos = self.buf[self.pos :], 0
        self.buf += self._decoder.decode(block)
        return True

    def skip_ws(self) -> None:
        while True:
            n = len(self.buf)
            while self.pos < n and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < n or not self._more():
                return

    def peek(self) -> str:
        self.skip_ws()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            self.fail(f"expected {char!r}")
        self.pos += 1

    def fail(self, msg: str, start: int | None = None, cut: bool = False) -> NoReturn:
        """Raise :class:`BrokenJson` at the current position (*start*: where the broken
        value began; *cut*: the file ended inside it)."""
        line = self._consumed_lines + self.buf.count("\n", 0, self.pos) + 1
        got = self.buf[self.pos : self.pos + 20] or "end of file"
        cut = cut or (self.eof and not self.buf[self.pos :].strip())
        begin = self.pos if start is None else start
        raise BrokenJson(self.info.name, line, msg, got, self.buf[begin : begin + 500], cut)

    def value(self) -> object:
        self.skip_ws()
        while True:
            try:
                value, end = self._dec.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self.buf) - 1 or exc.msg.startswith("Unterminated")
                if incomplete and len(self.buf) - self.pos < _MAX_ELEMENT_CHARS and self._more():
                    continue
                start, self.pos = self.pos, exc.pos
                self.fail(exc.msg, start, cut=incomplete and self.eof)
            else:
                if end == len(self.buf) and not self.eof and self._is_number_at_end():
                    self._more()  # a number cut at the block edge: read on and parse again
                    continue
                self.pos = end
                return value

    def _is_number_at_end(self) -> bool:
        return self.buf[self.pos : self.pos + 1] in tuple("-0123456789")

    def element(self) -> object:
        """The next value, or :class:`_TooDeep` (skipped) when nested too deeply."""
        self.skip_ws()
        start = self.pos
        try:
            value = self.value()
        except RecursionError:
            self.pos = start
            self._skip_value()
            return _TooDeep(self.buf[start : min(self.pos, start + 1000)])
        raw = self.buf[start : self.pos]
        if raw.count("[") + raw.count("{") > MAX_DEPTH and json_depth(raw) > MAX_DEPTH:
            return _TooDeep(raw[:1000])
        return value

    def _skip_value(self) -> None:
        """Move past one value without parsing it (iterative: any depth)."""
        depth, in_string, escaped = 0, False, False
        i = self.pos
        while True:
            if i >= len(self.buf):
                offset = i - self.pos
                if not self._more():
                    self.pos = i
                    self.fail("unexpected end of file inside a value")
                i = self.pos + offset
                continue
            char = self.buf[i]
            i += 1
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth <= 0:
                    self.pos = i
                    return

    def array_items(self) -> Iterator[object]:
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.element()
            nxt = self.peek()
            self.pos += 1
            if nxt == "]":
                return
            if nxt != ",":
                self.pos -= 1
                self.fail("expected ',' or ']' between array elements")

    def object_members(self) -> Iterator[tuple[str, bool]]:
        """Yield ``(key, value_is_array)``; the caller must consume each value."""
        self.expect("{")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                self.fail("expected a string key")
            self.expect(":")
            yield str(key), self.peek() == "["
            nxt = self.peek()
            self.pos += 1
            if nxt == "}":
                return
            if nxt != ",":
                self.pos -= 1
                self.fail("expected ',' or '}' between members")
