"""The local process pool and the Dask engine give the same results as one process."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from detector.batch.pipeline import ScoreOptions, score
from detector.paths import project_path

SAMPLE = project_path("data", "samples", "exchange-outage.csv")


def _outputs(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict]:
    posts = pd.read_parquet(out / "posts.parquet").drop(columns=["author"])
    series = pd.read_csv(out / "series.csv")
    incidents = json.loads((out / "incidents.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    for key in ("seconds", "engine"):
        summary.pop(key)
    return posts, series, incidents, summary


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    out = tmp_path_factory.mktemp("single")
    score(ScoreOptions(inputs=[SAMPLE], out=out, workers=1, chunksize=4000))
    return _outputs(out)


def _assert_same(a: tuple, b: tuple) -> None:
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[2] == b[2]
    assert a[3] == b[3]


def test_process_pool_equals_single_process(tmp_path: Path, single: tuple) -> None:
    score(ScoreOptions(inputs=[SAMPLE], out=tmp_path, workers=2, chunksize=4000))
    _assert_same(single, _outputs(tmp_path))


@pytest.mark.slow
def test_dask_engine_equals_local(tmp_path: Path, single: tuple) -> None:
    pytest.importorskip("dask.distributed")
    score(ScoreOptions(inputs=[SAMPLE], out=tmp_path, engine="dask", workers=2, chunksize=4000))
    _assert_same(single, _outputs(tmp_path))
