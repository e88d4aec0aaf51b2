"""Read exported post datasets into canonical post frames.

An export of posts (CSV/TSV, JSON Lines, a JSON array, Parquet; plain, gzip or
zstd; X/Twitter, Reddit, Mastodon, Bluesky or any table with a text and a time
column) becomes a stream of DataFrames with the columns ``line, source_file, id,
created_at, text, author, service, is_repost`` (see ``docs/architecture.md``).
Every input row is accounted for: it is yielded, quarantined with a reason and its
line number, or counted as a duplicate.

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

from detector.ingest.columns import ColumnMapping, ResolvedColumns, resolve_columns
from detector.ingest.run import (
    CANONICAL_COLUMNS,
    CANONICAL_DTYPES,
    DEFAULT_CHUNKSIZE,
    IngestRun,
    IngestStats,
    SourceReport,
    empty_posts,
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
