"""Empty part files among the inputs are sources of zero records, not errors.

Spark-like exports write one part file per partition, and an empty partition makes
an empty file: 0 bytes, or a compressed file holding nothing. One of them aborted a
whole multi-file run ("empty.jsonl: file is empty", exit 65) while a 0-row Parquet
part or a header-only CSV part was accepted. Now such a file is read as no records,
with a warning in summary.json, on both engines alike; only when every input is empty
is the run an error (exit 65), naming the files.
"""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from support import engine_outputs, run_cli, score_local_and_dask

from detector.errors import DataError
from detector.ingest import read_posts

POSTS = (
    '{"id": "1", "text": "outlook is down for everyone", "created_at": "2025-03-01T10:00:00Z"}\n'
    '{"id": "2", "text": "lunch was great", "created_at": "2025-03-01T10:01:00Z"}\n'
    '{"id": "1", "text": "outlook is down for everyone", "created_at": "2025-03-01T10:00:00Z"}\n'
)

#: Empty part files: the name and its bytes.
EMPTY_PARTS = {
    "zero_bytes": ("part-0001.jsonl", b""),
    "gzip_of_nothing": ("part-0001.jsonl.gz", gzip.compress(b"")),
    "bz2_of_nothing": ("part-0001.jsonl.bz2", bz2.compress(b"")),
    "blank_lines": ("part-0001.csv", b"\n\r\n  \n"),
    "blank_lines_past_the_sniffed_head": ("part-0001.csv", b"\n" * 300_000),
    "json_array_without_records": ("part-0001.json", b"[]\n"),
}


def _part(tmp_path: Path, kind: str) -> Path:
    name, data = EMPTY_PARTS[kind]
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _reason(kind: str) -> str:
    return "file is empty (no records)" if kind == "json_array_without_records" else "file is empty"


@pytest.mark.parametrize("kind", list(EMPTY_PARTS))
def test_an_empty_part_is_a_source_of_zero_records(tmp_path: Path, kind: str) -> None:
    posts = tmp_path / "part-0000.jsonl"
    posts.write_text(POSTS)
    empty = _part(tmp_path, kind)
    run = read_posts([posts, empty])
    frames = list(run)
    assert sum(len(f) for f in frames) == 2
    assert run.stats.to_dict() == {
        "rows_read": 3,
        "rows_ok": 2,
        "rows_quarantined": 0,
        "rows_duplicate": 1,
    }
    assert run.sources[1].lines.to_dict() == {
        "lines_read": 0,
        "lines_ok": 0,
        "lines_quarantined": 0,
        "lines_duplicate": 0,
        "lines_blank": 0,
        "lines_header": 0,
    }
    assert run.sources[1].columns["time"] is None
    assert run.warnings() == [f"{empty}: {_reason(kind)}, nothing read"]


def test_every_input_empty_is_an_error_naming_them(tmp_path: Path) -> None:
    first, second = _part(tmp_path, "zero_bytes"), _part(tmp_path, "gzip_of_nothing")
    with pytest.raises(DataError) as info:
        read_posts([first, second])
    assert str(info.value) == f"no rows to score: every input is empty ({first}, {second})"
    assert info.value.exit_code == 65


def test_a_header_only_part_and_an_empty_part_say_both(tmp_path: Path) -> None:
    header = tmp_path / "part-0000.csv"
    header.write_text("id,text,created_at\n")
    empty = _part(tmp_path, "zero_bytes")
    run = read_posts([header, empty])
    assert list(run) == []
    assert run.no_rows_message() == (
        f"no rows to score: {header} holds a header but no data rows; {empty} is empty"
    )


def test_score_goes_on_past_an_empty_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.jsonl").write_text(POSTS)
    (tmp_path / "empty.jsonl").write_bytes(b"")
    out = tmp_path / "out"
    argv = ["score", str(tmp_path / "a.jsonl"), str(tmp_path / "empty.jsonl")]
    code, _, err = run_cli([*argv, "--out", str(out), "-q", "--workers", "1"], capsys)
    assert code == 0, err
    assert err == f"warning: {tmp_path / 'empty.jsonl'}: file is empty, nothing read\n"
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["rows_read"], summary["rows_scored"], summary["lines_read"]) == (3, 2, 3)
    assert summary["warnings"] == [f"{tmp_path / 'empty.jsonl'}: file is empty, nothing read"]
    assert summary["time_columns"] == {
        str(tmp_path / "a.jsonl"): "created_at",
        str(tmp_path / "empty.jsonl"): None,
    }


def test_score_of_empty_parts_only_fails_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = _part(tmp_path, "zero_bytes"), _part(tmp_path, "gzip_of_nothing")
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(first), str(second), "--out", str(out), "-q"], capsys)
    assert code == 65
    assert err == f"error: no rows to score: every input is empty ({first}, {second})\n"
    assert not out.exists()


@pytest.mark.slow
def test_dask_reads_empty_parts_as_the_local_engine(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "part-0000.jsonl").write_text(POSTS * 40)
    (parts / "part-0001.jsonl").write_bytes(b"")
    (parts / "part-0002.jsonl.gz").write_bytes(gzip.compress(b""))
    (parts / "part-0003.jsonl").write_text(POSTS.replace('"1"', '"3"'))
    (parts / "part-0004.parquet").write_bytes(b"")  # 0 bytes, named Parquet
    inputs = sorted(str(p) for p in parts.iterdir())
    score_local_and_dask(
        tmp_path, dict(inputs=inputs, chunksize=50, keep_authors=True), split_bytes=2000
    )
    files = ("quarantine.csv", "duplicates.csv", "series.csv", "incidents.json")
    local, dask = (engine_outputs(tmp_path / e, files) for e in ("local", "dask"))
    pd.testing.assert_frame_equal(local["posts"], dask["posts"])
    for name in ("summary", *files):
        assert local[name] == dask[name], name
    assert local["summary"]["warnings"] == [
        f"{parts / name}: file is empty, nothing read"
        for name in ("part-0001.jsonl", "part-0002.jsonl.gz", "part-0004.parquet")
    ]
    assert (local["summary"]["rows_read"], local["summary"]["lines_read"]) == (123, 123)


def test_blank_lines_longer_than_the_head_then_records_say_so(tmp_path: Path) -> None:
    path = tmp_path / "padded.csv"
    path.write_bytes(b"\n" * 70_000 + b"id,text,created_at\n1,down,2025-03-01T10:00:00Z\n")
    with pytest.raises(DataError) as info:
        read_posts([path])
    assert str(info.value) == (
        f"{path}: starts with more than 64 KiB of blank lines; remove them so the format "
        "can be told"
    )
