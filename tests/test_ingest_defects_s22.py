"""Messy real-world exports (tester session 22): each test reads a real file through the
real reader or the real CLI, and failed on the code before its fix.

1. A DD/MM/YYYY column is read in one day and month order for the whole file, even
   when the value showing it (a day above 12) comes late, in a later chunk or share.
2. Ids that Excel saved in scientific notation (``1.08677E+18``) are no duplicate key.
3. Lines ending in a carriage return alone (Excel for Mac) are read.
4. X API v2 pages (twarc2's JSON Lines; a JSON array of pages) are read as one page.
5. A broken quote elsewhere in a CSV does not quarantine a long post.
6. A small CSV with a zero-filled tail keeps its rows, as a large one does.
7. A truncated JSON array keeps its complete records and quarantines the cut one.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from detector.errors import DataError
from detector.ingest import read_posts
from tests.support import engine_outputs, run_cli, score_local_and_dask

TEXTS = (
    "power is out again on my street",
    "no electricity since this morning",
    "is the whole town dark?",
    "lights just went out, anyone else",
    "still no power, fridge is warming up",
)


def _rows(n: int, dates: list[str]) -> list[dict[str, str]]:
    return [
        {
            "id": str(10**12 + i),
            "author": f"user{i % 97}",
            "text": f"{TEXTS[i % len(TEXTS)]} #{i}",
            "created_at": dates[i],
        }
        for i in range(n)
    ]


def _write_csv(path: Path, rows: list[dict[str, str]], newline: str = "\n") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), newline="")
    return path


def _score(path: Path, out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, _, err = run_cli(["score", str(path), "--out", str(out), "-q", *args], capsys)
    assert code == 0, err
    return json.loads((out / "summary.json").read_text())


def _months(out: Path) -> dict[str, int]:
    posts = pd.read_parquet(out / "posts.parquet")
    return posts["created_at"].dt.strftime("%Y-%m").value_counts().sort_index().to_dict()


# 1. One day and month order per column -------------------------------------------------


def test_a_day_first_column_is_read_day_first_in_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 250 rows of 10/02/2015 (either order), then 50 of 13/02/2015 (day first only):
    # all 300 are February; 10/02 was read as 2 October before
    dates = [f"{10 if i < 250 else 13:02d}/02/2015 {i % 24:02d}:{i % 60:02d}" for i in range(300)]
    path = _write_csv(tmp_path / "uk.csv", _rows(300, dates))
    summary = _score(path, tmp_path / "out", capsys)
    assert _months(tmp_path / "out") == {"2015-02": 300}
    assert summary["warnings"] == []


def _late_evidence(n: int, late: int) -> list[str]:
    """1-12 March (either order) until row *late*, then 13-28 March (day first only)."""
    return [
        f"{1 + i % 12 if i < late else 13 + i % 16:02d}/03/2015 {i % 24:02d}:{i % 60:02d}"
        for i in range(n)
    ]


def _write_json(path: Path, rows: list[dict[str, str]]) -> Path:
    """A JSON array: its reader's chunks hold exactly ``chunksize`` records."""
    path.write_text(json.dumps(rows))
    return path


def test_a_day_above_12_in_a_later_chunk_decides_the_order_of_the_first_chunks(
    tmp_path: Path,
) -> None:
    path = _write_json(tmp_path / "uk.json", _rows(3000, _late_evidence(3000, 2500)))
    run = read_posts(path, chunksize=200)  # the first 12 chunks show no order
    frames = list(run)
    times = pd.concat(frames)["created_at"]
    assert times.dt.month.unique().tolist() == [3]
    assert run.stats.rows_ok == 3000 and run.warnings() == []
    shown = run.sources[0].date_order
    assert shown is not None and (shown.order, shown.example, shown.line) == (
        "dmy",
        "17/03/2015 04:40",
        2501,  # the record number in a JSON array
    )


def test_an_order_shown_early_holds_for_later_chunks_that_fit_both(tmp_path: Path) -> None:
    # the tester's large file: 13-28 February first, then 1-12 March in later chunks
    dates = [
        f"{13 + i % 16:02d}/02/2015 10:00" if i < 1200 else f"{1 + i % 12:02d}/03/2015 10:00"
        for i in range(2000)
    ]
    path = _write_json(tmp_path / "uk.json", _rows(2000, dates))
    times = pd.concat(list(read_posts(path, chunksize=300)))["created_at"]
    assert times.dt.strftime("%m").value_counts().to_dict() == {"02": 1200, "03": 800}


