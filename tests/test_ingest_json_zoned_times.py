"""JSON Lines times that carry a zone keep it, whatever ``--tz`` says.

Arrow's JSON reader takes whole-second ISO 8601 strings for timestamps and drops their
zone (converted to UTC), so ``--tz`` once shifted ``...Z`` and ``...+02:00`` times in
JSON Lines exports as if they were local: 9 hours early with ``--tz Asia/Tokyo``, while
the same rows as CSV were right.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from support import run_cli

from detector.ingest import read_posts
from detector.ingest.columns import ColumnMapping

ROWS = [
    {"id": "1", "text": "outlook is down, cannot log in", "created_at": "2019-06-19T23:59:35Z"},
    {"id": "2", "text": "outlook down again", "created_at": "2019-06-19 23:59:35+02:00"},
    {"id": "3", "text": "outlook still down", "created_at": "2019-06-19 23:59:35"},
]
#: In UTC with ``--tz Asia/Tokyo`` (UTC+9): the zoned times as written, the zoneless
#: one read as Tokyo time.
EXPECTED = ["2019-06-19 23:59:35+00:00", "2019-06-19 21:59:35+00:00", "2019-06-19 14:59:35+00:00"]


def _write(tmp_path: Path, kind: str) -> Path:
    if kind == "csv":
        path = tmp_path / "posts.csv"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(ROWS[0]))
            writer.writeheader()
            writer.writerows(ROWS)
        return path
    lines = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    if kind == "jsonl.gz":
        path = tmp_path / "posts.jsonl.gz"
        path.write_bytes(gzip.compress(lines))
        return path
    path = tmp_path / "posts.jsonl"
    path.write_bytes(lines)
    return path


@pytest.mark.parametrize("kind", ["jsonl", "jsonl.gz", "csv"])
def test_score_keeps_the_zone_of_each_time(kind: str, tmp_path: Path, capsys) -> None:
    source = _write(tmp_path, kind)
    code, _, err = run_cli(
        ["score", str(source), "--out", str(tmp_path / "out"), "--tz", "Asia/Tokyo", "-q"], capsys
    )
    assert code == 0, err
    posts = pd.read_parquet(tmp_path / "out" / "posts.parquet").sort_values("id")
    assert [str(t) for t in posts["created_at"]] == EXPECTED


def test_nested_times_are_read_as_their_text(tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    path.write_text(
        json.dumps({"id": "1", "text": "teams down", "meta": {"at": "2019-06-19T23:59:35+02:00"}})
        + "\n"
    )
    chunk = next(iter(read_posts(str(path), ColumnMapping(time="meta.at"), tz="Asia/Tokyo")))
    assert str(chunk["created_at"].iloc[0]) == "2019-06-19 21:59:35+00:00"
