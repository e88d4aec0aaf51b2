"""Bad input: one clear error with the right class and exit code, or quarantine and go on."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import zstandard

from detector.errors import DataError, InputMissingError, SchemaError, UsageError
from detector.ingest import read_posts

GOOD = "id,text,created_at\n1,mail down,2024-05-01T09:00:00Z\n2,teams down,2024-05-01T09:01:00Z\n"


def collect(path, **kwargs):
    run = read_posts(path, **kwargs)
    frames = list(run)
    return (pd.concat(frames, ignore_index=True) if frames else None), run


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(InputMissingError) as info:
        read_posts(path)
    assert str(info.value) == f"{path}: no such file"
    assert info.value.exit_code == 66


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputMissingError) as info:
        read_posts(tmp_path)
    assert str(info.value) == (
        f"{tmp_path}: is a directory, not a file (to read the files in it: '{tmp_path / '*'}')"
    )
    assert info.value.exit_code == 66


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["zero_bytes", "blank_lines"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_posts(path)
    assert str(info.value) == f"{path}: file is empty"
    assert info.value.exit_code == 65


@pytest.mark.parametrize("content", ["[]", '{"data": []}', "[\n]\n"])
def test_empty_json_array(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(DataError) as info:
        read_posts(path)
    assert str(info.value) == f"{path}: file is empty (no records)"


def test_empty_gzip(tmp_path: Path) -> None:
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(DataError, match=r"x\.csv\.gz: file is empty$"):
        read_posts(path)


def test_header_only_gives_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,text,created_at\n", "utf-8")
    frame, run = collect(path)
    assert frame is None and run.stats.rows_read == 0


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (bytes(range(256)) * 40, "looks like a binary file"),
        (b"\x00\x01\x02\x03garbage\x00" * 100, "looks like a binary file"),
        (
            b"PK\x03\x04" + b"\x00" * 100,
            "is a ZIP archive (an Excel workbook?), not CSV, JSON Lines, JSON or Parquet; "
            "save or export it as CSV",
        ),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "is a PNG image"),
    ],
    ids=["bytes", "nul", "zip", "png"],
)
def test_binary_file(tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}: {re.escape(what)}") as info:
        read_posts(path)
    assert info.value.exit_code == 65
    assert "\n" not in str(info.value)


def test_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "x.csv.gz"
    data = gzip.compress((GOOD * 200).encode())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError) as info:
        collect(path)
    assert str(info.value) == f"{path}: compressed data is truncated or corrupt"
    assert info.value.exit_code == 65


def test_truncated_gzip_large_fails_during_iteration(tmp_path: Path) -> None:
    lines = "".join(
        f"{i},post number {i} {i * 7919 % 10007},2024-05-01T09:00:00Z\n" for i in range(60000)
    )
    data = gzip.compress(("id,text,created_at\n" + lines).encode())
    path = tmp_path / "big.csv.gz"
    path.write_bytes(data[:-100])
    run = read_posts(path, chunksize=1000)  # the head decompresses fine
    with pytest.raises(DataError, match="compressed data is truncated or corrupt"):
        list(run)


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "x.csv.gz"
    data = bytearray(gzip.compress((GOOD * 50).encode()))
    data[20:40] = b"\xff" * 20
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"compressed data is truncated or corrupt$"):
        collect(path)


def test_truncated_zstd(tmp_path: Path) -> None:
    path = tmp_path / "x.csv.zst"
    data = zstandard.ZstdCompressor().compress((GOOD * 200).encode())
    path.write_bytes(data[:-5])
    with pytest.raises(DataError) as info:
        collect(path)
    assert str(info.value) == f"{path}: compressed data is truncated or corrupt"


@pytest.mark.parametrize("chunksize", [10, 200_000], ids=["streamed", "one_piece"])
def test_csv_broken_quote_is_quarantined_and_reading_goes_on(
    tmp_path: Path, chunksize: int
) -> None:
    rows = ["id,text,created_at", '1,"fine, quoted",2024-05-01T09:00:00Z']
    rows.append('2,"broken quote,2024-05-01T09:01:00Z')
    rows += [f"{i},post {i},2024-05-01T09:02:00Z" for i in range(3, 1200)]
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    frame, run = collect(path, chunksize=chunksize)
    assert frame["id"].tolist() == ["1"] + [str(i) for i in range(3, 1200)]
    assert frame["line"].tolist() == [2] + list(range(4, 1201))
    assert run.quarantine[["line", "reason"]].to_dict("records") == [
        {
            "line": 3,
            "reason": (
                "unterminated quoted field (broken quote) on line 3: "
                "it would have absorbed lines 4-1002 and more (over 1,000 lines)"
            ),
        }
    ]
    assert run.quarantine["raw"].iloc[0] == '2,"broken quote,2024-05-01T09:01:00Z'
    s = run.stats
    assert (s.rows_read, s.rows_ok, s.rows_quarantined) == (1199, 1198, 1)


def test_csv_broken_quote_closed_by_a_later_quote(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"  # the stray quote pairs with a real multi-line field
    path.write_text(
        GOOD
        + '3,"broken,2024-05-01T09:02:00Z\n'
        + "4,fine,2024-05-01T09:03:00Z\n"
        + '5,"two\nlines",2024-05-01T09:04:00Z\n'
        + "6,last,2024-05-01T09:05:00Z\n"
    )
    frame, run = collect(path)
    assert frame["id"].tolist() == ["1", "2", "4", "5", "6"]
    assert frame["line"].tolist() == [2, 3, 5, 6, 8]
    assert frame["text"].tolist()[3] == "two\nlines"
    assert run.quarantine[["line", "reason"]].to_dict("records") == [
        {
            "line": 4,
            "reason": (
                "unterminated quoted field (broken quote) on line 4: "
                "it would have absorbed lines 5-6"
            ),
        }
    ]


def test_csv_broken_quote_at_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(GOOD + '3,"never closed,2024-05-01T09:02:00Z\n4,after,2024-05-01T09:03:00Z\n')
    frame, run = collect(path)
    assert frame["id"].tolist() == ["1", "2", "4"]
    assert run.quarantine["line"].tolist() == [4]
    assert run.stats.rows_read == 4


def test_csv_too_many_or_too_few_fields_are_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(GOOD + "3,a,b,c,2024-05-01T09:02:00Z\n9,short\n", "utf-8")
    frame, run = collect(path)
    assert frame["id"].tolist() == ["1", "2"]
    assert run.quarantine[["line", "reason", "raw"]].to_dict("records") == [
        {"line": 4, "reason": "expected 3 fields, found 5", "raw": "3,a,b,c,2024-05-01T09:02:00Z"},
        {"line": 5, "reason": "expected 3 fields, found 2", "raw": "9,short"},
    ]
    assert (run.stats.rows_read, run.stats.rows_quarantined) == (4, 2)


def test_csv_too_many_fields_in_the_slow_path(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"  # the broken quote sends the block through the csv module
    path.write_text(GOOD + '3,a,b,c,2024-05-01T09:02:00Z\n4,"open,2024-05-01T09:03:00Z\n')
    frame, run = collect(path)
    assert frame["id"].tolist() == ["1", "2"]
    assert run.quarantine[["line", "reason"]].to_dict("records") == [
        {"line": 4, "reason": "expected 3 fields, found 5"},
        {
            "line": 5,
            "reason": "unterminated quoted field (broken quote) on line 5: the file ends inside it",
        },
    ]


def test_jsonl_bad_line_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    good = {"id": "1", "text": "down", "created_at": "2024-05-01T09:00:00Z"}
    path.write_text(
        json.dumps(good)
        + "\n"
        + '{"id": "2", "text": "cut off\n'
        + "[1, 2]\n"
        + json.dumps(dict(good, id="3"))
        + "\n",
        "utf-8",
    )
    frame, run = collect(path)
    assert frame["id"].tolist() == ["1", "3"]
    assert frame["line"].tolist() == [1, 4]
    assert run.quarantine[["line", "reason"]].to_dict("records") == [
        {"line": 2, "reason": "invalid JSON: Unterminated string starting at"},
        {"line": 3, "reason": "not a JSON object (list)"},
    ]
    assert run.quarantine["raw"].iloc[0] == '{"id": "2", "text": "cut off'


def test_json_array_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[\n{"text": "a", "created_at": "2024-05-01"},\n{"text": "b" "x"}\n]\n')
    with pytest.raises(
        DataError, match=r"x\.json: invalid JSON at line 3: Expecting ',' delimiter"
    ):
        collect(path)


def test_json_object_without_posts(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"meta": {"count": 0},\n "errors": []}\n')
    with pytest.raises(DataError, match="a JSON object without an array of posts"):
        read_posts(path)


def test_parquet_extension_without_parquet_content(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_text(GOOD)
    with pytest.raises(DataError, match=r"x\.parquet: not a Parquet file"):
        read_posts(path)


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 50 + b"PAR1")
    with pytest.raises(DataError, match=r"x\.parquet: not a readable Parquet file") as info:
        read_posts(path)
    assert info.value.exit_code == 65


def test_second_file_checked_before_reading(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(SchemaError, match="bad.csv: no text column found"):
        read_posts([good, bad])


def test_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="at least one input path"):
        read_posts([])
    path = tmp_path / "x.csv"
    path.write_text(GOOD)
    with pytest.raises(UsageError, match="'chunksize' parameter must be a positive int. Got 0"):
        read_posts(path, chunksize=0)
    run = read_posts(path)
    list(run)
    with pytest.raises(UsageError, match="iterated only once"):
        list(run)
