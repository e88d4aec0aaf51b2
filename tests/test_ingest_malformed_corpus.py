"""A corpus of malformed exports, each run through the real ``score`` command.

Every export is built here. Each run ends either with exit 0 and exact line-level
accounting (every physical input line after the header is scored, quarantined,
listed as a duplicate or blank, and the line numbers in posts.parquet,
quarantine.csv and duplicates.csv say which), or with the expected exit code
among 64/65/66/73/74 and one clear line on stderr. Never 70, never a traceback.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from detector.cli.main import main

HEADER = "id,text,created_at"


def row(i: int, text: str | None = None) -> str:
    """One good CSV row (distinct id, text and minute per *i*)."""
    return f"{i},{text or f'mail is down {i}'},2024-05-01T09:{i % 60:02d}:00Z"


def csv_text(rows: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def good_rows(n: int, start: int = 1) -> list[str]:
    return [row(i) for i in range(start, start + n)]


@dataclass(frozen=True)
class Case:
    """One malformed export and what the run must end with."""

    name: str
    filename: str
    build: Callable[[], bytes]
    code: int
    #: exit 0: (rows scored, rows quarantined, rows duplicate); else a stderr fragment
    expect: tuple[int, int, int] | str
    args: tuple[str, ...] = ()
    #: lines covered by multi-line records (no per-line check of posts.parquet then)
    multiline: bool = False


def _gzip_truncated_large() -> bytes:
    data = gzip.compress(csv_text(good_rows(40_000)).encode())
    return data[:-200]


def _big_field() -> bytes:
    rows = good_rows(3)
    rows.insert(1, row(99, "x" * 5_000_000))
    return csv_text(rows).encode()


def _json_lines(values: list[object]) -> bytes:
    return ("\n".join(v if isinstance(v, str) else json.dumps(v) for v in values) + "\n").encode()


def _post(i: int) -> dict[str, str]:
    return {"id": str(i), "text": f"mail is down {i}", "created_at": f"2024-05-01T09:{i:02d}:00Z"}


CASES = [
    Case(
        "blank_lines",
        "a.csv",
        lambda: csv_text(["", *good_rows(3), "", "", row(4), ""]).encode(),
        0,
        (4, 0, 0),
    ),
    Case(
        "cp1252",
        "a.csv",
        lambda: csv_text([row(1, "caf\xe9 down"), *good_rows(2, 2)]).encode("cp1252"),
        0,
        (3, 0, 0),
    ),
    Case("utf16_bom", "a.csv", lambda: csv_text(good_rows(3)).encode("utf-16"), 0, (3, 0, 0)),
    Case("utf8_bom", "a.csv", lambda: csv_text(good_rows(3)).encode("utf-8-sig"), 0, (3, 0, 0)),
    Case(
        "invalid_utf8_bytes",
        "a.csv",
        lambda: (
            csv_text(good_rows(2)).encode()
            + b"3,bad \xff\xfe bytes,2024-05-01T09:03:00Z\n"
            + "4,caf\xe9 ok,2024-05-01T09:04:00Z\n".encode()
        ),
        0,
        (4, 0, 0),
    ),
    Case(
        "truncated_gzip_large",
        "a.csv.gz",
        _gzip_truncated_large,
        65,
        "compressed data is truncated or corrupt",
    ),
    Case(
        "truncated_gzip_small",
        "a.csv.gz",
        lambda: gzip.compress(csv_text(good_rows(5)).encode())[:30],
        65,
        "compressed data is truncated or corrupt",
    ),
    Case("empty_file", "a.csv", lambda: b"", 65, "file is empty"),
    Case("whitespace_only", "a.csv", lambda: b"\n \n\r\n", 65, "file is empty"),
    Case(
        "header_only",
        "a.csv",
        lambda: (HEADER + "\n").encode(),
        65,
        "holds a header but no data rows",
    ),
    Case(
        "wrong_delimiter_rows",
        "a.csv",
        lambda: csv_text(
            [*good_rows(3), "4;semicolons;2024-05-01T09:04:00Z", "5\ttabs\t2024-05-01T09:05:00Z"]
        ).encode(),
        0,
        (3, 2, 0),
    ),
    Case(
        "mixed_columns",
        "a.csv",
        lambda: csv_text(
            [row(1), "2,too,many,fields,2024-05-01T09:02:00Z", "3,short", row(4)]
        ).encode(),
        0,
        (2, 2, 0),
    ),
    Case(
        "nul_bytes",
        "a.csv",
        lambda: csv_text([row(1), "2,nul \x00 inside,2024-05-01T09:02:00Z", row(3)]).encode(),
        0,
        (3, 0, 0),
    ),
    Case("huge_field", "a.csv", _big_field, 0, (4, 0, 0)),
    Case(
        "bad_json_lines",
        "a.jsonl",
        lambda: _json_lines([_post(1), "{oops", _post(2), "[1, 2]", "", _post(3), '"text"']),
        0,
        (3, 3, 0),
    ),
    Case(
        "nested_json_lines",
        "a.jsonl",
        lambda: _json_lines(
            [
                _post(1),
                "[" * 1000 + "]" * 1000,
                _post(2),
                '{"a":' * 5000 + "1" + "}" * 5000,
                _post(3),
            ]
        ),
        0,
        (3, 2, 0),
    ),
    Case(
        "nested_json_array",
        "a.json",
        lambda: (
            "[\n"
            + ",\n".join([json.dumps(_post(1)), "[" * 3000 + "]" * 3000, json.dumps(_post(2))])
            + "\n]\n"
        ).encode(),
        0,
        (2, 1, 0),
    ),
    Case(  # the complete record is read, the cut one quarantined (truncated JSON)
        "truncated_json_array",
        "a.json",
        lambda: ("[\n" + json.dumps(_post(1)) + ",\n" + json.dumps(_post(2))[:20]).encode(),
        0,
        (1, 1, 0),
    ),
    Case(
        "unterminated_quotes",
        "a.csv",
        lambda: csv_text(
            [
                *good_rows(5),
                '6,"stray quote,2024-05-01T09:06:00Z',
                *good_rows(5, 7),
                '12,"another,2024-05-01T09:12:00Z',
                *good_rows(5, 13),
            ]
        ).encode(),
        0,
        (15, 2, 0),
    ),
    Case(
        "unterminated_quote_last_line",
        "a.csv",
        lambda: csv_text([*good_rows(3), '4,"never closed,2024-05-01T09:04:00Z']).encode(),
        0,
        (3, 1, 0),
    ),
    Case(
        "duplicate_headers",
        "a.csv",
        lambda: csv_text(
            [f"{i},mail down {i},2024-05-01T09:{i:02d}:00Z,extra {i}" for i in range(1, 4)],
            header="id,text,created_at,text",
        ).encode(),
        0,
        (3, 0, 0),
    ),
    Case(
        "all_bad_times",
        "a.csv",
        lambda: csv_text([f"{i},mail down {i},soon" for i in range(1, 6)]).encode(),
        65,
        "no row could be scored: all 5 rows were quarantined (5 unparseable time",
    ),
    Case(
        "clock_only_with_date_column",
        "a.csv",
        lambda: csv_text(
            [f"{i},mail down {i},22-04-2015,0{i}:53:50 PM" for i in range(1, 6)],
            header="id,text,Date,Time",
        ).encode(),
        0,
        (5, 0, 0),
    ),
    Case(
        "clock_only_without_dates",
        "a.csv",
        lambda: csv_text(
            [f"{i},mail down {i},0{i}:53:50 PM" for i in range(1, 6)], header="id,text,Time"
        ).encode(),
        65,
        "column 'Time' holds clock times only",
    ),
    Case(
        "bare_carriage_return",
        "a.csv",
        lambda: csv_text([row(1), "2,split\rhere,2024-05-01T09:02:00Z", row(3)]).encode(),
        0,
        (2, 1, 0),
    ),
    Case(
        "png_file",
        "a.csv",
        lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        65,
        "is a PNG image",
    ),
    Case("xlsx_file", "a.csv", lambda: b"PK\x03\x04" + b"\x00" * 200, 65, "ZIP archive"),
    Case(
        "crlf_and_trailing_blanks",
        "a.csv",
        lambda: csv_text(good_rows(3)).replace("\n", "\r\n").encode() + b"\r\n\r\n",
        0,
        (3, 0, 0),
    ),
    Case("every_row_a_duplicate", "a.csv", lambda: csv_text([row(1)] * 6).encode(), 0, (1, 0, 5)),
    Case(
        "multiline_quoted_fields",
        "a.csv",
        lambda: csv_text(
            [
                row(1),
                '2,"two\nlines",2024-05-01T09:02:00Z',
                '3,"three\nmore\nlines",2024-05-01T09:03:00Z',
                row(4),
            ]
        ).encode(),
        0,
        (4, 0, 0),
        multiline=True,
    ),
    Case(
        "header_unterminated_quote",
        "a.csv",
        lambda: csv_text(good_rows(3), header='id,"text,created_at').encode(),
        65,
        "the header (line 1) has an unterminated quote",
    ),
    Case(
        "corrupt_parquet",
        "a.parquet",
        lambda: b"PAR1" + b"\x00" * 100 + b"PAR1",
        65,
        "not a readable Parquet file",
    ),
    Case(
        "latin1_only_bytes",
        "a.csv",
        lambda: csv_text([row(1, "bad \x81 byte"), row(2)]).encode("latin-1"),
        0,
        (2, 0, 0),
    ),
    Case("no_text_column", "a.csv", lambda: b"a,b\n1,2\n", 65, "no text column found"),
    Case(
        "zlib_not_gzip",
        "a.csv.gz",
        lambda: zlib.compress(b"\x00\x01" * 500),
        65,
        "looks like a binary file",
    ),
]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def physical_lines(data: bytes, filename: str) -> int:
    """Physical lines of an export (decompressed, decoded), as the tool counts them."""
    if filename.endswith(".gz"):
        data = gzip.decompress(data)
    for bom, codec in ((b"\xff\xfe", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig")):
        if data.startswith(bom):
            data = data.decode(codec).encode("utf-8")
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def test_corpus_has_at_least_25_exports() -> None:
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_export(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = case.build()
    path = tmp_path / case.filename
    path.write_bytes(data)
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(path), "--out", str(out), "-q", *case.args], capsys)
    assert "Traceback" not in err
    assert code == case.code, err
    if code != 0:
        assert isinstance(case.expect, str)
        assert err.count("\n") == 1 and err.startswith("error: "), err
        assert case.expect in err
        outputs = [p.name for p in out.iterdir()] if out.exists() else []
        assert outputs == []  # a failed run leaves no output, not even a partial one
        return
    summary = json.loads((out / "summary.json").read_text())
    counts = (summary["rows_scored"], summary["rows_quarantined"], summary["rows_duplicate"])
    assert counts == case.expect
    assert summary["rows_read"] == sum(counts)
    posts = pd.read_parquet(out / "posts.parquet", columns=["line"])
    quarantine = pd.read_csv(out / "quarantine.csv")
    duplicates = pd.read_csv(out / "duplicates.csv")
    assert (len(posts), len(quarantine), len(duplicates)) == counts
    # Lines: everything after the header is scored, quarantined, duplicate or blank.
    lines = {k: summary[f"lines_{k}"] for k in ("read", "scored", "quarantined", "duplicate")}
    lines["blank"] = summary["lines_blank"]
    if case.filename.endswith(".json"):
        assert summary["lines_read"] == summary["rows_read"]  # one "line" per record
        return
    total = physical_lines(data, case.filename)
    assert summary["lines_header"] + lines["read"] == total
    assert lines["read"] == (
        lines["scored"] + lines["quarantined"] + lines["duplicate"] + lines["blank"]
    )
    used = [*posts["line"], *quarantine["line"], *duplicates["line"]]
    assert len(set(used)) == len(used)  # no line counted twice
    if not case.multiline:
        assert (lines["scored"], lines["quarantined"], lines["duplicate"]) == counts
        text = gzip.decompress(data) if case.filename.endswith(".gz") else data
        first = summary["lines_header"] + 1
        blank_lines = {
            n
            for n, content in enumerate(text.split(b"\n"), start=1)
            if n >= first and not content.strip(b"\r\n \x00\xff\xfe") and n <= total
        }
        assert len(blank_lines) == lines["blank"]
        assert set(used) | blank_lines == set(range(first, total + 1))
