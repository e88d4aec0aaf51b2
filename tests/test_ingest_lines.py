"""Physical line numbers: multi-line fields, blank lines, CRLF, and chunk edges."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from detector.ingest import read_posts


def collect(path, **kwargs):
    run = read_posts(path, **kwargs)
    return pd.concat(list(run), ignore_index=True), run


def test_multiline_fields_do_not_shift_later_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "id,text,created_at\n"
        '1,"line one\nline two\nline three",2024-05-01T09:00:00Z\n'
        "2,single,2024-05-01T09:01:00Z\n"
        '3,"para\n\npara",2024-05-01T09:02:00Z\n'
        "4,last,2024-05-01T09:03:00Z\n",
        "utf-8",
    )
    frame, _ = collect(path)
    assert frame["line"].tolist() == [2, 5, 6, 9]
    assert frame["text"].tolist()[2] == "para\n\npara"


def test_multiline_in_an_unused_column(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "id,bio,text,created_at\n"
        '1,"two\nlines",a,2024-05-01T09:00:00Z\n'
        "2,,b,2024-05-01T09:01:00Z\n",
        "utf-8",
    )
    frame, _ = collect(path)
    assert frame["line"].tolist() == [2, 4]


def test_blank_lines_are_skipped_not_counted_as_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "id,text,created_at\n\n1,a,2024-05-01T09:00:00Z\n\n\n2,b,2024-05-01T09:01:00Z\n\n",
        "utf-8",
    )
    frame, run = collect(path)
    assert frame["line"].tolist() == [3, 6]
    assert run.stats.rows_read == 2


def test_row_with_only_empty_used_fields_is_quarantined_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("text,created_at,other\n,,x\nok,2024-05-01,y\n", "utf-8")
    frame, run = collect(path)
    assert frame["line"].tolist() == [3]
    assert run.quarantine[["line", "reason"]].to_dict("records") == [
        {"line": 2, "reason": "missing text"}
    ]


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(
        b"id,text,created_at\r\n1,a,2024-05-01T09:00:00Z\r\n"
        b'2,"b\r\nc",2024-05-01T09:01:00Z\r\n3,d,2024-05-01T09:02:00Z\r\n'
    )
    frame, _ = collect(path)
    assert frame["line"].tolist() == [2, 3, 5]
    assert frame["text"].tolist() == ["a", "b\r\nc", "d"]


def test_no_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,text,created_at\n1,a,2024-05-01T09:00:00Z", "utf-8")
    frame, _ = collect(path)
    assert frame["line"].tolist() == [2]


def test_quoted_header_and_duplicate_names(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('"text","created_at","text"\nhi,2024-05-01,other\n', "utf-8")
    frame, _ = collect(path)
    assert frame["text"].tolist() == ["hi"]


def test_text_that_looks_like_na_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("text,created_at\nNA,2024-05-01\nnull,2024-05-01\nNone,2024-05-01\n", "utf-8")
    frame, _ = collect(path)
    assert frame["text"].tolist() == ["NA", "null", "None"]


@pytest.mark.parametrize("chunksize", [1, 3, 17, 10_000])
def test_line_numbers_exact_for_any_chunking(tmp_path: Path, chunksize: int) -> None:
    # Reference: Python's csv module over the same text, counting physical lines.
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "text", "created_at"])
    for i in range(300):
        text = "\n".join(["x"] * (i % 4 + 1)) if i % 5 == 0 else f'post "{i}", ok'
        writer.writerow([i, text, f"2024-05-01T{i % 24:02d}:00:00Z"])
    path = tmp_path / "x.csv"
    path.write_text(buf.getvalue(), "utf-8")
    expected, counted = [], 0
    reader = csv.reader(io.StringIO(buf.getvalue()))
    next(reader)
    counted = reader.line_num
    for _ in reader:
        expected.append(counted + 1)
        counted = reader.line_num
    frame, run = collect(path, chunksize=chunksize)
    assert frame["line"].tolist() == expected
    assert frame["id"].tolist() == [str(i) for i in range(300)]
    assert run.stats.rows_read == 300
