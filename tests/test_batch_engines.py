"""The local process pool and the Dask engine give the same results as one process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from detector.batch.pipeline import ScoreOptions, score
from detector.paths import project_path

CSV_SAMPLE = project_path("data", "samples", "exchange-outage.csv")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Exchange sample as Parquet: read in chunks of ``chunksize`` rows (the CSV
    reader reads whole blocks, so the small CSV would be one chunk and never reach the
    process pool)."""
    path = tmp_path_factory.mktemp("sample") / "exchange-outage.parquet"
    pd.read_csv(CSV_SAMPLE, dtype=str).to_parquet(path)
    return path


def _outputs(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict]:
    posts = pd.read_parquet(out / "posts.parquet").drop(columns=["author"])
    series = pd.read_csv(out / "series.csv")
    incidents = json.loads((out / "incidents.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    for key in ("seconds", "engine"):
        summary.pop(key)
    return posts, series, incidents, summary


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory, sample: Path) -> tuple:
    out = tmp_path_factory.mktemp("single")
    score(ScoreOptions(inputs=[sample], out=out, workers=1, chunksize=4000))
    return _outputs(out)


def _assert_same(a: tuple, b: tuple) -> None:
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[2] == b[2]
    assert a[3] == b[3]


@pytest.mark.parametrize("eager", [False, True], ids=["pool-on-second-chunk", "pool-first"])
def test_process_pool_equals_single_process(
    tmp_path: Path, sample: Path, single: tuple, eager: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pooled scoring, and the services judged and enriched on the pool's workers, equal
    one process; whether the workers start before reading (large inputs) or on the second
    chunk."""
    from detector.batch import pipeline
    from detector.batch.engine_local import ScoringPool
    from detector.ingest import ColumnMapping, read_posts

    assert len(list(read_posts([sample], ColumnMapping(), chunksize=4000))) == 6  # pooled
    monkeypatch.setattr(pipeline, "EAGER_POOL_BYTES", 0 if eager else 1 << 40)
    on_workers: list[bool] = []
    pool_imap = ScoringPool.imap

    def spying_imap(self: ScoringPool, function: Any, items: Any) -> Any:
        on_workers.append(self._executor is not None)
        return pool_imap(self, function, items)

    monkeypatch.setattr(ScoringPool, "imap", spying_imap)
    score(ScoreOptions(inputs=[sample], out=tmp_path, workers=2, chunksize=4000))
    # the services were judged, then their incidents enriched, on the worker processes
    assert on_workers == [True, True]
    _assert_same(single, _outputs(tmp_path))


@pytest.mark.slow
def test_dask_engine_equals_local(tmp_path: Path, sample: Path, single: tuple) -> None:
    pytest.importorskip("dask.distributed")
    score(ScoreOptions(inputs=[sample], out=tmp_path, engine="dask", workers=2, chunksize=4000))
    _assert_same(single, _outputs(tmp_path))


def test_pool_workers_use_the_model_this_run_resolved(
    tmp_path: Path, sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pool workers fork from a server the first run started, with that run's
    environment; a later run's default model (here from $OUTAGE_DETECTOR_MODELS) still
    reaches its workers, because they are handed the resolved model directory."""
    import shutil

    score(ScoreOptions(inputs=[sample], out=tmp_path / "first", workers=2, chunksize=4000))
    registry = tmp_path / "models"
    shutil.copytree(project_path("models", "outage-v1"), registry / "outage-v1")
    (registry / "DEFAULT").write_text("outage-v1\n")
    monkeypatch.setenv("OUTAGE_DETECTOR_MODELS", str(registry))
    for workers in (2, 1):
        out = tmp_path / f"v1-{workers}"
        score(ScoreOptions(inputs=[sample], out=out, workers=workers, chunksize=4000))
    pool, alone = (pd.read_parquet(tmp_path / f"v1-{w}" / "posts.parquet") for w in (2, 1))
    pd.testing.assert_series_equal(pool["outage_prob"], alone["outage_prob"])
    first = pd.read_parquet(tmp_path / "first" / "posts.parquet")
    assert not first["outage_prob"].equals(pool["outage_prob"])  # v2 before, v1 now
    assert json.loads((tmp_path / "v1-2" / "summary.json").read_text())["model"] == "outage-v1"


@pytest.mark.parametrize("eager", [False, True], ids=["pool-on-second-chunk", "pool-first"])
def test_a_model_the_workers_refuse_fails_with_its_own_error(
    tmp_path: Path, sample: Path, eager: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main process only checks the model's hash; the workers check its types when
    they load it, and their refusal reaches the caller as the ModelError (exit 65), not
    as a broken process pool, also when they load it before the first chunk."""
    import shutil
    import zipfile

    from detector.batch import pipeline

    monkeypatch.setattr(pipeline, "EAGER_POOL_BYTES", 0 if eager else 1 << 40)

    from detector.errors import ModelError
    from detector.text.modelstore import sha256_of

    model = tmp_path / "crafted"
    shutil.copytree(project_path("models", "outage-v2"), model)
    path = model / "model.skops"
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(files["schema.json"])
    schema["content"]["content"]["smuggled_"] = {
        "__class__": "system",
        "__module__": "posix",
        "__loader__": "FunctionNode",
    }
    files["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    card = json.loads((model / "card.json").read_text())
    card["model_sha256"] = sha256_of(path)
    (model / "card.json").write_text(json.dumps(card))
    options = ScoreOptions(inputs=[sample], out=tmp_path / "out", workers=2, chunksize=4000)
    options.model = str(model)
    with pytest.raises(ModelError, match="outside the trusted list: posix.system"):
        score(options)
    assert not (tmp_path / "out").exists()  # nothing written, not even the folder
