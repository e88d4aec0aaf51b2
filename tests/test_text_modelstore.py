"""Model files: safe round trip, hash check, trusted types only, the card, load_model."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.errors import InputMissingError, ModelError
from detector.text.classifier import OutageClassifier
from detector.text.modelstore import (
    CARD_FILE,
    MODEL_FILE,
    load_model,
    read_card,
    save_model,
    sha256_of,
)
from detector.text.registry import list_models, set_default

TEXTS = [
    "is outlook down??",
    "emails stuck in outbox since 2pm #ExchangeOnline",
    "refund me now, charged twice",
    "zoom meeting in 5",
    "",
]


class Gadget:
    """A type no model file may contain."""

    def __init__(self) -> None:
        self.payload = 1


@pytest.fixture(scope="module")
def estimator(repo_root) -> OutageClassifier:
    frame = pd.read_csv(repo_root / "data/seed_posts.csv", keep_default_na=False)
    frame = frame.groupby("label", group_keys=False).sample(120, random_state=5)
    return OutageClassifier(calibration_folds=2).fit(
        frame.text.tolist(), frame.label.tolist(), symptom=frame.symptom.replace("", None).tolist()
    )


@pytest.fixture()
def registry(tmp_path: Path, estimator: OutageClassifier) -> Path:
    root = tmp_path / "models"
    save_model(estimator, root / "first", {"name": "first", "cv": {"f1": 0.5}})
    save_model(estimator, root / "second", {"name": "second", "cv": {"f1": 0.7}})
    set_default("first", root)
    return root


def test_round_trip_gives_identical_predictions(registry: Path, estimator) -> None:
    model = load_model("first", root=registry)
    scored = model.predict_posts(TEXTS)
    assert list(scored.columns) == ["label", "is_outage", "outage_prob", "symptom"]
    assert len(scored) == len(TEXTS)
    columns = estimator.predict_columns(TEXTS)
    np.testing.assert_array_equal(scored.outage_prob.to_numpy(), columns["positive_prob"])
    assert scored.label.tolist() == columns["label"].tolist()
    assert scored.is_outage.dtype == bool and scored.outage_prob.dtype == np.float64
    assert scored.symptom[~scored.is_outage].isna().all()
    assert scored.label[0] == "outage" and scored.is_outage[0]


def test_predict_posts_keeps_order_of_a_series_with_any_index(registry: Path) -> None:
    model = load_model(None, root=registry)
    series = pd.Series(TEXTS, index=[10, 3, 7, 1, 0])
    scored = model.predict_posts(series)
    assert scored.index.tolist() == [0, 1, 2, 3, 4]
    assert scored.label.tolist() == model.predict_posts(TEXTS).label.tolist()


def test_card_holds_the_model_hash(registry: Path) -> None:
    card = read_card(registry / "first")
    assert card["model_file"] == MODEL_FILE
    assert card["model_sha256"] == sha256_of(registry / "first" / MODEL_FILE)
    assert card["model_bytes"] > 0


def test_tampered_model_file_is_refused(registry: Path) -> None:
    path = registry / "first" / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="fails its hash check"):
        load_model("first", root=registry)


def test_untrusted_type_is_refused_even_with_a_matching_hash(tmp_path: Path, estimator) -> None:
    import skops.io as sio

    estimator = OutageClassifier().set_params()  # unfitted copy carrying a foreign object
    estimator.smuggled_ = Gadget()
    save_model(estimator, tmp_path / "evil", {"name": "evil"}, check=False)
    assert any("Gadget" in t for t in sio.get_untrusted_types(file=tmp_path / "evil" / MODEL_FILE))
    with pytest.raises(ModelError, match=r"outside the trusted list: .*Gadget"):
        load_model(tmp_path / "evil")


def test_broken_zip_is_a_model_error(tmp_path: Path, registry: Path) -> None:
    target = tmp_path / "broken"
    target.mkdir()
    (target / MODEL_FILE).write_bytes(b"not a zip")
    card = {"model_file": MODEL_FILE, "model_sha256": sha256_of(target / MODEL_FILE)}
    (target / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="not a readable skops file"):
        load_model(target)


def test_model_file_is_a_zip_without_pickles(registry: Path) -> None:
    with zipfile.ZipFile(registry / "first" / MODEL_FILE) as archive:
        names = archive.namelist()
    assert "schema.json" in names
    assert not [n for n in names if n.endswith((".pkl", ".pickle"))]


def test_missing_model_names_what_was_looked_for(registry: Path) -> None:
    with pytest.raises(InputMissingError, match=r"no model 'nope'.*available.*first, second"):
        load_model("nope", root=registry)


def test_default_model_follows_the_default_file(registry: Path) -> None:
    assert load_model(None, root=registry).name == "first"
    set_default("second", registry)
    assert load_model(None, root=registry).name == "second"
    assert [(m.name, m.is_default, m.cv_f1) for m in list_models(registry)] == [
        ("first", False, 0.5),
        ("second", True, 0.7),
    ]


def test_no_default_model_is_input_missing(tmp_path: Path) -> None:
    with pytest.raises(InputMissingError, match=r"no default model: looked for .*default"):
        load_model(None, root=tmp_path)


def test_load_by_directory_path(registry: Path) -> None:
    model = load_model(str(registry / "second"))
    assert model.name == "second"
    assert model.card["name"] == "second"


def test_scikit_learn_types_beyond_what_train_builds_are_refused(tmp_path: Path) -> None:
    from sklearn.tree import DecisionTreeClassifier

    estimator = OutageClassifier().set_params()
    estimator.smuggled_ = DecisionTreeClassifier()
    with pytest.raises(ModelError, match=r"refuses to load: sklearn\.tree\._classes\.DecisionTree"):
        save_model(estimator, tmp_path / "wide", {"name": "wide"})  # train never writes it
    assert not (tmp_path / "wide" / MODEL_FILE).exists()
    save_model(estimator, tmp_path / "wide", {"name": "wide"}, check=False)
    with pytest.raises(
        ModelError, match=r"outside the trusted list: sklearn\.tree\._classes\.DecisionTree"
    ):
        load_model(tmp_path / "wide")


def test_the_sklearn_rule_holds_when_skops_was_imported_first(tmp_path: Path) -> None:
    """Another library may import skops.io first, with its default trust of every
    scikit-learn estimator; the store still refuses what train does not build."""
    import subprocess
    import sys

    from sklearn.tree import DecisionTreeClassifier

    estimator = OutageClassifier().set_params()
    estimator.smuggled_ = DecisionTreeClassifier()
    save_model(estimator, tmp_path / "wide", {"name": "wide"}, check=False)
    script = (
        "import skops.io, sklearn.utils\n"
        "from detector.text.modelstore import load_model\n"
        "assert len(skops.io._trusted_types.SKLEARN_ESTIMATOR_TYPE_NAMES) > 100\n"
        f"load_model({str(tmp_path / 'wide')!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 1
    assert "outside the trusted list: sklearn.tree._classes.DecisionTreeClassifier" in (done.stderr)
