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
