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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from detector.errors import UsageError, write_failure
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
    partial = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _write(tables, path, partial, fmt)
    except OSError as err:
        raise write_failure(f"the output file {str(path)!r}", err) from err


def _write(tables: Iterable[pa.Table], path: Path, partial: Path, fmt: str) -> int:
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
                    gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=1)
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


_JSON_ESCAPES = (
    ("\\", "\\\\"),
    ('"', '\\"'),
    ("\n", "\\n"),
    ("\r", "\\r"),
    ("\t", "\\t"),
    ("\b", "\\b"),
    ("\f", "\\f"),
)


def json_strings(text: pa.Array) -> pa.Array:
    """Each string as a JSON string literal, exactly as ``json.dumps(s, ensure_ascii=False)``.

    >>> json_strings(pa.array(['say "hi"\\n', "tab\\there \\x01"])).to_pylist()
    ['"say \\\\"hi\\\\"\\\\n"', '"tab\\\\there \\\\u0001"']
    """
    out = text
    for raw, escaped in _JSON_ESCAPES:
        out = pc.replace_substring(out, raw, escaped)
    odd = pc.match_substring_regex(out, "[\\x00-\\x1f]")
    if pc.any(odd).as_py():  # other control characters: rare, let json do them
        rows = np.flatnonzero(odd.to_numpy(zero_copy_only=False))
        fixed = [json.dumps(text[int(i)].as_py(), ensure_ascii=False)[1:-1] for i in rows]
        values = out.to_pylist()
        for i, value in zip(rows, fixed, strict=True):
            values[int(i)] = value
        out = pa.array(values, pa.string())
    return pc.binary_join_element_wise('"', out, '"', "")


def _jsonl_bytes(table: pa.Table) -> bytes:
    """One JSON object per line, as ``json.dumps`` writes them, assembled by Arrow."""
    if len(table) == 0:
        return b""
    lines = pc.binary_join_element_wise(
        '{"id": "',
        table.column("id").combine_chunks(),
        '", "created_at": "',
        table.column("created_at").combine_chunks(),
        '", "author_id": "',
        table.column("author_id").combine_chunks(),
        '", "text": ',
        json_strings(table.column("text").combine_chunks()),
        "}\n",
        "",
    )
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return lines.buffers()[2].to_pybytes()[first:last]


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
    try:
        write_truth(document, truth_file)
    except OSError as err:
        raise write_failure(f"the truth file {str(truth_file)!r}", err) from err
    return SimulationResult(out, truth_file, rows, document["outages"])


__all__ = [
    "FORMATS",
    "SimulationResult",
    "output_format",
    "simulate_export",
    "truth_path",
    "write_tables",
]
