"""Reading a run in shares (as Dask workers do, here in one process) gives exactly what
one reader gives: posts, quarantine, duplicates and line accounting."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from detector.ingest import ColumnMapping, read_posts
from detector.ingest.quarantine import Quarantine
from detector.ingest.run import IngestRun
from detector.ingest.shares import (
    ShareReport,
    align_shares,
    first_authors,
    first_origins,
    for_share,
    merged_run,
    plan_inputs,
    plan_shares,
    read_share,
    record_keys,
    whole_files,
)


def _rows(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "id": str((start + i) % 37),  # repeated ids: duplicates within and across files
            "text": f"outlook down {i % 5} " + "x" * (i % 90),
            "created_at": f"2024-05-01T10:{i % 60:02d}:00Z",
            "author_id": str(i % 11),
        }
        for i in range(n)
    ]


def _files(folder: Path) -> list[Path]:
    lines = [json.dumps(r) for r in _rows(120)]
    lines[7] = '{"id": "broken'  # invalid JSON
    lines[40] = ""  # blank
    lines[50] = json.dumps(  # a repost: another author's text again
        {
            "id": "rp",
            "text": "outlook down 0 ",
            "created_at": "2024-05-01T11:00:00Z",
            "author_id": "z",
        }
    )
    lines[60] = json.dumps({"id": "long", "text": "y" * 5000, "created_at": "2024-05-01T11:00:00Z"})
    bom = folder / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())  # BOM, no final newline
    crlf = folder / "crlf.jsonl"
    crlf.write_bytes("\r\n".join(json.dumps(r) for r in _rows(80, 50)).encode() + b"\r\n")
    table = pa.Table.from_pylist(_rows(90, 20))
    pq.write_table(table, folder / "c.parquet", row_group_size=25)
    csv = folder / "d.csv"
    rows = _rows(60, 5)
    for i in range(0, 60, 4):  # quoted fields over several lines, quotes and commas
        rows[i]["text"] = f'outlook down {i}\nsays "error, again"\n\nsince 10:{i:02d}'
    text = pd.DataFrame(rows).to_csv(index=False, lineterminator="\n")
    lines = text.split("\n")
    lines.insert(30, "")  # a blank line
    lines.insert(45, "only,three,fields")  # quarantined by the fast path
    csv.write_text("\n".join(lines))
    broken = folder / "e.csv"  # a broken quote (odd quotes): read whole
    broken.write_text(text.replace("\n", '\n"broken,quote\n', 1))
    bare_cr = folder / "f.csv"  # a bare carriage return: the slow path, so read whole
    bare_cr.write_text(text.replace("outlook down 2 ", "outlook\rdown 2 ", 1))
    return [bom, crlf, folder / "c.parquet", csv, broken, bare_cr]


def _read_in_shares(paths: list[Path], dedupe: str, folder: Path, buckets: int = 3):
    plans, hints = plan_inputs(paths, ColumnMapping())
    shares = align_shares(plan_shares(plans, split_bytes=700, split_rows=30), plans)
    keys = [record_keys(s, dedupe, chunksize=20) for s in shares]
    inexact = {s.file for s, k in zip(shares, keys, strict=True) if not k.exact}
    if inexact:  # as the Dask engine does: those files are read whole
        shares, was = whole_files(shares, inexact, plans)
        keys = [
            keys[i] if i is not None else record_keys(s, dedupe, chunksize=20)
            for s, i in zip(shares, was, strict=True)
        ]
    nexts = [
        b.first_origin if b.file == a.file else None
        for a, b in zip(shares, [*shares[1:], shares[0]], strict=True)
    ]
    nexts[-1] = None
    found = [first_origins([k.dedupe_bucket(b, buckets) for k in keys]) for b in range(buckets)]
    dups = [[for_share(f, s, nexts[i]) for f in found] for i, s in enumerate(shares)]
    dropped = [np.concatenate([d["origin"] for d in parts]) for parts in dups]
    authors = [
        first_authors([k.repost_bucket(b, buckets, dropped[i]) for i, k in enumerate(keys)])
        for b in range(buckets)
    ]
    names = [info.name for info, _ in plans]
    frames, reports, quarantine, duplicates = [], [], [], []
    for i, share in enumerate(shares):
        q, d = folder / f"part-q{i}.csv", folder / f"part-d{i}.csv"
        run = read_share(
            share,
            names,
            dedupe,
            np.concatenate(dups[i]),
            np.concatenate([for_share(a, share, nexts[i]) for a in authors]),
            chunksize=20,
            quarantine_path=str(q),
            duplicates_path=str(d),
        )
        frames.extend(run)
        reports.append(ShareReport.of(share, run))
        quarantine.append(pd.read_csv(q, dtype=str))
        duplicates.append(pd.read_csv(d, dtype=str))
    run = merged_run(plans, hints, reports, chunksize=20, dedupe=dedupe, tz=None)
    return (
        [s.file for s in shares],
        pd.concat(frames, ignore_index=True),
        run,
        pd.concat(quarantine, ignore_index=True),
        pd.concat(duplicates, ignore_index=True),
    )


@pytest.mark.parametrize("dedupe", ["id", "text", "none"])
def test_shares_read_what_one_reader_reads(tmp_path: Path, dedupe: str) -> None:
    paths = _files(tmp_path)
    one = read_posts(
        paths,
        chunksize=20,
        dedupe=dedupe,
        quarantine_path=tmp_path / "quarantine.csv",
        duplicates_path=tmp_path / "duplicates.csv",
    )
    expected = pd.concat(list(one), ignore_index=True)
    files, posts, run, quarantine, duplicates = _read_in_shares(paths, dedupe, tmp_path)
    # both JSON Lines files and the clean CSV in byte ranges, the Parquet in row groups;
    # the CSV files with a broken quote or a bare carriage return whole
    assert [files.count(f) > 1 for f in range(len(paths))] == [True] * 4 + [False] * 2
    pd.testing.assert_frame_equal(posts, expected)
    pd.testing.assert_frame_equal(quarantine, pd.read_csv(tmp_path / "quarantine.csv", dtype=str))
    pd.testing.assert_frame_equal(duplicates, pd.read_csv(tmp_path / "duplicates.csv", dtype=str))
    assert run.stats == one.stats and run.lines == one.lines
    assert [s.lines for s in run.sources] == [s.lines for s in one.sources]
    assert run.warnings() == one.warnings()
    assert expected["is_repost"].any()
    if dedupe != "none":
        assert one.stats.rows_duplicate > 0


def test_csv_cuts_fall_outside_quoted_fields(tmp_path: Path) -> None:
    """A cut inside a quoted field (here one of 1.5 MB, read in several blocks) moves to
    the first line that starts outside quotes; the quote counts come from the ranges."""
    big = "\n".join(["x" * 100_000 + '""quoted""'] * 15)
    head = 'id,text,created_at\n1,"a ""b"", c",2024-05-01T10:00:00Z\n'
    body = f'2,"{big}",2024-05-01T10:01:00Z\n'
    tail = "3,after,2024-05-01T10:02:00Z\n"
    path = tmp_path / "big.csv"
    path.write_text(head + body + tail)
    plans, _ = plan_inputs([path], ColumnMapping())
    shares = align_shares(plan_shares(plans, split_bytes=700_000), plans)
    size = path.stat().st_size
    assert [s.info.byte_range for s in shares] == [
        (0, len(head) + len(body)),
        (len(head) + len(body), len(head) + len(body)),  # the cut fell in the field
        (len(head) + len(body), size),
    ]
    assert [s.info.first_line for s in shares] == [1, 18, 18]
    frames = [f for s in shares for f in IngestRun([(s.info, s.cols)], 20, Quarantine(0))]
    posts = pd.concat(frames, ignore_index=True)
    assert posts["id"].tolist() == ["1", "2", "3"] and posts["line"].tolist() == [2, 3, 18]
    assert posts["text"].str.len().tolist() == [8, len(big.replace('""', '"')), 5]