@pytest.mark.slow
def test_dask_shares_read_the_order_the_whole_file_shows(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    # shares of 20 KB: the value showing the order (line 2502) is in the last ones
    dates = _late_evidence(3000, 2500)
    dates[2990:] = ["02/14/2015 10:00"] * 10  # and a few dates only month first reads
    path = _write_csv(tmp_path / "uk.csv", _rows(3000, dates))
    score_local_and_dask(tmp_path, {"inputs": [path], "keep_authors": True}, split_bytes=20_000)
    local = engine_outputs(tmp_path / "local", ())
    dask = engine_outputs(tmp_path / "dask", ())
    assert local["posts"]["created_at"].dt.month.value_counts().to_dict() == {3: 2990, 2: 10}
    pd.testing.assert_frame_equal(local["posts"], dask["posts"])
    assert local["summary"] == dask["summary"]
    [mixed] = [w for w in local["summary"]["warnings"] if "mixes date orders" in w]
    assert "10 dates can only be month first (first '02/14/2015 10:00' on line 2,992)" in mixed


def test_a_column_mixing_orders_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # day first (13/02) and, later, dates only month first reads (02/14): each of those
    # means one date and is read so, but summary.json warns that the column mixes orders
    dates = ["13/02/2015 10:00"] * 5 + ["10/02/2015 10:00"] * 5 + ["02/14/2015 10:00"] * 2
    path = _write_csv(tmp_path / "mixed.csv", _rows(12, dates))
    summary = _score(path, tmp_path / "out", capsys)
    days = pd.read_parquet(tmp_path / "out" / "posts.parquet")["created_at"].dt.strftime("%m-%d")
    assert days.tolist() == ["02-13"] * 5 + ["02-10"] * 5 + ["02-14"] * 2
    [warning] = [w for w in summary["warnings"] if "date orders" in w]
    assert "mixes date orders" in warning and "'02/14/2015 10:00' on line 12" in warning


def test_the_readme_documents_the_one_order_per_file() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "whole file" in readme and "day above 12" in readme


# 2. Ids Excel saved in scientific notation -----------------------------------------------


def test_ids_in_scientific_notation_are_no_duplicate_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows(200, [f"2019-01-19T{i // 60:02d}:{i % 60:02d}:00Z" for i in range(200)])
    for i, row in enumerate(rows):
        row["id"] = f"{1086774295781654531 + i * 7919:.5E}"  # 1.08677E+18 for all of them
    rows.append(dict(rows[3]))  # one true duplicate: the same author, text and minute
    path = _write_csv(tmp_path / "excel.csv", rows)
    summary = _score(path, tmp_path / "out", capsys)
    assert (summary["rows_scored"], summary["rows_duplicate"]) == (200, 1)
    duplicates = pd.read_csv(tmp_path / "out" / "duplicates.csv")
    assert duplicates[["line", "duplicate_of_line", "key"]].values.tolist() == [
        [202, 5, "author+text+minute"]
    ]
    [warning] = [w for w in summary["warnings"] if "scientific notation" in w]
    assert "201 ids" in warning and "'1.08677E+18' on line 2" in warning


# 3. Lines ending in a carriage return alone ---------------------------------------------


def test_cr_only_line_endings_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(40, [f"2019-01-19T10:{i:02d}:00Z" for i in range(40)])
    rows[5]["text"] = "two lines\rin one post"  # a quoted line break inside a field
    path = _write_csv(tmp_path / "mac.csv", rows, newline="\r")
    summary = _score(path, tmp_path / "out", capsys)
    assert (summary["rows_scored"], summary["rows_quarantined"]) == (40, 0)
    posts = pd.read_parquet(tmp_path / "out" / "posts.parquet")
    assert posts["line"].tolist()[:7] == [2, 3, 4, 5, 6, 7, 9]  # line 7 spans two lines
    assert posts["text"].iat[5] == "two lines\nin one post"
    assert summary["lines_read"] == 41 and summary["lines_scored"] == 41


def test_cr_only_lines_with_excels_sep_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"sep=;\rid;text;created_at\r1;power out;2019-01-19T10:00:00Z\r")
    summary = _score(path, tmp_path / "out", capsys)
    assert summary["rows_scored"] == 1


# 4. X API v2 pages ------------------------------------------------------------------------


