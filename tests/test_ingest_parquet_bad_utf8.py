"""A Parquet string column holding bytes that are not UTF-8 (writers that skip validation
store any bytes) is read with those bytes replaced by U+FFFD, as a CSV's are; it ended
the whole run as an internal error (exit 70) with no output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from support import run_cli


def test_bad_bytes_in_a_parquet_text_column_are_replaced_not_fatal(tmp_path: Path, capsys) -> None:
    texts = [b"cant log in \xe2\x80", b"\xff\xfe not working"] + [
        b"teams down %d" % i for i in range(8)
    ]
    offsets = np.cumsum([0] + [len(t) for t in texts]).astype(np.int32)
    column = pa.Array.from_buffers(
        pa.string(),
        len(texts),
        [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"".join(texts))],
    )
    n = len(texts)
    path = tmp_path / "posts.parquet"
    times = [f"2025-03-17T10:{i:02d}:00Z" for i in range(n)]
    pq.write_table(
        pa.table({"id": [str(i) for i in range(n)], "created_at": times, "text": column}), path
    )
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows_scored"] == n
    posts = pq.read_table(out / "posts.parquet").to_pandas().sort_values("id")
    assert posts["text"].tolist()[:2] == ["cant log in \ufffd", "\ufffd\ufffd not working"]


def _unchecked(values: list[bytes | None], kind: pa.DataType | None = None) -> pa.Array:
    """A string array of *values* as given, valid UTF-8 or not (as a lax writer stores)."""
    kind = kind or pa.string()
    data = [v or b"" for v in values]
    width = np.int64 if kind in (pa.large_string(), pa.large_binary()) else np.int32
    offsets = np.cumsum([0] + [len(v) for v in data]).astype(width)
    validity = pa.array([v is not None for v in values]).buffers()[1]
    buffers = [validity, pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(kind, len(values), buffers)


def _columns() -> dict[str, pa.Array]:
    """Every shape a string column takes in a Parquet file, each with bytes that are not
    UTF-8: plain, large, a list (hashtags), a list of structs, and nested in a struct
    (flattened to ``user.name``). (A dictionary-encoded one, a pandas categorical, is
    refused by arrow's Parquet reader itself: "not a readable Parquet file".)"""
    texts = _unchecked([b"ok", b"bad \xff x", None, b"fine"])
    tags = pa.ListArray.from_arrays(
        pa.array([0, 1, 3, 3, 4], pa.int32()), _unchecked([b"#a", b"#\xe2\x80", None, b"#d"])
    )
    return {
        "plain": texts,
        "large": _unchecked([b"ok", b"bad \xff x", None, b"fine"], pa.large_string()),
        "tags": tags,
        "mentions": pa.ListArray.from_arrays(
            pa.array([0, 1, 2, 3, 4], pa.int32()), pa.StructArray.from_arrays([texts], ["name"])
        ),
        "user": pa.StructArray.from_arrays([texts], ["name"]),
    }


EXPECTED = {
    "plain": ["ok", "bad \ufffd x", None, "fine"],
    "large": ["ok", "bad \ufffd x", None, "fine"],
    "tags": [["#a"], ["#\ufffd", None], [], ["#d"]],
    "mentions": [
        [{"name": "ok"}],
        [{"name": "bad \ufffd x"}],
        [{"name": None}],
        [{"name": "fine"}],
    ],
    "user.name": ["ok", "bad \ufffd x", None, "fine"],
}


def test_every_shape_of_string_column_is_read_with_the_bad_bytes_replaced(tmp_path: Path) -> None:
    from detector.ingest.formats import sniff
    from detector.ingest.parquetfile import ParquetReader

    path = tmp_path / "shapes.parquet"
    pq.write_table(pa.table({"id": ["1", "2", "3", "4"], **_columns()}), path)
    reader = ParquetReader(sniff(path), chunksize=3)  # two batches
    names = reader.columns()
    frames = [chunk.frame for chunk in reader.chunks(names)]
    for name, expected in EXPECTED.items():
        got = [v for frame in frames for v in frame[name].tolist()]
        got = [None if v is None or v != v else v for v in map(_plain, got)]
        assert got == expected, name


def _plain(value: object) -> object:
    """*value* as lists, dicts and strings (pandas gives lists as numpy arrays)."""
    if isinstance(value, np.ndarray | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_valid_text_is_left_as_it_is() -> None:
    from detector.ingest.parquetfile import _valid_text

    table = pa.table({"text": ["ok", None], "tags": [["#a"], None]})
    assert _valid_text(table) is table


def test_an_arrow_without_string_view_still_replaces(monkeypatch) -> None:
    # pyproject accepts pyarrow 15, whose pa.types has no is_string_view
    from detector.ingest.parquetfile import _valid_text

    monkeypatch.delattr(pa.types, "is_string_view", raising=False)
    table = pa.table({"id": [1, 2], "text": _unchecked([b"a\xffb", None])})
    assert _valid_text(table).to_pylist() == [
        {"id": 1, "text": "a\ufffdb"},
        {"id": 2, "text": None},
    ]
