"""The fork server the local engine's workers come from, started by ``score`` before it
imports the pipeline (:mod:`detector.batch.forkstart`)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support import run_cli

from detector.batch import forkstart, pipeline
from detector.batch.engine_local import ScoringPool
from detector.cli import score as score_cli
from detector.ingest.dedupe import DEDUPE_MODES
from detector.paths import project_path


def test_the_command_line_choices_are_the_pipelines() -> None:
    assert score_cli.ENGINES == pipeline.ENGINES
    assert score_cli.DEDUPE_MODES == DEDUPE_MODES


def test_the_command_line_imports_the_pipeline_only_when_a_command_runs() -> None:
    code = "import sys, detector.cli.score; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("model", "heavy"), [("", False), ("outage-v2-tier", True)])
def test_the_server_imports_scikit_learn_only_for_a_model_that_is_not_compact(
    model: str, heavy: bool
) -> None:
    code = (
        "import sys, detector.batch.preload_model; "
        "print('sklearn' in sys.modules, 'skops.io' in sys.modules)"
    )
    env = {**os.environ, forkstart.MODEL_ENV: model}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == [str(heavy), str(heavy)]


def test_score_starts_the_server_before_the_pipeline_and_scores_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = tmp_path / "sample.parquet"  # Parquet: read in several chunks, so pooled
    pd.read_csv(project_path("data", "samples", "exchange-outage.csv"), dtype=str).to_parquet(
        sample
    )
    started: list[dict] = []
    real_start = forkstart.start

    def spy(**kwargs: object) -> None:
        started.append(kwargs)
        real_start(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(forkstart, "start", spy)
    monkeypatch.setattr(forkstart, "EAGER_POOL_BYTES", 0)

    @dataclasses.dataclass
    class SmallChunks(pipeline.ScoreOptions):
        chunksize: int = 4000  # the sample's 21,112 rows in six chunks: pooled

    monkeypatch.setattr(pipeline, "ScoreOptions", SmallChunks)
    pools: list[int] = []
    real_executor = ScoringPool._new_executor

    def counted(self: ScoringPool) -> object:
        pools.append(self.workers)
        return real_executor(self)

    monkeypatch.setattr(ScoringPool, "_new_executor", counted)
    outs = {}
    for workers in ("2", "1"):
        out = tmp_path / f"out{workers}"
        code, _, err = run_cli(
            ["score", str(sample), "--out", str(out), "--workers", workers, "-q"], capsys
        )
        assert code == 0, err
        outs[workers] = out
    assert started == [{"model": None, "shipped_catalog": True, "workers": 2}]
    assert pools == [2]
    # the one-worker run starts no server: nothing to share
    posts = [pd.read_parquet(o / "posts.parquet").drop(columns=["author"]) for o in outs.values()]
    pd.testing.assert_frame_equal(posts[0], posts[1])
    incidents = [json.loads((o / "incidents.json").read_text()) for o in outs.values()]
    assert incidents[0] == incidents[1] and incidents[0]["incidents"]
