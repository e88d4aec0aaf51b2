"""Bytes that are not valid UTF-8 in an otherwise UTF-8 CSV are read as U+FFFD, and the run
says so (they were replaced silently): counted per file, in the warnings of summary.json,
the same on the fast and the slow CSV path and on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import engine_outputs, score_local_and_dask

from detector.batch.pipeline import ScoreOptions, score
from detector.ingest import ColumnMapping, read_posts


def _export(path: Path, rows: int = 3000, broken_quote: bool = False) -> int:
    """A UTF-8 CSV whose first 1,500 posts (the 64 KB the encoding is sniffed from) are
    clean; after them every 50th post holds a stray latin-1 byte and one holds two more
    sequences. Returns how many invalid sequences it holds."""
    lines = [b"id,created_at,text"]
    bad = 0
    for i in range(rows):
        text = f"outlook is down again {i} \u2014 na\u00efve".encode()
        if i >= 1500 and i % 50 == 7:
            text = b"caf\xe9 wifi down " + text  # latin-1 e-acute
            bad += 1
        if i == 2120:
            text += b" \xff\xfe end"  # two bytes, one maximal invalid run each
            bad += 2
        if i == 2200:
            text += " real \ufffd kept".encode()  # a U+FFFD that was in the file
        quoted = b'"' + text + b'"'
        lines.append(f"{i},2026-01-05T10:{i % 60:02d}:00Z,".encode() + quoted)
    if broken_quote:  # forces the slow path on its piece
        lines.insert(2150, b'99999,2026-01-05T10:00:00Z,"never closed')
    path.write_bytes(b"\n".join(lines) + b"\n")
    return bad


@pytest.mark.parametrize("broken_quote", [False, True])
def test_invalid_sequences_are_counted_per_file(tmp_path: Path, broken_quote: bool) -> None:
    path = tmp_path / "posts.csv"
    bad = _export(path, broken_quote=broken_quote)
    run = read_posts([path], ColumnMapping(), chunksize=500)
    frames = list(run)
    assert sum(len(f) for f in frames) + run.stats.rows_quarantined == 3000 + broken_quote
    assert run.sources[0].encoding == "utf-8"
    assert run.sources[0].replaced == bad == 32
    texts = [t for f in frames for t in f["text"]]
    assert sum(t.count("\ufffd") for t in texts) == bad + 1  # and the one the file held
    [warning] = [w for w in run.warnings() if "UTF-8" in w]
    assert warning == f"{path}: " + (
        "32 byte sequences not valid UTF-8 read as \ufffd (the file mixes text "
        "encodings; the posts holding them were scored with it)"
    )


def test_a_clean_file_has_no_such_warning(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("id,created_at,text\n1,2026-01-05T10:00:00Z,caf\u00e9 \ufffd down\n")
    run = read_posts([path], ColumnMapping())
    list(run)
    assert run.sources[0].replaced == 0
    assert not [w for w in run.warnings() if "UTF-8" in w]


def test_score_reports_it_in_summary(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    _export(path)
    score(ScoreOptions(inputs=[path], out=tmp_path / "out", workers=1))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["rows_scored"] == 3000
    assert any("32 byte sequences not valid UTF-8" in w for w in summary["warnings"])


@pytest.mark.slow
def test_both_engines_count_the_same_over_byte_ranges(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    path = tmp_path / "posts.csv"
    _export(path)
    score_local_and_dask(tmp_path, dict(inputs=[path], chunksize=500), split_bytes=20_000)
    local = engine_outputs(tmp_path / "local", ())
    dask = engine_outputs(tmp_path / "dask", ())
    assert local["summary"] == dask["summary"]
    assert any("UTF-8" in w for w in local["summary"]["warnings"])
