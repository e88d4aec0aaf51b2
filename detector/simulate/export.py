"""Write a simulated export to disk (CSV, gzipped CSV, JSON Lines, Parquet) with its
ground truth beside it, chunk by chunk, byte-identical for the same seed.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "q.csv"
>>> result = simulate_export("quiet-day", out, seed=1, posts=50)
>>> result.rows, result.truth_path.name
(50, 'q.truth.json')
>>> out.read_text().splitlines()[0]
'"id","created_at","author_id","text"'
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from detector.errors import UsageError
from detector.simulate.posts import CHUNK_ROWS, COLUMNS, generate_tables
from detector.simulate.scenarios import build_plan
from detector.simulate.truth import truth_document, write_truth

#: Output formats by file suffix.
FORMATS = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".parquet")
SCHEMA = pa.schema([(c, pa.string()) for c in COLUMNS])


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate_export` wrote."""

    path: Path
    truth_path: Path
    rows: int
    outages: list[dict]


def output_format(path: str | Path) -> str:
    """The format suffix of *path*, one of :data:`FORMATS`.

    >>> output_format("x/posts.CSV.gz")
    '.csv.gz'
    >>> output_format("posts.xlsx")
    Traceback (most recent call last):
    ...
    detector.errors.UsageError: The output file 'posts.xlsx' has an unsupported extension; use one of .csv, .csv.gz, .jsonl, .jsonl.gz, .parquet.
    """  # noqa: E501
    name = Path(path).name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    raise UsageError(
        f"The output file {str(path)!r} has an unsupported extension; "
        f"use one of {', '.join(FORMATS)}."
    )


def truth_path(path: str | Path) -> Path:
    """Where the ground truth of export *path* goes: format suffix replaced by
    ``.truth.json``.

    >>> truth_path("data/samples/exchange-outage.csv.gz").as_posix()
    'data/samples/exchange-outage.truth.json'
    """
    path = Path(path)
    stem = path.name[: -len(output_format(path))]
    return path.with_name(stem + ".truth.json")


def write_tables(tables: Iterable[pa.Table], path: str | Path) -> int:
    """Write *tables* (string :data:`COLUMNS`) to *path* in the format of its suffix.

    Writes to a temporary file beside *path* and renames it when complete, so a
    failed run never leaves a half-written export. Returns the number of rows.
    """
    path = Path(path)
    fmt = output_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    rows = 0
    try:
        if fmt == ".parquet":
            with pq.ParquetWriter(partial, SCHEMA, compression="zstd") as writer:
                for table in tables:
                    writer.write_table(table)
                    rows += len(table)
                if rows == 0:
                    writer.write_table(SCHEMA.empty_table())
        else:
            with open(partial, "wb") as raw:
                # mtime=0 and no file name in the header: same bytes on every run
                sink = (
                    gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
                    if fmt.endswith(".gz")
                    else raw
                )
                try:
                    encode = _csv_bytes if fmt.startswith(".csv") else _jsonl_bytes
                    if fmt.startswith(".csv"):
                        sink.write(b'"id","created_at","author_id","text"\n')
                    for table in tables:
                        sink.write(encode(table))
                        rows += len(table)
                finally:
                    if sink is not raw:
                        sink.close()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _csv_bytes(table: pa.Table) -> bytes:
    buffer = pa.BufferOutputStream()
    pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False))
    return buffer.getvalue().to_pybytes()


def _jsonl_bytes(table: pa.Table) -> bytes:
    columns = [table.column(c).to_pylist() for c in COLUMNS]
    lines = [
        json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False)
        for row in zip(*columns, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def simulate_export(
    scenario: str,
    out: str | Path,
    *,
    seed: int = 0,
    posts: int | None = None,
    days: float | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> SimulationResult:
    """Simulate *scenario* and write the export to *out* and its truth beside it.

    Same arguments, same bytes. See :mod:`detector.simulate.scenarios` for the
    scenarios and what *posts* and *days* mean for each.
    """
    out = Path(out)
    truth_file = truth_path(out)  # checks the extension before any work
    plan = build_plan(scenario, seed=seed, days=days, posts=posts)
    rows = write_tables(generate_tables(plan, seed, chunk_rows=chunk_rows), out)
    document = truth_document(plan, seed)
    write_truth(document, truth_file)
    return SimulationResult(out, truth_file, rows, document["outages"])


__all__ = [
    "FORMATS",
    "SimulationResult",
    "output_format",
    "simulate_export",
    "truth_path",
    "write_tables",
]
