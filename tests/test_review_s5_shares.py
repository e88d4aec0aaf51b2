"""Review of the Dask engine's CSV byte ranges: a CSV file read in shares (the in-process
path of the workers) gives exactly what one reader of the whole file gives (posts,
quarantine.csv, duplicates.csv, line accounting), for adversarial files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detector.ingest import ColumnMapping, read_posts
from detector.ingest.shares import (
    ShareReport,
    align_shares,
    first_authors,
    first_origins,
    for_share,
    merged_run,
    plan_inputs,
    plan_shares,
    read_share,
    record_keys,
    whole_files,
)


def _in_shares(path: Path, dedupe: str, split: int, chunksize: int, out: Path) -> dict:
    """The outputs of *path* read in byte ranges of *split* bytes, as the Dask engine
    reads them (files with an inexact range read whole)."""
    plans, hints = plan_inputs([path], ColumnMapping())
    shares = align_shares(plan_shares(plans, split_bytes=split), plans)
    keys = [record_keys(s, dedupe, chunksize=chunksize) for s in shares]
    inexact = {s.file for s, k in zip(shares, keys, strict=True) if not k.exact}
    if inexact:
        shares, was = whole_files(shares, inexact, plans)
        keys = [
            keys[i] if i is not None else record_keys(s, dedupe, chunksize=chunksize)
            for s, i in zip(shares, was, strict=True)
        ]
    nexts = [
        b.first_origin if b.file == a.file else None
        for a, b in zip(shares, [*shares[1:], shares[0]], strict=True)
    ]
    nexts[-1] = None
    found = [first_origins([k.dedupe_bucket(b, 2) for k in keys]) for b in range(2)]
    dups = [[for_share(f, s, nexts[i]) for f in found] for i, s in enumerate(shares)]
    dropped = [np.concatenate([d["origin"] for d in parts]) for parts in dups]
    authors = [
        first_authors([k.repost_bucket(b, 2, dropped[i]) for i, k in enumerate(keys)])
        for b in range(2)
    ]
    frames, reports, quarantine, duplicates = [], [], [], []
    for i, share in enumerate(shares):
        q, d = out / f"part-q{i}.csv", out / f"part-d{i}.csv"
        run = read_share(
            share,
            [info.name for info, _ in plans],
            dedupe,
            np.concatenate(dups[i]),
            np.concatenate([for_share(a, share, nexts[i]) for a in authors]),
            chunksize=chunksize,
            quarantine_path=str(q),
            duplicates_path=str(d),
        )
        frames.extend(run)
        reports.append(ShareReport.of(share, run))
        quarantine.append(pd.read_csv(q, dtype=str, keep_default_na=False))
        duplicates.append(pd.read_csv(d, dtype=str, keep_default_na=False))
    run = merged_run(plans, hints, reports, chunksize=chunksize, dedupe=dedupe, tz=None)
    return {
        "ranged": len(shares) > 1,
        "posts": pd.concat(frames, ignore_index=True) if frames else None,
        "quarantine": pd.concat(quarantine, ignore_index=True),
        "duplicates": pd.concat(duplicates, ignore_index=True),
        "stats": run.stats,
        "lines": [s.lines for s in run.sources],
        "warnings": run.warnings(),
    }


def _whole(path: Path, dedupe: str, chunksize: int, out: Path) -> dict:
    q, d = out / "quarantine.csv", out / "duplicates.csv"
    run = read_posts(
        [path], chunksize=chunksize, dedupe=dedupe, quarantine_path=q, duplicates_path=d
    )
    frames = list(run)
    return {
        "posts": pd.concat(frames, ignore_index=True) if frames else None,
        "quarantine": pd.read_csv(q, dtype=str, keep_default_na=False),
        "duplicates": pd.read_csv(d, dtype=str, keep_default_na=False),
        "stats": run.stats,
        "lines": [s.lines for s in run.sources],
        "warnings": run.warnings(),
    }


def _same(
    tmp_path: Path,
    data: bytes,
    *,
    split: int,
    chunksize: int = 20,
    dedupe: str = "id",
    name: str = "x.csv",
) -> dict:
    path = tmp_path / name
    path.write_bytes(data)
    one = _whole(path, dedupe, chunksize, tmp_path)
    got = _in_shares(path, dedupe, split, chunksize, tmp_path)
    if one["posts"] is None or got["posts"] is None:
        assert one["posts"] is None or not len(one["posts"])
        assert got["posts"] is None or not len(got["posts"])
    else:
        pd.testing.assert_frame_equal(got["posts"], one["posts"])
    for key in ("quarantine", "duplicates"):
        pd.testing.assert_frame_equal(got[key], one[key], obj=key)
    for key in ("stats", "lines", "warnings"):
        assert got[key] == one[key], key
    return got


HEADER = "id,text,created_at\n"


def _row(i: int, text: str = "") -> str:
    return f"{i % 7},{text or f'outlook down {i}'},2024-05-01T10:{i % 60:02d}:00Z\n"


def test_blank_lines_before_the_header_with_cuts_among_them(tmp_path: Path) -> None:
    """A cut that falls in the blank lines before the header: the range after it must not
    take the header for a record, nor the range before it fail to find a header."""
    data = "\n" * 40 + HEADER + "".join(_row(i) for i in range(30))
    got = _same(tmp_path, data.encode(), split=16)
    assert got["ranged"]


def test_stray_quote_in_an_unquoted_field_before_a_quoted_one(tmp_path: Path) -> None:
    """A quote inside an unquoted field (5" screen) is a literal character, so counting
    quotes puts the next cuts inside a quoted field: the ranges must notice."""
    rows = [_row(i) for i in range(12)]
    rows[2] = _row(2, 'stray 5" screen')
    rows[6] = _row(6, '"b ""q""\nc,d\nc,d\nb ""q"""')
    rows[9] = _row(9, '"broken quote')
    _same(tmp_path, (HEADER + "".join(rows)).encode(), split=50)


def test_quarantine_in_line_order_whatever_the_cuts(tmp_path: Path) -> None:
    """A row with a wrong field count after a row with a bad time in one chunk: the
    quarantine lists them in the same order however the file is cut."""
    rows = [_row(i) for i in range(20)]
    rows[5] = "5,bad time,notatime\n"
    rows[8] = "8,only two\n"
    rows[12] = "12,too,many,fields\n"
    rows[13] = '2,"",2024-05-01T10:55:00Z\n'
    got = _same(tmp_path, (HEADER + "".join(rows)).encode(), split=60)
    assert got["ranged"]
    assert got["quarantine"]["line"].tolist() == ["7", "10", "14", "15"]


def test_ranges_equal_a_whole_file_read_on_the_slow_path(tmp_path: Path) -> None:
    """Over 20,000 lines of multi-line records in one piece send the whole-file reader to
    its slow path, while the smaller ranges stay on the fast one: both must read a line of
    spaces (blank) and a short CRLF row (raw text without the carriage return) alike."""
    rows = [f'{i},"outlook\r\ndown {i}",2024-05-01T10:{i % 60:02d}:00Z\r\n' for i in range(12_000)]
    rows[5_000] = "   \r\n"
    rows[5_001] = "7,only two\r\n"
    data = (HEADER.replace("\n", "\r\n") + "".join(rows)).encode()
    got = _same(tmp_path, data, split=150_000, chunksize=200_000, dedupe="none")
    assert got["ranged"]
    assert got["quarantine"][["line", "raw"]].values.tolist() == [["10003", "7,only two"]]


def test_bare_carriage_return_beside_a_multiline_record(tmp_path: Path) -> None:
    """A bare CR splits a record in two for pyarrow and a quoted newline joins two lines:
    together the counts match, which must not pass for one record per line."""
    path = tmp_path / "a.csv"
    path.write_bytes(
        HEADER.encode()
        + b'1,"two\nlines",2024-05-01T10:00:00Z\n2,bare\rcr,2024-05-01T10:01:00Z\n'
        + b"3,after,2024-05-01T10:02:00Z\n"
    )
    run = read_posts([path])
    posts = pd.concat(list(run))
    assert posts[["id", "line"]].values.tolist() == [["1", 2], ["3", 5]]
    assert run.quarantine[["line", "reason"]].values.tolist() == [
        [4, "malformed CSV: carriage return inside an unquoted field"]
    ]


_LINE = st.sampled_from(
    [
        "{i},outlook down {i},{t}",
        '{i},"multi\nline ""quoted"", text\n\nend",{t}',
        '{i},"\n\n",{t}',
        "",
        "   ",
        "{i},only two",
        '{i},"broken quote,{t}',
        "{i},bare\rcr,{t}",
        '{i},stray 5" quote,{t}',
        "{i},bad time,notatime",
        '{i},"quoted"trailing,{t}',
        "{i},,{t}",
        '{i},"a, b",{t}',
        '{i},"' + "x" * 300 + "\n" + "y" * 300 + '",{t}',
    ]
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(st.tuples(_LINE, st.integers(0, 5), st.integers(0, 59)), max_size=25),
    crlf=st.booleans(),
    tsv=st.booleans(),
    bom=st.booleans(),
    blank_head=st.integers(0, 2),
    final_newline=st.booleans(),
    split=st.sampled_from([9, 23, 57, 160]),
    chunksize=st.sampled_from([1, 4, 50]),
    dedupe=st.sampled_from(["id", "text", "none"]),
)
def test_any_csv_reads_the_same_in_shares(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[tuple[str, int, int]],
    crlf: bool,
    tsv: bool,
    bom: bool,
    blank_head: int,
    final_newline: bool,
    split: int,
    chunksize: int,
    dedupe: str,
) -> None:
    rows = [form.format(i=i, t=f"2024-05-01T10:{minute:02d}:00Z") for form, i, minute in lines]
    text = "\n" * blank_head + HEADER + "\n".join(rows) + ("\n" if final_newline else "")
    if tsv:
        text = text.replace(",", "\t")
    if crlf:
        text = text.replace("\n", "\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    _same(
        tmp_path_factory.mktemp("csv"),
        data,
        split=split,
        chunksize=chunksize,
        dedupe=dedupe,
        name="x.tsv" if tsv else "x.csv",
    )
