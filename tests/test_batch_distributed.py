"""The Dask engine reads on its workers (byte ranges, row groups, fsspec URLs) and its
outputs equal the local engine's, down to posts.parquet rows and the accounting."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import engine_outputs, score_local_and_dask

from detector.batch.pipeline import ScoreOptions, score
from detector.errors import InputMissingError, UsageError
from detector.ingest.location import expand_inputs
from detector.paths import project_path

SAMPLE = project_path("data", "samples", "exchange-outage.csv")
FILES = ("quarantine.csv", "duplicates.csv", "series.csv", "incidents.json", "incidents.csv")


def _jsonl(frame: pd.DataFrame) -> list[str]:
    return [json.dumps(r, ensure_ascii=False) for r in frame.to_dict("records")]


def _export(folder: Path) -> list[str]:
    """Five files of one export with cross-file duplicates, reposts and bad rows."""
    posts = pd.read_csv(SAMPLE, dtype=str)
    csv_part = posts.iloc[:6000].copy()
    csv_part.loc[csv_part.index[10], "text"] = None  # quarantined: missing text
    csv_text = csv_part.to_csv(index=False)
    csv_text = csv_text.replace("\n", '\n"broken,quote\n', 1)  # a broken quote on line 2
    (folder / "a.csv").write_text(csv_text)

    jsonl = posts.iloc[5000:12000]  # 1,000 ids repeat the CSV's: duplicates across files
    lines = _jsonl(jsonl)
    lines.insert(500, '{"id": "x", "text": "cut off')  # invalid JSON
    lines.insert(3000, "")  # a blank line
    repost = dict(jsonl.iloc[0])
    repost.update(id="r1", author_id="someone-else")  # same text, another author
    lines.append(json.dumps(repost))
    (folder / "b.jsonl").write_text("\n".join(lines) + "\n")

    table = pa.Table.from_pandas(posts.iloc[12000:17000], preserve_index=False)
    pq.write_table(table, folder / "c.parquet", row_group_size=1000)

    clean = posts.iloc[17000:19500].copy()  # a CSV read in byte ranges by the workers
    multi = clean.index[::7]  # quoted fields over several lines, with quotes and commas
    clean.loc[multi, "text"] = clean.loc[multi, "text"] + '\n"still", down\n\nhelp'
    (folder / "e.csv").write_text(clean.to_csv(index=False, lineterminator="\n"))

    tail = pd.concat([posts.iloc[19500:], posts.iloc[100:150]])  # more duplicates at the end
    (folder / "d.jsonl.gz").write_bytes(gzip.compress(("\n".join(_jsonl(tail)) + "\n").encode()))
    return [
        str(folder / "a.csv"),
        str(folder / "b.jsonl"),
        str(folder / "c.parquet"),
        str(folder / "e.csv"),
        (folder / "d.jsonl.gz").as_uri(),  # file:// URL, read through fsspec
    ]


def _outputs(out: Path) -> dict:
    return engine_outputs(out, FILES)


@pytest.mark.slow
def test_dask_workers_read_shares_and_equal_local(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    inputs = _export(tmp_path)
    common = dict(inputs=inputs, chunksize=1500, keep_authors=True)
    score_local_and_dask(
        tmp_path,
        common,
        split_bytes=300_000,  # b.jsonl and e.csv in several byte ranges (a.csv has a
        # broken quote: read whole)
        split_rows=2000,  # c.parquet in three shares of row groups
        progress=True,  # the bar of shares scored (drawn on stderr)
    )
    local, dask = _outputs(tmp_path / "local"), _outputs(tmp_path / "dask")
    pd.testing.assert_frame_equal(local["posts"], dask["posts"])
    for name in ("summary", *FILES):
        assert local[name] == dask[name], name
    summary = local["summary"]
    assert summary["rows_duplicate"] == 1050
    assert summary["rows_quarantined"] >= 3
    assert summary["lines_read"] == (
        summary["lines_scored"]
        + summary["lines_quarantined"]
        + summary["lines_duplicate"]
        + summary["lines_blank"]
    )
    assert local["posts"]["is_repost"].any()
    assert set(local["posts"]["source_file"]) == set(inputs)
    assert "invalid JSON" in local["quarantine.csv"]
    assert not list((tmp_path / "dask").glob(".*"))  # no staging or part files left


def test_local_engine_reads_a_memory_url(tmp_path: Path) -> None:
    fsspec = pytest.importorskip("fsspec")
    data = SAMPLE.read_bytes()
    with fsspec.open("memory://t15/posts.csv", "wb") as handle:
        handle.write(data)
    (tmp_path / "posts.csv").write_bytes(data)
    common = dict(chunksize=4000, keep_authors=True, workers=1)
    score(ScoreOptions(inputs=["memory://t15/*.csv"], out=tmp_path / "url", **common))  # type: ignore[arg-type]
    score(ScoreOptions(inputs=[tmp_path / "posts.csv"], out=tmp_path / "file", **common))  # type: ignore[arg-type]
    url, file = _outputs(tmp_path / "url"), _outputs(tmp_path / "file")
    assert set(url["posts"]["source_file"]) == {"memory:///t15/posts.csv"}
    pd.testing.assert_frame_equal(
        url["posts"].drop(columns="source_file"), file["posts"].drop(columns="source_file")
    )
    assert url["series.csv"] == file["series.csv"]
    assert url["incidents.json"] == file["incidents.json"]


def test_inputs_globs_and_missing_filesystems(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv"):
        (tmp_path / name).write_text("x")
    assert expand_inputs([str(tmp_path / "*.csv")]) == [tmp_path / "a.csv", tmp_path / "b.csv"]
    with pytest.raises(InputMissingError, match="no file matches"):
        expand_inputs([str(tmp_path / "*.jsonl")])
    with pytest.raises(UsageError, match="unknown filesystem protocol 'nope'"):
        expand_inputs(["nope://bucket/x.csv"])
    try:
        import s3fs  # noqa: F401
    except ImportError:
        with pytest.raises(UsageError, match=r"needs the s3fs package: .*outage-detector\[s3\]"):
            expand_inputs(["s3://bucket/posts-*.jsonl"])


@pytest.mark.slow
def test_dask_is_quiet_unless_verbose(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    import subprocess
    import sys

    base = [sys.executable, "-m", "detector", "score", str(SAMPLE), "--engine", "dask"]
    base += ["--workers", "1", "-q"]
    quiet = subprocess.run([*base, "--out", str(tmp_path / "q")], capture_output=True, text=True)
    assert quiet.returncode == 0, quiet.stderr
    assert "INFO" not in quiet.stderr and "dashboard" not in quiet.stderr, quiet.stderr
    loud = subprocess.run(
        [*base, "--out", str(tmp_path / "v"), "--verbose"], capture_output=True, text=True
    )
    assert loud.returncode == 0, loud.stderr
    from detector.batch.engine_dask import _has_bokeh

    if _has_bokeh():
        assert "dask dashboard: http://" in loud.stderr
    else:  # no link to a page that only says bokeh is missing
        assert "dask dashboard needs bokeh (pip install bokeh)\n" in loud.stderr
        assert "dask dashboard: http://" not in loud.stderr
    assert "INFO" in loud.stderr
