"""Read exported post datasets into canonical post frames.

An export of posts becomes a lazy stream of DataFrames with the columns ``line,
source_file, id, created_at, text, author, service, is_repost`` (see
``docs/architecture.md``)::

    run = read_posts(paths, ColumnMapping(text="body"), chunksize=200_000)
    for frame in run: ...
    run.stats        # rows_read == rows_ok + rows_quarantined + rows_duplicate
    run.quarantine   # source_file, line, reason, raw

- Formats (``formats``): CSV/TSV (delimiter and encoding sniffed: UTF-8 with or
  without BOM, UTF-16/32 with BOM, cp1252/Latin-1 fallback), JSON Lines, a JSON
  array or ``{"data": [...]}``, Parquet; gzip, zstd, bz2, xz by magic bytes.
- Shapes (``columns``): X API v2 and legacy, Reddit, Mastodon (HTML stripped),
  Bluesky, or any table with a text and a time column; nested JSON flattened to
  dotted names; ``ColumnMapping`` overrides any role.
- Times (``timestamps``): ISO 8601 (no zone = UTC), epoch s/ms/us, RFC 2822, the
  X legacy format, numeric dates; all UTC; unparseable times are quarantined.
- Duplicates (``dedupe``): by id, else by (author, text, minute), across chunks
  and files, in 64-bit hash sets (8-16 bytes per post). Reposts (same text from
  another author, ``RT @user:``, or the export's own repost field) are kept with
  ``is_repost=True``.
- Every row is accounted for: yielded, quarantined with its physical line number
  and a reason, or counted as a duplicate. Malformed rows (broken CSV quotes,
  invalid JSON lines, too many fields) are quarantined and reading goes on;
  unusable files raise one-line errors from :mod:`detector.errors`.
- Memory is bounded: one chunk at a time, plus the hash sets and at most
  ``quarantine_limit`` quarantined rows (pass ``quarantine_path`` to stream all of
  them to a CSV file).

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as d:
...     p = Path(d, "posts.jsonl")
...     _ = p.write_text('{"id": "1", "text": "outlook down?", '
...                      '"created_at": "2024-05-01T09:00:00Z", "author_id": "42"}\\n')
...     run = read_posts([p], ColumnMapping())
...     frame = pd.concat(list(run))
>>> frame[["id", "author", "text"]].to_dict("records"), run.sources[0].shape
([{'id': '1', 'author': '42', 'text': 'outlook down?'}], 'x-v2')
"""

from __future__ import annotations

import pandas as pd  # noqa: F401  (used by the doctest)

from detector.ingest.canonical import CANONICAL_COLUMNS, CANONICAL_DTYPES, empty_posts
from detector.ingest.columns import ColumnMapping, ResolvedColumns, resolve_columns
from detector.ingest.run import (
    DEFAULT_CHUNKSIZE,
    IngestRun,
    IngestStats,
    SourceReport,
    read_posts,
)
from detector.ingest.timestamps import parse_times

__all__ = [
    "CANONICAL_COLUMNS",
    "CANONICAL_DTYPES",
    "DEFAULT_CHUNKSIZE",
    "ColumnMapping",
    "IngestRun",
    "IngestStats",
    "ResolvedColumns",
    "SourceReport",
    "empty_posts",
    "parse_times",
    "read_posts",
    "resolve_columns",
]
