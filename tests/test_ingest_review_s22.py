"""Review of session 22's ingest changes (reviewer-diff findings 1-4 and 6): each test
failed on the code before its fix.

1. Pages of an API's answer without posts (an empty result, ``{"errors": [...]}``) are
   skipped, with a warning, in twarc2's JSON Lines and in a JSON array of pages.
2. A JSON file cut in a page's metadata, after its last post, invents no record.
3. Dask shares read the day and month order one reader of the whole file would.
4. One test tells a page from a post, for sniffing and for the JSON readers.
6. The date order scan reads only the first rows when they show the order, and
   nothing for dotted dates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from detector.ingest import read_posts
from detector.ingest.columns import resolve_columns
from detector.ingest.csvfile import CsvReader
from detector.ingest.dateorder import scan_date_order
from detector.ingest.formats import sniff
from detector.ingest.jsonfile import JsonArrayReader
from detector.ingest.raw import RawChunk
from tests.support import engine_outputs, score_local_and_dask


def _posts(first: int, n: int) -> list[dict[str, str]]:
    return [
        {
            "id": str(1000 + i),
            "text": f"gmail is down again {i}",
            "created_at": f"2023-03-01T10:{i:02d}:00.000Z",
            "author_id": str(i),
        }
        for i in range(first, first + n)
    ]


def _page(first: int, n: int) -> dict[str, object]:
    return {
        "data": _posts(first, n),
        "includes": {"users": [{"id": str(i), "username": f"u{i}"} for i in range(n)]},
        "meta": {"result_count": n, "next_token": "abc"},
        "__twarc": {"url": "https://api.twitter.com/2/tweets/search/recent", "version": "2"},
    }


ERRORS = {"errors": [{"value": "123", "detail": "Could not find tweet with ids: [123]."}]}
EMPTY = {"meta": {"result_count": 0}}


def _read(path: Path) -> tuple[pd.DataFrame, object]:
    run = read_posts(path)
    frames = list(run)
    return pd.concat(frames), run


# 1. Pages without posts -------------------------------------------------------------


@pytest.mark.parametrize(
    "pages",
    [
        [_page(0, 3), EMPTY, _page(3, 3)],
        [_page(0, 3), ERRORS, _page(3, 3)],
        [ERRORS, _page(0, 3), _page(3, 3)],  # the first line holds no post
        [EMPTY, ERRORS, _page(0, 3), EMPTY, _page(3, 3), EMPTY],
    ],
)
@pytest.mark.parametrize("layout", ["jsonl", "json"])
def test_pages_without_posts_are_skipped_with_a_warning(
    tmp_path: Path, pages: list[dict[str, object]], layout: str
) -> None:
    path = tmp_path / f"twarc.{layout}"
    if layout == "jsonl":  # twarc2's JSON Lines: one page per line
        path.write_text("".join(json.dumps(p) + "\n" for p in pages))
    else:  # the same pages saved as a JSON array
        path.write_text(json.dumps(pages))
    posts, run = _read(path)
    assert posts["id"].tolist() == [str(1000 + i) for i in range(6)]
    assert run.stats.rows_read == 6 and run.stats.rows_quarantined == 0  # type: ignore[attr-defined]
    skipped = sum(1 for p in pages if "data" not in p)
    [warning] = run.warnings()  # type: ignore[attr-defined]
    assert f"{skipped} page{'s' * (skipped > 1)} of an API's answer without posts" in warning
    assert run.lines.balanced  # type: ignore[attr-defined]


# 2. A JSON file cut in a page's metadata ----------------------------------------------


@pytest.mark.parametrize("cut", [12, 40])
def test_a_json_file_cut_after_its_last_post_invents_no_record(tmp_path: Path, cut: int) -> None:
    text = json.dumps({"data": _posts(0, 5), "meta": {"result_count": 5, "next_token": "a" * 30}})
    path = tmp_path / "cut.json"
    path.write_text(text[:-cut])  # inside meta: every post is whole
    posts, run = _read(path)
    assert len(posts) == 5
    assert run.stats.rows_read == 5 and run.stats.rows_quarantined == 0  # type: ignore[attr-defined]
    [warning] = run.warnings()  # type: ignore[attr-defined]
    assert "the file ends after record 5 (in its metadata" in warning


def test_twarc2_lines_cut_in_a_later_pages_metadata(tmp_path: Path) -> None:
    text = json.dumps(_page(0, 3)) + "\n" + json.dumps(_page(3, 3))
    path = tmp_path / "twarc.jsonl"
    path.write_text(text[:-20])  # in the second page's __twarc, after its posts
    posts, run = _read(path)
    assert len(posts) == 6 and run.stats.rows_quarantined == 0  # type: ignore[attr-defined]
    assert any("ends after record 6 (in its metadata" in w for w in run.warnings())  # type: ignore[attr-defined]


# 3. Dask shares and the date order ----------------------------------------------------


@pytest.mark.slow
def test_dask_shares_after_the_deciding_share_read_its_order(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    # the first rows hold ISO times (planning scans nothing), then a date only day
    # first reads (line 1,202), then dates that fit both orders in later shares
    n = 3000
    dates = [f"2015-02-01T10:{i % 60:02d}:00Z" for i in range(1200)]
    dates += ["13/02/2015 10:00"]
    dates += [f"{1 + i % 12:02d}/03/2015 {i % 24:02d}:{i % 60:02d}" for i in range(n - 1201)]
    rows = ["id,author,text,created_at"]
    rows += [f"{10**12 + i},user{i % 97},power is out #{i},{d}" for i, d in enumerate(dates)]
    path = tmp_path / "uk.csv"
    path.write_text("\n".join(rows) + "\n")
    score_local_and_dask(tmp_path, {"inputs": [path], "keep_authors": True}, split_bytes=20_000)
    local = engine_outputs(tmp_path / "local", ())
    dask = engine_outputs(tmp_path / "dask", ())
    months = local["posts"]["created_at"].dt.month.value_counts().to_dict()
    assert months == {2: 1201, 3: n - 1201}  # 01/03-12/03 read day first: March
    pd.testing.assert_frame_equal(local["posts"], dask["posts"])
    assert local["summary"] == dask["summary"]


# 4. One test of a page ----------------------------------------------------------------


def test_one_page_test_for_sniffing_and_reading(tmp_path: Path) -> None:
    from detector.ingest.formats import page_key  # the one test (jsonfile had its own)

    # an object with a time of its own is a post, whatever it holds under "data"
    post = {"created_at": "2023-03-01T10:00:00Z", "data": [{"id": "1"}], "id": "9"}
    assert page_key(post) is None
    lines = tmp_path / "posts.jsonl"
    lines.write_text(json.dumps(post) + "\n" + json.dumps(post) + "\n")
    assert sniff(lines).format == "jsonl"  # a page to sniffing before
    # a list of things that are not posts is no page
    array = tmp_path / "array.json"
    array.write_text(json.dumps([{"data": [1, 2]}, {"data": [3]}]))
    chunks = list(JsonArrayReader(sniff(array), 100).chunks())
    assert sum(len(c.frame) for c in chunks) == 2 and not any(c.bad for c in chunks)
    assert page_key({"data": [{"id": "1"}], "meta": {}}) == "data"


# 6. The date order scan reads only what it needs --------------------------------------


def _scan(tmp_path: Path, dates: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[object, int]:
    """The scan's decision over a CSV file of *dates*, and the rows it read."""
    path = tmp_path / "dates.csv"
    rows = [f"{i},power out,{d}" for i, d in enumerate(dates)]
    path.write_text("id,text,date\n" + "\n".join(rows) + "\n")
    cols = resolve_columns(["id", "text", "date"], None, path.name)
    sample = pd.DataFrame({"date": dates[:200]})
    read = [0]
    chunks = CsvReader.chunks

    def counting(self: CsvReader, usecols: list[str]) -> Iterator[RawChunk]:
        for raw in chunks(self, usecols):
            read[0] += len(raw.frame)
            yield raw

    monkeypatch.setattr(CsvReader, "chunks", counting)
    return scan_date_order(CsvReader(sniff(path), 20_000), cols, sample), read[0]


def test_the_scan_reads_only_the_first_rows_when_they_show_the_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dates = [f"{1 + i % 12:02d}/03/2015" for i in range(200_000)]
    dates[5] = "13/03/2015"
    shown, rows = _scan(tmp_path, dates, monkeypatch)
    assert shown.describe() == "day first ('13/03/2015' on line 7)"  # type: ignore[attr-defined]
    assert rows < 5000  # its first block of 4 MiB (all 200,000 rows) before


def test_the_scan_reads_nothing_for_dotted_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dates = [f"{1 + i % 12:02d}.03.2015" for i in range(5000)]
    shown, rows = _scan(tmp_path, dates, monkeypatch)
    assert shown is None and rows == 0
