"""The model registry: one search path from any folder, overwrite and promotion gates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support import run_cli as run

from detector.errors import InputMissingError, ModelError, UsageError
from detector.text.classifier import OutageClassifier
from detector.text.modelstore import load_model, save_model
from detector.text.registry import (
    default_name,
    find_model,
    list_models,
    resolve_model_dir,
    safe_model_file,
    search_path,
    set_default,
    shipped_root,
    train_target,
    user_models_dir,
    writable_root,
)


@pytest.fixture(scope="module")
def small(repo_root: Path) -> tuple[OutageClassifier, pd.DataFrame]:
    seed = pd.read_csv(repo_root / "data/seed_posts.csv", keep_default_na=False)
    frame = seed.groupby("label", group_keys=False).sample(30, random_state=1)
    model = OutageClassifier(calibration_folds=2).fit(frame.text.tolist(), frame.label.tolist())
    return model, frame


@pytest.fixture()
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user data folder, no $OUTAGE_DETECTOR_MODELS, cwd outside the checkout."""
    monkeypatch.delenv("OUTAGE_DETECTOR_MODELS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return tmp_path / "xdg" / "outage-detector" / "models"


def test_search_path_is_env_then_user_folder_then_shipped(homes: Path, monkeypatch) -> None:
    assert user_models_dir() == homes
    assert search_path() == [homes, shipped_root()]
    monkeypatch.setenv("OUTAGE_DETECTOR_MODELS", "/tmp/env-models")
    assert search_path() == [Path("/tmp/env-models"), homes, shipped_root()]
    assert writable_root() == Path("/tmp/env-models")
    assert search_path("/tmp/pinned") == [Path("/tmp/pinned")]


def test_shipped_default_resolves_from_any_folder(homes: Path) -> None:
    shipped_default = (shipped_root() / "DEFAULT").read_text().strip()
    assert default_name() == shipped_default
    directory, name = resolve_model_dir(None)
    assert name == shipped_default and directory == shipped_root() / shipped_default


def test_user_model_by_name_from_any_folder_and_user_default_wins(homes: Path, small) -> None:
    model, _ = small
    save_model(model, homes / "mine", {"name": "mine"})
    assert find_model("mine") == homes / "mine"
    assert load_model("mine").path == homes / "mine"
    assert "mine" in [m.name for m in list_models()]
    set_default("mine")
    assert (homes / "DEFAULT").read_text() == "mine\n"
    assert not (shipped_root() / "DEFAULT").read_text().startswith("mine")
    assert default_name() == "mine" and load_model(None).name == "mine"


def test_train_out_name_goes_to_the_user_folder_and_evaluates_by_name(
    homes: Path, small, tmp_path: Path, capsys
) -> None:
    _, frame = small
    data = tmp_path / "labels.csv"
    frame.to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--out", "mine", "--cv", "2", "--quiet"]
    argv += ["--candidates", "post"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert json.loads(out)["model"] == str(homes / "mine")
    assert (homes / "mine" / "card.json").is_file()
    code, out, err = run(
        ["evaluate", "--data", str(data), "--model", "mine", "--quiet", "--no-baseline"], capsys
    )
    assert code == 0, err
    assert json.loads(out)["model"] == "mine"
    # a second train to the same name is refused without --force, replaced with it
    code, _, err = run(argv, capsys)
    assert code == 64
    assert "a model already exists at" in err and "--force" in err
    before = (homes / "mine" / "card.json").read_text()
    code, _, err = run([*argv, "--force", "--seed", "1"], capsys)
    assert code == 0, err
    after = json.loads((homes / "mine" / "card.json").read_text())
    assert after["parameters"]["random_state"] == 1 and before != json.dumps(after)
    assert sorted(p.name for p in homes.iterdir()) == ["mine"]  # no partial folders left


def test_train_never_overwrites_the_default_or_a_shipped_model(homes: Path, small) -> None:
    model, _ = small
    shipped_default = default_name()
    with pytest.raises(UsageError, match="is the default model"):
        train_target(shipped_default, force=True)
    with pytest.raises(UsageError, match="is the default model"):
        train_target(shipped_root() / shipped_default, force=True)
    save_model(model, homes / "mine", {"name": "mine"})
    set_default("mine")
    with pytest.raises(UsageError, match="is the default model 'mine'"):
        train_target("mine", force=True)
    with pytest.raises(UsageError, match="shipped model"):
        train_target(shipped_default, force=True)


def test_train_target_refuses_a_non_model_folder_and_a_file(tmp_path: Path, homes: Path) -> None:
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="is not a model directory"):
        train_target(tmp_path / "stuff")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        train_target(tmp_path / "file")
    assert train_target(tmp_path / "new") == tmp_path / "new"


def test_promote_force_still_refuses_a_tampered_model(tmp_path: Path, small, capsys) -> None:
    model, frame = small
    root = tmp_path / "reg"
    save_model(model, root / "good", {"name": "good"})
    save_model(model, root / "tampered", {"name": "tampered"})
    set_default("good", root)
    with (root / "tampered" / "model.skops").open("ab") as fh:
        fh.write(b"\0")
    argv = ["models", "--models-dir", str(root), "promote", "tampered", "--force"]
    code, _, err = run(argv, capsys)
    assert code == 65
    assert "fails its hash check" in err
    assert default_name(root) == "good"


def test_promote_force_refuses_a_card_pointing_outside_its_folder(
    tmp_path: Path, small, capsys
) -> None:
    model, _ = small
    root = tmp_path / "reg"
    save_model(model, root / "good", {"name": "good"})
    save_model(model, root / "escape", {"name": "escape"})
    set_default("good", root)
    card_path = root / "escape" / "card.json"
    card = json.loads(card_path.read_text())
    card["model_file"] = "../good/model.skops"
    card_path.write_text(json.dumps(card))
    argv = ["models", "--models-dir", str(root), "promote", "escape", "--force"]
    code, _, err = run(argv, capsys)
    assert code == 65
    assert "is not a file name inside the model directory" in err
    assert default_name(root) == "good"


@pytest.mark.parametrize("value", ["../model.skops", "/etc/passwd", "sub/model.skops", "..", ""])
def test_model_file_must_be_a_plain_name(value: str) -> None:
    with pytest.raises(ModelError, match="is not a file name inside the model directory"):
        safe_model_file(value)


def test_unknown_name_lists_every_root(homes: Path) -> None:
    with pytest.raises(InputMissingError, match=r"no model 'nope'.*available under .*models"):
        resolve_model_dir("nope")


def test_registry_does_not_import_modelstore() -> None:
    code = (
        "import sys, detector.text.registry as r; r.list_models(); "
        "print('detector.text.modelstore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
