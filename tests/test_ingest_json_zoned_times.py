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
import random
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


def _random_block(rng: random.Random) -> bytes:
    """A block of JSON Lines whose fields vary the ways exports do: times zoned, zoneless,
    date-only or not times at all, numbers or nulls where times were, fields missing from
    some rows or from the first, keys in another order, times nested in objects."""
    times = [
        lambda: "2019-06-19T23:59:35Z",
        lambda: f"2019-06-{rng.randint(10, 28)} 23:59:{rng.randint(10, 59)}+02:00",
        lambda: "2019-06-19",
        lambda: "2019-06-19T23:59:35",
        lambda: "Wed Jun 19 23:59:35 +0000 2019",
        lambda: rng.randint(0, 2_000_000_000),
        lambda: None,
    ]
    style = [rng.choice(times) for _ in range(2)]  # a block holds one or two styles
    nested = rng.random() < 0.4
    keys = ["name", "since", "seen", "profile", "posts"]  # the user objects' usual order
    if rng.random() < 0.3:
        rng.shuffle(keys)
    rows = []
    for i in range(rng.randint(1, 12)):
        row: dict[str, object] = {"id": i, "text": rng.choice(["down", "ok", None])}
        if rng.random() < 0.9:
            row["created_at"] = rng.choice(style)()
        if rng.random() < 0.3:
            row["edited_at"] = rng.choice(style)()
        if nested:  # its fields vary too, and may hold an object or a list of them
            user = {"name": "u", "since": rng.choice(style)(), "seen": rng.choice(style)()}
            if rng.random() < 0.3:
                user["profile"] = {"joined": rng.choice(style)(), "bio": "b"}
            if rng.random() < 0.1:
                user["posts"] = [{"at": rng.choice(style)()}]
            kept = [k for k in keys if k in user and (k == "name" or rng.random() < 0.95)]
            if rng.random() < 0.1:
                rng.shuffle(kept)
            row["user"] = {k: user[k] for k in kept} if rng.random() < 0.95 else None
        items = list(row.items())
        if rng.random() < 0.2:
            rng.shuffle(items)
        rows.append(json.dumps(dict(items)))
    return ("\n".join(rows) + "\n").encode()


def test_reading_a_block_once_as_the_last_one_gives_what_reading_it_twice_gives(
    monkeypatch,
) -> None:
    import pyarrow as pa

    from detector.ingest import jsonfile
    from detector.ingest.jsonfile import _read_json_block

    once = []

    def counted(*args):
        table = read_once(*args)
        once.append(table is not None)
        return table

    read_once = jsonfile._read_as_known
    monkeypatch.setattr(jsonfile, "_read_as_known", counted)
    rng = random.Random(11)
    for _ in range(300):
        known: list[str] = []
        for _ in range(6):  # consecutive blocks of one file
            piece = _random_block(rng)
            try:
                expected = _read_json_block(piece)
            except pa.ArrowInvalid:
                expected = None
            try:
                got = _read_json_block(piece, known)
            except pa.ArrowInvalid:
                got = None
            if expected is None or got is None:
                assert expected is got is None, piece
                continue
            assert got.schema == expected.schema, piece
            assert got.equals(expected), piece
    assert sum(once) > 50 and not all(once)  # both ways were taken, often
    # an export of one shape (times at the top and nested, as Mastodon's account.created_at):
    # every block after the first is read once
    once.clear()
    known = []
    for block in range(5):
        rows = [
            {
                "id": f"{block}-{i}",
                "created_at": f"2024-05-0{1 + block}T10:{i:02d}:00.000Z"[:19] + "Z",
                "content": "down",
                "account": {"username": "u", "created_at": "2019-06-19T23:59:35+02:00"},
                **({"edited_at": "2024-05-01T11:00:00Z"} if i % 7 == 3 else {}),
            }
            for i in range(40)
        ]
        piece = ("\n".join(json.dumps(r) for r in rows) + "\n").encode()
        assert _read_json_block(piece, known).equals(_read_json_block(piece))
    assert once == [True] * 4
