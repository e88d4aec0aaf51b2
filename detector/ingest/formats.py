"""Sniff what an input file is: compression, format, text encoding and delimiter.

Only the first :data:`SAMPLE_BYTES` decompressed bytes are looked at. The content
decides; the extension only breaks ties (``.tsv`` prefers tabs, ``.parquet`` must
carry the Parquet magic).

A first line ``sep=;`` (Excel's delimiter hint) names the delimiter; the readers skip
it and count it with the header (:attr:`SourceInfo.preamble`).

Encodings: a BOM wins (UTF-8, UTF-16 LE/BE, UTF-32); without one, UTF-8 if the
sample decodes, else Windows-1252 if it decodes, else Latin-1 (which always does).

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     p = Path(d, "posts.tsv")
...     _ = p.write_text("id\\ttext\\tcreated_at\\n1\\thi\\t2024-01-01\\n", encoding="utf-16")
...     info = sniff(p)
>>> info.format, info.encoding, info.delimiter, info.compression
('csv', 'utf-16-le', '\\t', None)
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from detector.errors import DataError, InputMissingError
from detector.ingest.compression import iter_decompressed, read_head, sniff_compression
from detector.ingest.location import check_input, is_url, open_input, suffix

SAMPLE_BYTES = 1 << 16
DELIMITERS = (",", "\t", ";", "|")
FORMATS = ("csv", "jsonl", "json", "parquet")
#: Excel's delimiter hint, a first line ``sep=;`` (any one character; ``\t`` for a tab).
_SEP_HINT = re.compile(r"(?i)sep=([^\r\n]|\\t)[ \t]*(?:\r\n?|\n)")
#: Keys under which an exported JSON object holds its array of posts.
ARRAY_KEYS = ("data", "statuses", "posts", "items", "results", "records", "feed")

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_EXPORT_AS_CSV = "; save or export it as CSV"
#: Files that are not posts: (magic bytes, what they are, advice).
_KNOWN_BINARY = (
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook?)", _EXPORT_AS_CSV),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office file", _EXPORT_AS_CSV),
    (b"%PDF", "a PDF document", ""),
    (b"\x89PNG", "a PNG image", ""),
    (b"SQLite format 3", "an SQLite database", ""),
)


@dataclass(frozen=True)
class SourceInfo:
    """What :func:`sniff` found out about one input file."""

    path: Path | str  #: a local path or an fsspec URL
    name: str  #: the path as the user gave it, used in messages and ``source_file``
    format: str  #: one of :data:`FORMATS`
    compression: str | None = None
    encoding: str = "utf-8"  #: codec of the decompressed bytes (BOM excluded)
    bom: int = 0  #: length of the byte-order mark to skip
    delimiter: str | None = None  #: CSV only
    #: CSV only: lines before the header that are no records (Excel's ``sep=;`` hint)
    preamble: int = 0
    #: Only these bytes of an uncompressed file (a share of it read by one worker)
    byte_range: tuple[int, int] | None = None
    #: Number of the first line (or record) of the share read
    first_line: int = 1
    #: Parquet only: read only these row groups
    row_groups: tuple[int, ...] | None = None
    #: Why the file holds no records (``file is empty``), when it holds none: it is then
    #: a source of zero records that no reader opens (``sniff(..., allow_empty=True)``)
    empty: str | None = None
    #: Lines end in a carriage return alone (Excel for Mac's "CSV (Macintosh)"): the
    #: readers see each as a newline (:func:`~detector.ingest.blocks.iter_utf8`)
    cr_lines: bool = False


def check_path(path: str | Path) -> Path | str:
    """Return *path* (a :class:`Path`, or the URL string) if it is a readable regular file.

    >>> check_path("/nonexistent/x.csv")
    Traceback (most recent call last):
    ...
    detector.errors.InputMissingError: /nonexistent/x.csv: no such file
    """
    return check_input(path if is_url(path) else Path(path))


def _all_blank(path: Path | str, compression: str | None, name: str) -> bool:
    """Is every decompressed byte of *path* white space (a blank file of any size)?"""
    stream = iter_decompressed(path, compression, name, block_size=SAMPLE_BYTES)
    try:
        return not any(block.strip(b" \t\r\n") for block in stream)
    finally:
        stream.close()  # type: ignore[attr-defined]


def sniff(path: str | Path, *, allow_empty: bool = False) -> SourceInfo:
    """Inspect *path* and describe how to read it; raise one-line errors for unusable files.

    A file without a byte, or with blank lines only, raises ``file is empty`` unless
    *allow_empty*: it is then described with :attr:`SourceInfo.empty` set.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d, "part-0001.jsonl")
    ...     _ = p.write_bytes(b"")
    ...     info = sniff(p, allow_empty=True)
    >>> info.format, info.empty
    ('jsonl', 'file is empty')
    """
    name = str(path)
    p = check_path(path)
    try:
        with open_input(p) as handle:
            magic = handle.read(8)
    except OSError as exc:
        raise InputMissingError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    if not magic:
        return _empty(p, name, None, allow_empty)
    compression = sniff_compression(magic)
    head = read_head(p, compression, name, SAMPLE_BYTES)
    if head.startswith(b"PAR1"):
        return SourceInfo(p, name, "parquet", compression)
    if suffix(p) in (".parquet", ".pq") and compression is None:
        raise DataError(f"{name}: not a Parquet file (no PAR1 magic bytes)")
    if not head.strip(b" \t\r\n"):
        if len(head) < SAMPLE_BYTES or _all_blank(p, compression, name):
            return _empty(p, name, compression, allow_empty)
        raise DataError(
            f"{name}: starts with more than {SAMPLE_BYTES // 1024} KiB of blank lines; "
            "remove them so the format can be told"
        )
    encoding, bom = detect_encoding(head, name)
    text = _decode_sample(head[bom:], encoding)
    cr = cr_lines(text)
    hinted = _SEP_HINT.match(text)
    if hinted:  # Excel's first line names the delimiter: the file is CSV
        delimiter = "\t" if hinted.group(1) == "\\t" else hinted.group(1)
        return SourceInfo(
            p, name, "csv", compression, encoding, bom, delimiter, preamble=1, cr_lines=cr
        )
    fmt = _text_format(text, p)
    delimiter = detect_delimiter(text, p) if fmt == "csv" else None
    return SourceInfo(p, name, fmt, compression, encoding, bom, delimiter, cr_lines=cr)


def cr_lines(text: str) -> bool:
    """True when the lines of *text* end in a carriage return alone (old Mac style):
    outside quoted fields, more bare carriage returns than newlines. A few bare ones in
    a file of newlines, and any inside quotes, are characters of fields, not line ends.

    >>> cr_lines("id,text\\r1,power out\\r"), cr_lines("id,text\\r\\n1,a\\rb\\r\\n")
    (True, False)
    >>> cr_lines('id,text\\r\\n1,";\\r\\r\\r"\\r\\n')
    False
    """
    if "\r" not in text:
        return False
    unquoted = _QUOTED.sub('""', text)
    bare = unquoted.count("\r") - unquoted.count("\r\n")
    return bare > unquoted.count("\n")


#: A quoted field (a doubled quote inside one splits it in two: the same outside text).
_QUOTED = re.compile(r'"[^"]*"')


#: Format of an empty file, from its extension (a compression's stripped): for reports.
_EMPTY_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def _empty(p: Path | str, name: str, compression: str | None, allow: bool) -> SourceInfo:
    """The description of an empty file (see :func:`sniff`), or its error."""
    if not allow:
        raise DataError(f"{name}: file is empty")
    stem = PurePosixPath(str(p))
    if compression is not None or stem.suffix.lower() in (".gz", ".zst", ".bz2", ".xz"):
        stem = stem.with_suffix("")
    fmt = _EMPTY_FORMATS.get(stem.suffix.lower(), "csv")
    return SourceInfo(p, name, fmt, compression, empty="file is empty")


def detect_encoding(head: bytes, name: str = "input") -> tuple[str, int]:
    """Return ``(codec, bom_length)`` for a sample of decompressed bytes.

    >>> detect_encoding("café".encode("utf-8-sig"))
    ('utf-8', 3)
    >>> detect_encoding("café, naïve".encode("latin-1"))
    ('cp1252', 0)
    >>> detect_encoding(b"id,text\\n1,power out\\n" + bytes(4096))  # a zero-filled tail
    ('utf-8', 0)
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    for magic, what, advice in _KNOWN_BINARY:
        if head.startswith(magic):
            raise DataError(f"{name}: is {what}, not CSV, JSON Lines, JSON or Parquet{advice}")
    # A run of NUL bytes ending the sample is no sign of a binary file: a text export a
    # crash cut short is padded with zeros (its rows are read, the run quarantined as a
    # line of its own), whether the run falls inside the sample (a small file) or not.
    head = head.rstrip(b"\x00") or head
    if b"\x00" in head:
        zeros_odd = head[1::2].count(0)
        zeros_even = head[0::2].count(0)
        half = len(head) // 2
        if zeros_odd > 0.4 * half and zeros_even < 0.05 * half:
            return "utf-16-le", 0
        if zeros_even > 0.4 * half and zeros_odd < 0.05 * half:
            return "utf-16-be", 0
        if head.count(0) > 0.01 * len(head):
            raise _binary(name)
        # a few stray NUL bytes in a text export: read it, the rows holding them
        # are scored or quarantined like any other
    if _decodes(head, "utf-8"):
        return "utf-8", 0
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    if controls > 0.01 * len(head):
        raise _binary(name)
    if _decodes(head, "cp1252"):
        return "cp1252", 0
    return "latin-1", 0