def _pages(n_pages: int, per_page: int) -> list[dict]:
    rows = _rows(n_pages * per_page, [f"2019-01-19T10:{i % 60:02d}:00.000Z" for i in range(999)])
    posts = [
        {"id": r["id"], "text": r["text"], "created_at": r["created_at"], "author_id": r["author"]}
        for r in rows
    ]
    return [
        {
            "data": posts[p * per_page : (p + 1) * per_page],
            "includes": {"users": [{"id": "1", "username": "someone"}]},
            "meta": {"result_count": per_page, "next_token": f"t{p}"},
        }
        for p in range(n_pages)
    ]


@pytest.mark.parametrize("layout", ["jsonl", "array"])
def test_twarc2_pages_are_read_as_one_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    pages = _pages(3, 20)
    path = tmp_path / f"v2.{'jsonl' if layout == 'jsonl' else 'json'}"
    if layout == "jsonl":
        path.write_text("".join(json.dumps(page) + "\n" for page in pages))
    else:
        path.write_text(json.dumps(pages))
    summary = _score(path, tmp_path / "out", capsys)
    assert (summary["rows_scored"], summary["rows_quarantined"]) == (60, 0)
    posts = pd.read_parquet(tmp_path / "out" / "posts.parquet")
    assert posts["line"].tolist() == list(range(1, 61))  # records numbered on across pages
    assert posts["id"].tolist() == [d["id"] for page in pages for d in page["data"]]
    assert posts["author"].notna().all()


# 5. A stray quote elsewhere -------------------------------------------------------------


def test_a_stray_quote_does_not_quarantine_a_long_post(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows(5, [f"2019-01-19T10:0{i}:00Z" for i in range(5)])
    rows[2]["text"] = "my power is out " * 20_000  # 320 KB, over csv's 128 KiB field limit
    path = _write_csv(tmp_path / "long.csv", rows)
    with path.open("a") as handle:
        handle.write('999,someone,"stray quote here power out,2019-01-19T23:00:00Z\n')
        handle.write("1000,someone2,a normal post,2019-01-19T23:01:00Z\n")
    summary = _score(path, tmp_path / "out", capsys)
    assert (summary["rows_scored"], summary["rows_quarantined"]) == (6, 1)
    quarantine = pd.read_csv(tmp_path / "out" / "quarantine.csv")
    assert quarantine["line"].tolist() == [7]
    assert quarantine["reason"].iat[0].startswith("unterminated quoted field")


# 6. A zero-filled tail --------------------------------------------------------------------


@pytest.mark.parametrize("n", [40, 1500])
def test_a_zero_filled_tail_keeps_the_rows_whatever_the_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], n: int
) -> None:
    path = _write_csv(tmp_path / "crash.csv", _rows(n, ["2019-01-19T10:00:00Z"] * n))
    with path.open("ab") as handle:
        handle.write(b"\x00" * 4096)
    summary = _score(path, tmp_path / "out", capsys)
    assert (summary["rows_scored"], summary["rows_quarantined"]) == (n, 1)
    quarantine = pd.read_csv(tmp_path / "out" / "quarantine.csv")
    assert quarantine["line"].tolist() == [n + 2]


# 7. A truncated JSON array ----------------------------------------------------------------


def _records(n: int) -> list[dict[str, str]]:
    return _rows(n, [f"2019-01-19T10:{i % 60:02d}:00Z" for i in range(n)])


def test_a_truncated_json_array_keeps_its_complete_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps(_records(300))
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index('"id": "1000000000151"') + 12])  # cut in record 152
    summary = _score(path, tmp_path / "out", capsys)
    assert (summary["rows_scored"], summary["rows_quarantined"]) == (151, 1)
    quarantine = pd.read_csv(tmp_path / "out" / "quarantine.csv")
    assert quarantine["line"].tolist() == [152]
    assert (
        quarantine["reason"]
        .iat[0]
        .startswith("truncated JSON: the file ends inside record 152 (line 1)")
    )
    assert any("truncated JSON" in w for w in summary["warnings"])


def test_a_json_array_cut_in_its_first_record_is_refused_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(_records(3))[:40])
    with pytest.raises(DataError, match="no record before it is complete, so none was read"):
        list(read_posts(path))


def test_a_json_array_broken_part_way_says_how_many_records_were_complete(
    tmp_path: Path,
) -> None:
    records = [json.dumps(r) for r in _records(3)]
    path = tmp_path / "broken.json"
    path.write_text("[\n" + ",\n".join(records[:2]) + ",\n" + records[2][:-1] + ' "x"},\n{}]\n')
    with pytest.raises(DataError, match="the 2 records before it are complete"):
        list(read_posts(path))
