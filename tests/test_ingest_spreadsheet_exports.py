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
