"""Review of session 21's compact model reader (detector.text.compact): what it accepts
must be what the full load accepts (or it leaves the file to the full load), and the
estimator it reads predicts like the full one in every public method."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from detector.errors import ModelError
from detector.text.compact import CompactClassifier, read_compact
from detector.text.modelstore import MODEL_FILE, check_model, load_model

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "models" / "outage-v2"
POSTS = ["is outlook down?", "can't log in to my bank app", "no internet since 6am", "nice day"]


def _crafted(tmp_path: Path, edit: Callable[[dict, dict], None]) -> Path:
    """A copy of outage-v2 whose skops file *edit* changed, with a card that matches it
    (so only the reader's own checks stand between the file and the scorer)."""
    with zipfile.ZipFile(SOURCE / MODEL_FILE) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(files["schema.json"])
    edit(schema, files)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # to write the deeply nested schemas
    try:
        files["schema.json"] = json.dumps(schema).encode()
    finally:
        sys.setrecursionlimit(limit)
    directory = tmp_path / "crafted"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    with zipfile.ZipFile(directory / MODEL_FILE, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    card = json.loads((SOURCE / "card.json").read_text())
    card.pop("training_texts", None)
    card["model_sha256"] = hashlib.sha256((directory / MODEL_FILE).read_bytes()).hexdigest()
    (directory / "card.json").write_text(json.dumps(card))
    return directory


def _attributes(schema: dict) -> dict:
    return schema["content"]["content"]


def _vectorizer(schema: dict) -> dict:
    return _attributes(schema)["vectorizer_"]["content"]


def test_predict_symptom_works_on_a_model_read_compact() -> None:
    """LinearModel stood in for LogisticRegression without its ``predict``, which
    ``predict_symptom`` calls: AttributeError on every model with a symptom model."""
    full = load_model("outage-v2").estimator
    compact = load_model("outage-v2", compact=True).estimator
    assert isinstance(compact, CompactClassifier) and compact.symptom_model_ is not None
    texts = [*POSTS, *pd.read_csv(REPO / "data/seed_posts.csv").text.tolist()[:300]]
    expected = full.predict_symptom(texts)
    got = compact.predict_symptom(texts)
    assert got.tolist() == expected.tolist()
    features = full.vectorizer_.transform(texts)
    assert compact.symptom_model_.predict(features).tolist() == (
        full.symptom_model_.predict(features).tolist()
    )


def _list_class(schema: dict, files: dict) -> None:
    key_types = _vectorizer(schema)["key_types"]
    key_types["__module__"], key_types["__class__"] = "os", "system"


def _array_class(schema: dict, files: dict) -> None:
    idf = _vectorizer(schema)["content"]["idf_"]
    idf["__module__"], idf["__class__"] = "os", "system"


def _key_type(schema: dict, files: dict) -> None:
    node = _vectorizer(schema)["key_types"]["content"][0]
    node["__module__"], node["__class__"] = "os", "system"


@pytest.mark.parametrize("edit", [_list_class, _array_class, _key_type])
def test_a_node_naming_a_type_outside_plain_data_is_left_to_the_full_load(
    tmp_path: Path, edit: Callable[[dict, dict], None]
) -> None:
    """The full load refuses a file naming os.system in a list or array node ("types
    outside the trusted list"); the compact reader ignored those names and scored with it."""
    directory = _crafted(tmp_path, edit)
    data = (directory / MODEL_FILE).read_bytes()
    assert read_compact(data) is None
    assert read_compact(data, arrays=False) is None
    assert not check_model(directory).compact
    if edit is not _key_type:  # skops itself lets a key type's name pass
        with pytest.raises(ModelError, match="outside the trusted list: os.system"):
            load_model(directory, compact=True)


def test_an_attribute_shadowing_a_method_is_left_to_the_full_load(tmp_path: Path) -> None:
    def shadow(schema: dict, files: dict) -> None:
        _attributes(schema)["predict_columns"] = {
            "__class__": "str",
            "__module__": "builtins",
            "__loader__": "JsonNode",
            "content": "[1, 2]",
            "is_json": True,
        }

    directory = _crafted(tmp_path, shadow)
    assert read_compact((directory / MODEL_FILE).read_bytes()) is None
    model = load_model(directory, compact=True)
    assert len(model.predict_posts(POSTS)) == len(POSTS)


def test_a_deeply_nested_schema_is_left_to_the_full_load(tmp_path: Path) -> None:
    """RecursionError escaped read_compact: check_model (score's first step) crashed."""

    def deep(schema: dict, files: dict) -> None:
        node: dict = {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                      "content": "1", "is_json": True}  # fmt: skip
        for _ in range(3000):
            node = {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                    "content": [node]}  # fmt: skip
        _attributes(schema)["junk_"] = node

    directory = _crafted(tmp_path, deep)
    data = (directory / MODEL_FILE).read_bytes()
    assert read_compact(data, arrays=False) is None
    assert read_compact(data) is None
    assert not check_model(directory).compact
    with pytest.raises(ModelError):
        load_model(directory, compact=True)


def test_an_array_too_large_to_allocate_is_a_model_error(tmp_path: Path) -> None:
    """A 100-byte .npy claiming 745 GiB: the full load says ModelError, the compact
    reader let numpy's MemoryError out."""

    def huge(schema: dict, files: dict) -> None:
        header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
        header = header.ljust(117) + b"\n"
        name = _vectorizer(schema)["content"]["idf_"]["file"]
        files[name] = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header

    directory = _crafted(tmp_path, huge)
    assert read_compact((directory / MODEL_FILE).read_bytes()) is None
    with pytest.raises(ModelError):
        load_model(directory, compact=True)


def test_the_shipped_fast_models_and_an_unedited_copy_still_read_compact(
    tmp_path: Path,
) -> None:
    for name in ("outage-v1", "outage-v2"):
        data = (REPO / "models" / name / MODEL_FILE).read_bytes()
        assert isinstance(read_compact(data), CompactClassifier), name
        assert check_model(name).compact
    directory = _crafted(tmp_path, lambda schema, files: None)
    assert isinstance(read_compact((directory / MODEL_FILE).read_bytes()), CompactClassifier)
    assert check_model(directory).compact


def test_the_api_compiles_its_catalog_matcher_before_the_first_request(tmp_path: Path) -> None:
    """Catalog compiles its regular expression on first match (7aa82a5): the API, which
    loads the catalog at start to load it once, paid about 0.2 s in its first request,
    inline in the event loop."""
    from support import real_http

    from detector.api.app import create_app
    from detector.api.settings import Settings

    catalog = tmp_path / "catalog.json"  # a file of its own: not a catalog other tests compiled
    catalog.write_text(json.dumps([{"name": "Mailbox", "aliases": ["mbx"]}]))
    settings = Settings(db=str(tmp_path / "state.db"), catalog=str(catalog))
    with real_http(create_app(settings)) as client:
        loaded = client.app.state.runtime.scorer.catalog  # type: ignore[attr-defined]
        assert loaded.source == str(catalog)
        assert loaded._pattern is not None
