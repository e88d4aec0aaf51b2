"""A fast model read without scikit-learn (detector.text.compact) predicts exactly as the
full load does, refuses what it does not know (the full load then decides), and keeps
scikit-learn and skops out of the processes that only score."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.errors import ModelError
from detector.text.classifier import OutageClassifier
from detector.text.compact import CompactClassifier, read_compact
from detector.text.modelstore import MODEL_FILE, check_model, load_model, save_model

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def texts(repo_root: Path) -> list[str]:
    seed = pd.read_csv(repo_root / "data/seed_posts.csv", keep_default_na=False).text.tolist()
    sample = pd.read_csv(repo_root / "data/samples/exchange-outage.csv", keep_default_na=False)
    simulated = sample.text.astype(str).tolist()[:3000]
    odd = ["", " ", "İnternet yok", "🔥🔥 down?", "a" * 3000, "can't log in!!! #outlook @Microsoft"]
    return seed + simulated + odd


def assert_same_columns(full: dict, compact: dict) -> None:
    assert list(full) == list(compact)
    for name in full:
        a, b = full[name], compact[name]
        assert a.dtype == b.dtype, name
        if a.dtype == object:
            assert pd.Series(a).fillna("<none>").tolist() == pd.Series(b).fillna("<none>").tolist()
        else:
            np.testing.assert_array_equal(a, b)  # bit for bit, not approximately


@pytest.mark.parametrize("name", ["outage-v1", "outage-v2"])
def test_shipped_fast_models_predict_the_same_read_either_way(name: str, texts: list[str]) -> None:
    full = load_model(name)
    compact = load_model(name, compact=True)
    assert isinstance(compact.estimator, CompactClassifier)
    assert type(full.estimator) is OutageClassifier
    assert_same_columns(
        full.estimator.predict_columns(texts), compact.estimator.predict_columns(texts)
    )
    # a few posts take the per-post path (under 64), which must agree too
    assert_same_columns(
        full.estimator.predict_columns(texts[:9]), compact.estimator.predict_columns(texts[:9])
    )
    pd.testing.assert_frame_equal(
        full.predict_posts(texts[:200]), compact.predict_posts(texts[:200])
    )
    assert compact.threshold == full.threshold


def test_a_binary_model_without_symptoms_reads_compact_too(
    tmp_path: Path, texts: list[str]
) -> None:
    frame = pd.read_csv(REPO / "data/seed_posts.csv", keep_default_na=False)
    labels = np.where(frame.label == "outage", "yes", "no")
    estimator = OutageClassifier(
        positive_label="yes", calibration_folds=2, lexicon_weight=0.5, length_weight=0.3
    ).fit(frame.text.tolist(), labels)
    save_model(estimator, tmp_path / "binary", {"name": "binary"})
    model = load_model(tmp_path / "binary", compact=True)
    assert isinstance(model.estimator, CompactClassifier)
    assert model.estimator.symptom_model_ is None
    assert_same_columns(estimator.predict_columns(texts), model.estimator.predict_columns(texts))
    assert check_model(tmp_path / "binary").compact


def test_the_tiered_model_and_plain_features_are_loaded_the_full_way(tmp_path: Path) -> None:
    assert not check_model("outage-v2-tier").compact
    assert read_compact((REPO / "models/outage-v2-tier" / MODEL_FILE).read_bytes()) is None
    frame = pd.read_csv(REPO / "data/seed_posts.csv", keep_default_na=False).head(300)
    plain = OutageClassifier(features="plain", calibration_folds=2, min_df=1)
    save_model(plain.fit(frame.text.tolist(), frame.label.tolist()), tmp_path / "plain", {})
    assert not check_model(tmp_path / "plain").compact
    model = load_model(tmp_path / "plain", compact=True)  # falls back: still predicts
    assert type(model.estimator) is OutageClassifier
    assert len(model.predict_posts(["is outlook down?"])) == 1


def _rewrite_schema(source: Path, target: Path, edit) -> bytes:
    with zipfile.ZipFile(source) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(files["schema.json"])
    edit(schema)
    files["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return target.read_bytes()


def test_anything_but_plain_data_and_the_three_classes_is_left_to_the_full_load(
    tmp_path: Path,
) -> None:
    source = REPO / "models/outage-v2" / MODEL_FILE
    assert read_compact(source.read_bytes()) is not None

    def foreign_class(schema: dict) -> None:
        schema["content"]["content"]["model_"]["__module__"] = "os"
        schema["content"]["content"]["model_"]["__class__"] = "system"

    def unknown_node(schema: dict) -> None:
        schema["content"]["content"]["threshold_"]["__loader__"] = "FunctionNode"

    def newer_protocol(schema: dict) -> None:
        schema["protocol"] = 99

    def missing_attribute(schema: dict) -> None:
        del schema["content"]["content"]["calibration_"]

    for edit in (foreign_class, unknown_node, newer_protocol, missing_attribute):
        data = _rewrite_schema(source, tmp_path / f"{edit.__name__}.skops", edit)
        assert read_compact(data) is None, edit.__name__
        assert read_compact(data, arrays=False) is None, edit.__name__
    assert read_compact(b"not a zip") is None


def test_an_untrusted_type_is_still_refused_when_scoring(tmp_path: Path) -> None:
    class Gadget:
        pass

    estimator = OutageClassifier()
    estimator.smuggled_ = Gadget()
    save_model(estimator, tmp_path / "evil", {"name": "evil"}, check=False)
    with pytest.raises(ModelError, match=r"outside the trusted list: .*Gadget"):
        load_model(tmp_path / "evil", compact=True)


SCRIPT = """
import sys
from pathlib import Path
from detector.batch.chunks import ScorerSpec
from detector.batch.engine_local import ScoringPool
from detector.ingest import ColumnMapping, read_posts
from detector.text.modelstore import check_model

HEAVY = "sorted({m.split('.')[0] for m in __import__('sys').modules} & {'sklearn', 'skops'})"

if __name__ == "__main__":
    model = check_model(sys.argv[1])
    spec = ScorerSpec(model=str(model.path), compact=model.compact)
    sample = Path(sys.argv[2])
    chunks = list(read_posts([sample], ColumnMapping(), chunksize=1500))
    here = spec.build()
    here(chunks[0])
    print("here", sorted({m.split('.')[0] for m in sys.modules} & {"sklearn", "skops"}))
    with ScoringPool(spec, workers=2, eager=True) as pool:
        scored = [s for s, _ in pool.score(chunks)]
        print("workers", pool.map(eval, [HEAVY, HEAVY]))
    print("posts", sum(len(s) for s in scored))
"""


def test_scoring_with_a_fast_model_imports_neither_scikit_learn_nor_skops(tmp_path: Path) -> None:
    """In this process and in the pool's workers, forked from a server that preloads only
    what the model needs (a tiered model, not compact, still loads the full way: above)."""
    model, heavy = "outage-v2", "[]"
    script = tmp_path / "score_here.py"
    script.write_text(SCRIPT)
    sample = REPO / "data/samples/exchange-outage.csv"
    done = subprocess.run(
        [sys.executable, str(script), model, str(sample)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"here {heavy}"
    assert lines[1] == f"workers [{heavy}, {heavy}]"
    assert lines[2].startswith("posts ") and int(lines[2].split()[1]) > 3000
