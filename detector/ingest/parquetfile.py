"""Read Parquet by record batches with pyarrow, struct columns flattened to dotted names.

Only the needed top-level columns are read. A Parquet file wrapped in gzip/zstd
is first decompressed to a temporary file (Parquet needs random access).
``line`` is the 1-based record number in the file.

>>> import tempfile
>>> from pathlib import Path
>>> import pyarrow as pa, pyarrow.parquet as pq
>>> from detector.ingest.formats import sniff
>>> with tempfile.TemporaryDirectory() as d:
...     p = Path(d, "x.parquet")
...     pq.write_table(pa.table({"id": [1, 2], "user": [{"name": "a"}, {"name": "b"}]}), p)
...     reader = ParquetReader(sniff(p), chunksize=1)
...     cols = reader.columns()
...     chunks = list(reader.chunks(["user.name"]))
>>> cols, [c.lines.tolist() for c in chunks], chunks[1].frame["user.name"].tolist()
(['id', 'user.name'], [[1], [2]], ['b'])
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from detector.errors import DataError
from detector.ingest.arrowtypes import swap_leaves
from detector.ingest.compression import iter_decompressed
from detector.ingest.formats import SourceInfo
from detector.ingest.jsonfile import flatten_table
from detector.ingest.location import open_input
from detector.ingest.raw import RawChunk


def _leaf_names(field: pa.Field, prefix: str = "") -> list[str]:
    name = prefix + field.name
    if pa.types.is_struct(field.type):
        return [n for child in field.type for n in _leaf_names(child, name + ".")]
    return [name]


class ParquetReader:
    """Chunked reader of one Parquet source."""

    def __init__(self, info: SourceInfo, chunksize: int) -> None:
        self.info = info
        self.chunksize = chunksize

    @contextmanager
    def _open(self) -> Iterator[pq.ParquetFile]:
        try:
            if self.info.compression is None:
                with open_input(self.info.path) as handle, pq.ParquetFile(handle) as pf:
                    yield pf
                return
            with tempfile.TemporaryFile() as tmp:
                for block in iter_decompressed(
                    self.info.path, self.info.compression, self.info.name
                ):
                    tmp.write(block)
                tmp.seek(0)
                with pq.ParquetFile(tmp) as pf:
                    yield pf
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{self.info.name}: not a readable Parquet file ({exc})") from exc

    def columns(self) -> list[str]:
        """Leaf column names, nested fields as ``parent.child``."""
        with self._open() as pf:
            return [n for f in pf.schema_arrow for n in _leaf_names(f)]

    def chunks(self, usecols: list[str] | None = None) -> Iterator[RawChunk]:
        """Yield one chunk per record batch of ``chunksize`` rows."""
        with self._open() as pf:
            top = [f.name for f in pf.schema_arrow]
            if usecols is not None:
                wanted = {c.split(".")[0] for c in usecols} | set(usecols)
                top = [t for t in top if t in wanted]
            first = self.info.first_line
            groups = self.info.row_groups
            for batch in pf.iter_batches(batch_size=self.chunksize, columns=top, row_groups=groups):
                table = flatten_table(pa.Table.from_batches([batch]))
                if usecols is not None:
                    table = table.select([c for c in table.column_names if c in set(usecols)])
                frame = _valid_text(table).to_pandas()
                lines = np.arange(first, first + len(frame), dtype=np.int64)
                first += len(frame)
                yield RawChunk(frame, lines)


def _valid_text(table: pa.Table) -> pa.Table:
    """*table* with bytes that are not UTF-8 in its string columns replaced by U+FFFD, as a
    CSV's are when decoded (Parquet writers that skip validation store any bytes there,
    and every string kernel downstream refuses them). Strings in lists and structs (as
    hashtags are stored) are replaced alike.

    >>> bad = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(
    ...     np.array([0, 3], dtype=np.int32).tobytes()), pa.py_buffer(b"a\\xffb")])
    >>> _valid_text(pa.table({"text": bad})).column("text").to_pylist()
    ['a\ufffdb']
    >>> tags = pa.ListArray.from_arrays(pa.array([0, 1], pa.int32()), bad)
    >>> _valid_text(pa.table({"tags": tags})).column("tags").to_pylist()
    [['a\ufffdb']]
    """
    columns = []
    changed = False
    for column in table.columns:
        raw = _as_bytes(column.type)
        if raw != column.type:  # strings in it
            try:
                column.validate(full=True)
            except pa.ArrowInvalid:
                values = [_decoded(v) for v in column.cast(raw).to_pylist()]
                column = pa.chunked_array([pa.array(values, type=column.type)])
                changed = True
        columns.append(column)
    return pa.table(columns, names=table.column_names) if changed else table


def _as_bytes(kind: pa.DataType) -> pa.DataType:
    """*kind* with every string in it made binary (the same bytes, unchecked)."""
    return swap_leaves(kind, _binary_of)


def _binary_of(kind: pa.DataType) -> pa.DataType | None:
    if pa.types.is_large_string(kind):
        return pa.large_binary()
    if pa.types.is_string(kind) or _is_string_view(kind):
        return pa.binary()
    return None


def _is_string_view(kind: pa.DataType) -> bool:
    """``string_view`` (pyarrow 16 and later; the project accepts 15)."""
    test = getattr(pa.types, "is_string_view", None)
    return bool(test and test(kind))


def _decoded(value: object) -> object:
    """*value* (from :func:`_as_bytes`' type) with its bytes decoded, bad ones replaced."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    return value
