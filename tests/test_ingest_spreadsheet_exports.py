"""Spreadsheet exports as users hand them over: dates with a UTC offset, SQL Server's
``Feb 24 2015 11:35AM``, and Excel's ``sep=;`` first line.

Before: rows 1-3 of the offset/SQL Server file were quarantined as unparseable times,
and the ``sep=;`` file failed ("no text column found (columns: sep=, unnamed_1)").
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support import engine_outputs, score_local_and_dask

from detector.cli.main import main
from detector.ingest import parse_times
from detector.ingest import timestamps as ts

SPREADSHEET = (
    "id,text,created_at\n"
    "1,outlook is down,24/02/2015 11:35 +05:30\n"
    "2,outlook down again,02/24/2015 11:35 -08:00\n"
    "3,outlook down,Feb 24 2015 11:35AM\n"
    "4,outlook is down,24/02/2015 11:35\n"
    "5,outlook down,2015-02-24T11:35:00+0530\n"
)


def _score(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stop:
        main(["score", *args, "-q"])
    return int(stop.value.code or 0), capsys.readouterr().err


def _times(out: Path) -> dict[str, str]:
    posts = pd.read_parquet(out / "posts.parquet")
    stamps = posts["created_at"].dt.strftime("%Y-%m-%dT%H:%M")
    return dict(zip(posts["id"], stamps, strict=True))


@pytest.mark.parametrize(
    ("tz", "naive"),
    [(None, "2015-02-24T11:35"), ("America/New_York", "2015-02-24T16:35")],
)
def test_offsets_and_sql_server_times_parse_and_tz_only_reads_the_naive_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tz: str | None, naive: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(SPREADSHEET)
    out = tmp_path / "out"
    code, err = _score([str(path), "--out", str(out), *(["--tz", tz] if tz else [])], capsys)
    assert code == 0, err
    assert (out / "quarantine.csv").read_text() == "source_file,line,reason,raw\n"
    assert _times(out) == {
        "1": "2015-02-24T06:05",  # the offset applied, whatever --tz says
        "2": "2015-02-24T19:35",
        "3": naive,  # no zone written: read in --tz
        "4": naive,
        "5": "2015-02-24T06:05",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["rows_scored"], summary["rows_quarantined"]) == (5, 0)


@pytest.mark.parametrize(
    ("template", "first"),
    [
        ("{d:02d}/02/2015 11:35 +05:30", "2015-02-01T06:05"),  # 28/02 shows day first
        ("{d}/02/2015 11:35:10 -0800", "2015-02-01T19:35"),
        ("02/{d:02d}/2015 11:35 +05:30", "2015-02-01T06:05"),  # 02/28: month first
        ("01/02/2015 11:{d:02d} +05:30", "2015-01-02T05:31"),  # both read: month first
        ("{d:02d}-02-2015 11:35 +01:00", "2015-02-01T10:35"),  # dashes, dots: day first
        ("{d:02d}.02.2015 11:35 +01:00", "2015-02-01T10:35"),
        ("Feb {d:2d} 2015 11:35AM", "2015-02-01T11:35"),  # SQL Server pads with spaces
        ("Feb {d} 2015 12:05PM", "2015-02-01T12:05"),
    ],
)
def test_each_new_format_is_read_whole_column_without_the_per_row_fallback(
    monkeypatch: pytest.MonkeyPatch, template: str, first: str
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(ts, "parse_one", lambda text, *a, **k: calls.append(text))
    values = pd.Series([template.format(d=d) for d in range(1, 29)] * 50)
    times, reasons = parse_times(values)
    assert calls == []  # vectorised: no Python per row
    assert reasons.tolist() == [None] * len(values)
    assert times.iat[0].strftime("%Y-%m-%dT%H:%M") == first


def test_a_column_mixing_formats_reads_each_row_and_keeps_the_columns_day_order() -> None:
    # a day-first column (24/02 shows it) whose odd rows carry an offset or another
    # format: 03/02/2015 +05:30 is 3 February, as the column's own dates are
    values = pd.Series(
        ["24/02/2015 11:35", "03/02/2015 11:35", "03/02/2015 11:35 +05:30"]
        + ["Feb 24 2015 11:35AM", "2015-02-24T11:35:00+0530", "1424777700", "soon"]
    )
    times, reasons = parse_times(values, tz="Europe/Berlin")
    assert times.dt.strftime("%Y-%m-%dT%H:%M").tolist()[:6] == [
        "2015-02-24T10:35",
        "2015-02-03T10:35",
        "2015-02-03T06:05",
        "2015-02-24T10:35",
        "2015-02-24T06:05",
        "2015-02-24T11:35",
    ]
    assert reasons.tolist() == [None] * 6 + ["unparseable time 'soon'"]
    # a US column keeps month first for its odd rows as before
    us, _ = parse_times(pd.Series(["2/24/2015 11:35", "03/02/2015 11:35 +00:00"]))
    assert us.dt.strftime("%m-%d").tolist() == ["02-24", "03-02"]
    assert ts.parse_one("24/02/2015 11:35 +05:30") == pd.Timestamp("2015-02-24 06:05", tz="UTC")
    assert ts.parse_one("Feb 24 2015 11:35AM") == pd.Timestamp("2015-02-24 11:35", tz="UTC")


SEP_HINTED = (
    "sep=;\r\nid;text;Date\r\n1;outlook is down;24/02/2015 11:35\r\n"
    "2;cannot login;24/02/2015 11:40\r\n"
)


def test_excels_sep_line_names_the_delimiter_and_counts_with_the_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(SEP_HINTED.encode())
    out = tmp_path / "out"
    code, err = _score([str(path), "--out", str(out)], capsys)
    assert code == 0, err
    posts = pd.read_parquet(out / "posts.parquet")
    assert posts[["id", "text", "line"]].to_dict("records") == [
        {"id": "1", "text": "outlook is down", "line": 3},
        {"id": "2", "text": "cannot login", "line": 4},
    ]
    assert _times(out) == {"1": "2015-02-24T11:35", "2": "2015-02-24T11:40"}
    summary = json.loads((out / "summary.json").read_text())
    lines = {k: v for k, v in summary.items() if k.startswith("lines_")}
    assert lines == {
        "lines_read": 2,
        "lines_scored": 2,
        "lines_quarantined": 0,
        "lines_duplicate": 0,
        "lines_blank": 0,
        "lines_header": 2,  # sep=; and the header
    }


@pytest.mark.parametrize(
    ("hint", "delimiter", "bom"),
    [("sep=;", ";", b"\xef\xbb\xbf"), ("SEP=|", "|", b""), ("sep=\\t", "\t", b"")],
    ids=["semicolon-bom", "pipe", "tab-written-as-backslash-t"],
)
def test_the_hint_wins_and_bad_rows_keep_their_line_numbers(
    tmp_path: Path, hint: str, delimiter: str, bom: bytes
) -> None:
    from detector.ingest import read_posts
    from detector.ingest.formats import sniff

    rows = ["id,text,created_at", "1,mail down, again,2024-05-01T10:00:00Z", "2,x"]
    rows += ["3,mail down,2024-05-01T10:01:00Z", "", "1,dup,2024-05-01T10:02:00Z"]
    body = "\n".join(r.replace(",", delimiter) if r != rows[1] else r for r in rows)
    # row 1 keeps its commas: one text with commas in a file hinted to another delimiter
    body = body.replace(rows[1], delimiter.join(["1", "mail down, again", "2024-05-01T10:00:00Z"]))
    path = tmp_path / "hinted.csv"
    path.write_bytes(bom + f"{hint}\n{body}\n".encode())
    info = sniff(path)
    assert (info.format, info.delimiter, info.preamble) == ("csv", delimiter, 1)
    run = read_posts(path)
    posts = pd.concat(list(run))
    assert posts[["id", "text", "line"]].to_dict("records") == [
        {"id": "1", "text": "mail down, again", "line": 3},
        {"id": "3", "text": "mail down", "line": 5},
    ]
    assert run.quarantine[["line", "reason"]].to_dict("records") == [
        {"line": 4, "reason": "expected 3 fields, found 2"}
    ]
    lines = run.lines
    assert (lines.lines_read, lines.lines_header, lines.lines_blank) == (5, 2, 1)
    assert lines.lines_duplicate == 1 and lines.balanced


def test_a_hinted_file_read_in_byte_ranges_equals_one_reader(tmp_path: Path) -> None:
    from test_review_s5_shares import _same

    rows = [f"{i % 9};outlook down {i};2024-05-01T10:{i % 60:02d}:00Z" for i in range(40)]
    rows[7] = '7;"two\nlines";2024-05-01T10:07:00Z'
    rows[12] = "12;bad row"
    data = ("sep=;\r\nid;text;created_at\r\n" + "\r\n".join(rows) + "\r\n").encode()
    for split in (3, 11, 40, 97):  # cuts inside the sep line, the header and the records
        got = _same(tmp_path, data, split=split, chunksize=5)
        assert got["ranged"]
        assert got["lines"][0].lines_header == 2


@pytest.mark.slow
def test_dask_workers_read_byte_ranges_of_a_hinted_file_as_the_local_engine(
    tmp_path: Path,
) -> None:
    pytest.importorskip("dask.distributed")

    rows = [
        f"{i % 700};outlook down {i};24/02/2015 {i // 60 % 24:02d}:{i % 60:02d}"
        for i in range(3000)
    ]
    rows[100] = "100;bad row"
    path = tmp_path / "export.csv"
    path.write_bytes(("sep=;\r\nid;text;Date\r\n" + "\r\n".join(rows) + "\r\n").encode())
    common = dict(inputs=[str(path)], chunksize=500, keep_authors=True)
    score_local_and_dask(tmp_path, common, split_bytes=20_000)
    files = ("quarantine.csv", "duplicates.csv", "series.csv")
    local, dask = (engine_outputs(tmp_path / e, files) for e in ("local", "dask"))
    pd.testing.assert_frame_equal(local["posts"], dask["posts"])
    for name in ("summary", "quarantine.csv", "duplicates.csv", "series.csv"):
        assert local[name] == dask[name], name
    summary = local["summary"]
    assert (summary["rows_scored"], summary["rows_quarantined"], summary["rows_duplicate"]) == (
        700,
        1,
        2299,
    )
    assert (summary["lines_read"], summary["lines_header"]) == (3000, 2)
    assert local["posts"]["line"].iloc[:2].tolist() == [3, 4]
    assert 'export.csv,103,"expected 3 fields, found 2",100;bad row\n' in local["quarantine.csv"]