def _binary(name: str) -> DataError:
    return DataError(f"{name}: looks like a binary file, not CSV, TSV, JSON Lines, JSON or Parquet")


def _decodes(head: bytes, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        decoder.decode(head, final=False)  # a character cut at the sample's end is fine
    except UnicodeDecodeError:
        return False
    return True


def _decode_sample(head: bytes, codec: str) -> str:
    return codecs.getincrementaldecoder(codec)(errors="replace").decode(head, final=False)


def _text_format(text: str, path: Path | str) -> str:
    """``json`` or ``jsonl`` for text starting with ``[`` or ``{`` (else ``csv``).

    An object on a line of its own is a post of a JSON Lines file, unless it holds posts
    itself: a page of an API's answer (:func:`page_key`; pages one per line, as twarc2
    writes them) or one object holding them all. Pages without posts (an empty result,
    ``{"errors": [...]}``: :func:`is_postless_page`) tell nothing: the first line that
    is no such page decides.

    >>> _text_format('{"errors": [{"value": "1"}]}\\n{"data": [{"id": "2"}]}\\n', "x")
    'json'
    >>> _text_format('{"id": "1", "text": "down"}\\n{"id": "2", "text": "out"}\\n', "x")
    'jsonl'
    """
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    if not stripped.startswith("{"):
        return "csv"
    raw = stripped.splitlines()[:_PAGE_LINES]
    lines = [ln for ln in raw if ln.strip()]
    single = sum(bool(ln.strip()) for ln in raw[:3]) == 1
    tried = 0
    for line in lines:
        if tried >= 2:
            break
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            tried += 1
            continue
        if not isinstance(value, dict):
            tried += 1
            continue
        if is_postless_page(value):
            continue  # an empty page: the next line tells
        if single and any(isinstance(value.get(k), list) for k in ARRAY_KEYS):
            return "json"  # one object holding the posts, written on one line
        if page_key(value) is not None:
            return "json"  # pages of an API's answers, one per line (twarc2)
        return "jsonl"
    return "json"


#: Lines of a sample looked at for the first one that is not a page without posts.
_PAGE_LINES = 50
#: Keys of a post, never of a page holding posts.
POST_KEYS = ("text", "full_text", "body", "content", "message", "created_at")
#: Keys a page of an API's answer holds besides its posts (X API v2, twarc2).
PAGE_META_KEYS = ("meta", "errors", "includes", "__twarc")


def page_key(value: object) -> str | None:
    """The key under which *value*, a page of an API's answer, holds its posts (a list of
    objects under one of :data:`ARRAY_KEYS`, and none of the :data:`POST_KEYS` of a post),
    else ``None``. The one test of a page: sniffing and the JSON readers use it.

    >>> page_key({"data": [{"id": "1", "text": "down"}], "meta": {"result_count": 1}})
    'data'
    >>> page_key({"id": "1", "text": "down", "data": []}) is None
    True
    >>> page_key({"created_at": "2023-03-01", "data": [{"id": "1"}]}) is None
    True
    >>> page_key({"data": [1, 2]}) is None
    True
    """
    if not isinstance(value, dict) or any(key in value for key in POST_KEYS):
        return None
    for key in ARRAY_KEYS:
        items = value.get(key)
        if isinstance(items, list):
            return key if all(isinstance(item, dict) for item in items[:3]) else None
    return None


def is_postless_page(value: object) -> bool:
    """Is *value* a page of an API's answer without posts: an object holding only a
    page's other keys (:data:`PAGE_META_KEYS`), as an empty result
    (``{"meta": {"result_count": 0}}``) or a lookup of deleted posts
    (``{"errors": [...]}``) is?

    >>> is_postless_page({"meta": {"result_count": 0}}), is_postless_page({"errors": []})
    (True, True)
    >>> is_postless_page({"meta": {}, "text": "down"}), is_postless_page({})
    (False, False)
    """
    return isinstance(value, dict) and bool(value) and all(k in PAGE_META_KEYS for k in value)


def detect_delimiter(text: str, path: Path | str | None = None) -> str:
    """Pick the delimiter that splits the header and the next lines most consistently.

    >>> detect_delimiter("a;b;c\\n1;2;3\\n")
    ';'
    >>> detect_delimiter("text\\nhello, world\\n")
    ','
    """
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    header = lines[0] if lines else ""
    best, best_score = ",", 0
    for delim in DELIMITERS:
        count = _count_outside_quotes(header, delim)
        if count == 0:
            continue
        # A delimiter that also appears as often in the data lines scores higher.
        consistent = sum(_count_outside_quotes(ln, delim) >= count for ln in lines[1:])
        score = count + 10 * consistent
        if score > best_score:
            best, best_score = delim, score
    if best_score == 0 and path is not None and suffix(path) in (".tsv", ".tab"):
        return "\t"
    return best


def _count_outside_quotes(line: str, delim: str) -> int:
    if '"' not in line:
        return line.count(delim)
    return sum(part.count(delim) for part in line.split('"')[0::2])
