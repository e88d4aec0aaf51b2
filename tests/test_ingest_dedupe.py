"""Duplicates (by id, else author+text+minute), reposts, and the row accounting."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd

from detector.ingest import read_posts
from detector.ingest.dedupe import FirstSeen, HashSet


def collect(paths, **kwargs):
    run = read_posts(paths, **kwargs)
    frames = list(run)
    return pd.concat(frames, ignore_index=True), run


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_duplicates_by_id_across_chunks_and_files(tmp_path: Path) -> None:
    a = write_csv(
        tmp_path / "a.csv",
        ["id", "text", "created_at", "author"],
        [[i, f"post {i}", "2024-05-01T09:00:00Z", "u"] for i in range(50)]
        + [[7, "same id, other text", "2024-05-01T10:00:00Z", "v"]],
    )
    b = write_csv(
        tmp_path / "b.csv",
        ["id", "text", "created_at", "author"],
        [[i, f"post {i}", "2024-05-01T09:00:00Z", "u"] for i in range(40, 60)],
    )
    frame, run = collect([a, b], chunksize=8)
    assert frame["id"].tolist() == [str(i) for i in range(60)]
    assert run.stats.to_dict() == {
        "rows_read": 71,
        "rows_ok": 60,
        "rows_quarantined": 0,
        "rows_duplicate": 11,
    }
    assert [s.stats.rows_duplicate for s in run.sources] == [1, 10]


def test_duplicates_without_id_use_author_text_minute(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "x.csv",
        ["text", "created_at", "author"],
        [
            ["mail down", "2024-05-01T09:00:05Z", "ann"],
            ["mail down", "2024-05-01T09:00:55Z", "ann"],  # same minute: duplicate
            ["mail down", "2024-05-01T09:01:05Z", "ann"],  # next minute: kept
            ["mail down", "2024-05-01T09:00:05Z", "bob"],  # other author: kept (repost)
            ["Mail down", "2024-05-01T09:00:05Z", "ann"],  # other text: kept
        ],
    )
    frame, run = collect(path)
    assert frame["line"].tolist() == [2, 4, 5, 6]
    assert run.stats.rows_duplicate == 1


def test_reposts_are_kept_and_flagged(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "x.csv",
        ["id", "text", "created_at", "author"],
        [
            [1, "Outlook is down  again", "2024-05-01T09:00:00Z", "ann"],
            [2, "outlook is down again", "2024-05-01T09:01:00Z", "bob"],
            [3, "RT @ann: Outlook is down again", "2024-05-01T09:02:00Z", "cat"],
            [4, "Outlook is down again", "2024-05-01T09:03:00Z", "ann"],
            [5, "RT @zed: never seen before", "2024-05-01T09:04:00Z", "dan"],
            [6, "outlook is down again", "2024-05-01T09:05:00Z", ""],
        ],
    )
    frame, run = collect(path, chunksize=2)
    assert frame["is_repost"].tolist() == [False, True, True, False, True, False]
    assert run.stats.rows_ok == 6 and run.stats.rows_duplicate == 0


def test_repost_flag_column_from_export(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    records = [
        {
            "id": "1",
            "content": "<p>down</p>",
            "created_at": "2024-05-01T09:00:00Z",
            "account": {"acct": "a"},
            "reblog": None,
        },
        {
            "id": "2",
            "content": "<p>boost</p>",
            "created_at": "2024-05-01T09:00:00Z",
            "account": {"acct": "b"},
            "reblog": {"id": "1"},
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    frame, _ = collect(path)
    assert frame["is_repost"].tolist() == [False, True]


def test_accounting_invariant_on_messy_input(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    lines = ["id,text,created_at,author"]
    for i in range(1500):
        kind = rng.integers(0, 10)
        pid = int(rng.integers(0, 1200))
        if kind == 0:
            lines.append(f"{pid},,2024-05-01T09:00:00Z,u{i % 7}")  # missing text
        elif kind == 1:
            lines.append(f"{pid},bad time,not a time,u{i % 7}")
        elif kind == 2:
            lines.append(f'{pid},"multi\nline",2024-05-01T09:00:00Z,u{i % 7}')
        elif kind == 3 and i % 97 == 0:
            lines.append(f'{pid},"broken,2024-05-01T09:00:00Z,u1')
        else:
            lines.append(f"{pid},post {pid},{1714554000 + pid},u{i % 7}")
    path = tmp_path / "messy.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    for chunksize in (128, 100_000):
        frame, run = collect(path, chunksize=chunksize)
        s = run.stats
        assert s.rows_read == 1500  # each broken quote costs its own line only
        assert s.rows_read == s.rows_ok + s.rows_quarantined + s.rows_duplicate
        assert s.rows_ok == len(frame) == frame["id"].nunique()
        assert s.rows_quarantined == len(run.quarantine)
        assert frame["created_at"].notna().all() and (frame["text"].str.len() > 0).all()
        assert frame["line"].is_monotonic_increasing
        if chunksize == 128:
            first = (s.to_dict(), frame.reset_index(drop=True), run.quarantine)
    assert first[0] == s.to_dict()
    pd.testing.assert_frame_equal(first[1], frame.reset_index(drop=True))
    pd.testing.assert_frame_equal(first[2], run.quarantine)


def test_quarantine_cap_and_stream(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "text,created_at\n" + "".join(f"t{i},never\n" for i in range(50)) + "ok,2024-05-01\n"
    )
    out = tmp_path / "quarantine.csv"
    run = read_posts(path, quarantine_limit=10, quarantine_path=out)
    frames = list(run)
    assert len(frames[0]) == 1
    assert run.stats.rows_quarantined == 50
    assert len(run.quarantine) == 10 and run.quarantine_dropped == 40
    streamed = pd.read_csv(out)
    assert list(streamed.columns) == ["source_file", "line", "reason", "raw"]
    assert streamed["line"].tolist() == list(range(2, 52))
    assert streamed["reason"].iloc[0] == "unparseable time 'never'"


def test_hash_set_and_first_seen_merge_levels() -> None:
    seen = HashSet()
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 5000, 20_000).astype(np.uint64)
    dup = np.concatenate([seen.add(part) for part in np.array_split(keys, 37)])
    assert (~dup).sum() == len(np.unique(keys)) == len(seen)
    expected = pd.Series(keys).duplicated().to_numpy()
    assert (dup == expected).all()
    first = FirstSeen()
    values = np.arange(len(keys), dtype=np.uint64)
    parts = zip(np.array_split(keys, 37), np.array_split(values, 37), strict=True)
    got = np.concatenate([first.first(k, v) for k, v in parts])
    ref = pd.Series(values).groupby(keys).transform("first").to_numpy()
    assert (got == ref).all()
