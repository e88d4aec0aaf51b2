"""Defects of models/train/evaluate found by the tester (tester-models report, items 1-10).

Every registry write goes to ``tmp_path``: ``$OUTAGE_DETECTOR_MODELS``, ``$HOME`` and
``$XDG_DATA_HOME`` point there, so nothing is written into the checkout or the user's
models folder. Models are tiny (a few hundred seed posts, two calibration folds).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import run_cli as run

from detector.text.classifier import OutageClassifier
from detector.text.modelstore import save_model
from detector.text.registry import default_name, list_models, set_default
from detector.text.training import map_labels

TINY_TRAIN = ["--cv", "2", "--candidates", "post-nolex", "--no-baseline", "-q"]


@pytest.fixture(scope="module")
def seed(repo_root: Path) -> pd.DataFrame:
    """40 seed posts of each class (outage, complaint, other), with symptoms."""
    frame = pd.read_csv(repo_root / "data/seed_posts.csv", keep_default_na=False)
    return frame.groupby("label", group_keys=False).sample(40, random_state=3)


@pytest.fixture(scope="module")
def estimators(seed: pd.DataFrame) -> dict[str, OutageClassifier]:
    """An outage (3-class) and a complaint (binary, as train maps it) estimator."""
    texts, labels = seed.text.tolist(), seed.label.tolist()
    complaint = np.where(seed.label == "complaint", "outage", "other").tolist()
    return {
        "outage": OutageClassifier(calibration_folds=2).fit(texts, labels),
        "complaint": OutageClassifier(calibration_folds=2).fit(texts, complaint),
    }


@pytest.fixture()
def env(user_registry: Path) -> Path:
    """An empty registry on $OUTAGE_DETECTOR_MODELS (the shipped models stay visible)."""
    return user_registry


@pytest.fixture()
def registry(env: Path, estimators: dict, seed: pd.DataFrame, tmp_path: Path) -> Path:
    """'out' (outage, the default) and 'compl' (complaint) in the env registry, and an
    evaluation file (tmp_path/eval.csv) with labels outage/complaint/other."""
    labels = ["complaint", "other", "outage"]
    save_model(
        estimators["outage"],
        env / "out",
        {"name": "out", "task": {"mode": "3class", "positive": "outage", "label_values": labels}},
    )
    save_model(
        estimators["complaint"],
        env / "compl",
        {
            "name": "compl",
            "task": {"mode": "binary", "positive": "complaint", "label_values": labels},
        },
    )
    set_default("out")
    seed.to_csv(tmp_path / "eval.csv", index=False)
    return env


# --- 1. promote across tasks -------------------------------------------------------------------
def test_promote_refuses_a_model_of_another_positive_class(
    registry: Path, tmp_path: Path, capsys
) -> None:
    argv = ["models", "promote", "compl", "--data", str(tmp_path / "eval.csv")]
    code, _, err = run(argv, capsys)
    assert code == 65, err
    assert err.splitlines()[-1].startswith(
        "error: not promoting 'compl': 'compl' detects 'complaint' and the default 'out' "
        "detects 'outage'"
    )
    assert "--force" in err and "--same-task" in err
    assert default_name() == "out"
    code, _, err = run(["models", "promote", "compl"], capsys)  # no --data: the same refusal
    assert code == 65 and "detects 'complaint'" in err
    assert default_name() == "out"
    code, out, err = run([*argv, "--force"], capsys)
    assert code == 0, err
    assert "warning: 'compl' detects 'complaint' and the default 'out' detects 'outage'" in err
    assert json.loads(out)["detects"] == {"compl": "complaint", "out": "outage"}
    assert default_name() == "compl"


def test_promote_refuses_to_replace_the_shipped_outage_default_by_a_complaint_model(
    registry: Path, tmp_path: Path, capsys
) -> None:
    (registry / "DEFAULT").unlink()  # the shipped default (outage-v3) is the default again
    assert default_name() == "outage-v3"
    code, _, err = run(["models", "promote", "compl", "--data", str(tmp_path / "eval.csv")], capsys)
    assert code == 65
    assert "'compl' detects 'complaint' and the default 'outage-v3' detects 'outage'" in err
    assert default_name() == "outage-v3"


def test_promote_compares_models_of_the_same_class_spelt_differently(
    registry: Path, estimators: dict, capsys
) -> None:
    save_model(estimators["outage"], registry / "caps", {"task": {"positive": "OUTAGE"}})
    code, out, err = run(["models", "promote", "caps", "--force"], capsys)
    assert code == 0, err
    assert "detects" not in err


# --- 2. a --group-col the data does not have ----------------------------------------------------
def test_train_with_a_missing_group_column_exits_65_before_training(
    env: Path, seed: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    data = tmp_path / "t.csv"
    seed.to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--out", "g", "--group-col", "nosuch", *TINY_TRAIN]
    code, _, err = run(argv, capsys)
    assert code == 65
    assert err.splitlines()[-1].startswith(
        f"error: --data file '{data}' has no column 'nosuch' (--group-col); columns found: "
        "text, label, symptom"
    )
    assert not (env / "g").exists()


def test_evaluate_baseline_train_with_a_missing_group_column_exits_65(
    registry: Path, tmp_path: Path, capsys
) -> None:
    data = str(tmp_path / "eval.csv")
    argv = ["evaluate", "--data", data, "--model", "out", "--baseline-train", data]
    code, _, err = run([*argv, "--group-col", "nosuch", "-q"], capsys)
    assert code == 65
    assert f"--baseline-train file '{data}' has no column 'nosuch' (--group-col)" in err


# --- 3. the case of --positive -----------------------------------------------------------------
def test_positive_compares_ignoring_case() -> None:
    labels = pd.Series(["outage", "complaint", "other", "outage"])
    for positive in ("outage", "Outage", " OUTAGE "):
        y, task = map_labels(labels, positive)
        assert task == {"mode": "3class", "positive": "outage"}
        assert y.tolist() == ["outage", "complaint", "other", "outage"]


def test_train_positive_in_capitals_trains_the_3class_model_with_the_symptoms(
    env: Path, seed: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    data = tmp_path / "t.csv"
    seed.to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--out", "caps", "--positive", "Outage", *TINY_TRAIN]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    task = json.loads((env / "caps" / "card.json").read_text())["task"]
    assert task["mode"] == "3class" and task["positive"] == "outage"
    assert task["symptom_col"] == "symptom"
    assert task["symptoms_from"] == "the symptom column 'symptom' of the training data"


# --- 4. a card with wrongly typed fields --------------------------------------------------------
@pytest.mark.parametrize(("field", "value"), [("cv", "oops"), ("task", "x"), ("data", 3)])
def test_a_malformed_card_is_a_bad_model_not_an_internal_error(
    registry: Path, tmp_path: Path, field: str, value: object, capsys
) -> None:
    shutil.copytree(registry / "out", registry / "bad")
    card = json.loads((registry / "bad" / "card.json").read_text())
    card[field] = value
    (registry / "bad" / "card.json").write_text(json.dumps(card))
    code, out, err = run(["models", "list"], capsys)
    assert code == 0, err
    (row,) = [line for line in out.splitlines() if line.split()[:1] == ["bad"]]
    assert f"BROKEN: model card '{registry / 'bad' / 'card.json'}' is malformed: field " in row
    assert any(line.startswith("* out ") for line in out.splitlines())
    data = str(tmp_path / "eval.csv")
    code, _, err = run(["evaluate", "--data", data, "--model", "nosuch", "-q"], capsys)
    assert code == 66 and "bad, compl" in err
    code, _, err = run(["evaluate", "--data", data, "--model", "bad", "-q"], capsys)
    assert code == 65 and f"field '{field}' is a" in err
    code, _, err = run(["models", "show", "bad"], capsys)
    assert code == 65 and "is malformed" in err


# --- 5. reserved names --------------------------------------------------------------------------
def test_train_refuses_the_name_default(env: Path, seed: pd.DataFrame, tmp_path: Path, capsys):
    data = tmp_path / "t.csv"
    seed.to_csv(data, index=False)
    for name in ("DEFAULT", "DEFAULT.tmp"):
        code, _, err = run(["train", "--data", str(data), "--out", name, *TINY_TRAIN], capsys)
        assert code == 64
        assert f"'{name}' is a name the model registry reserves" in err
    assert list(env.iterdir()) == []


def test_promote_over_a_folder_named_default_exits_73_and_leaves_nothing(
    registry: Path, estimators: dict, capsys
) -> None:
    (registry / "DEFAULT").unlink()
    save_model(estimators["outage"], registry / "DEFAULT", {"task": {"positive": "outage"}})
    code, _, err = run(["models", "promote", "out", "--force"], capsys)
    assert code == 73
    assert err == (
        f"error: cannot create the default-model marker '{registry / 'DEFAULT'}': it is a folder\n"
    )
    assert not (registry / "DEFAULT.tmp").exists()
    code, _, err = run(["models", "promote", "DEFAULT", "--force"], capsys)
    assert code == 64 and "reserves" in err


# --- 6. unusable models in list/show ------------------------------------------------------------
def test_list_and_show_mark_a_model_whose_file_is_missing_or_tampered(
    registry: Path, capsys
) -> None:
    shutil.copytree(registry / "out", registry / "tamp")
    blob = bytearray((registry / "tamp" / "model.skops").read_bytes())
    blob[1000] ^= 1
    (registry / "tamp" / "model.skops").write_bytes(bytes(blob))
    shutil.copytree(registry / "out", registry / "nofile")
    (registry / "nofile" / "model.skops").unlink()
    code, out, err = run(["models", "list"], capsys)
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if not line.startswith("*")}
    assert rows["tamp"].endswith(
        "[BROKEN: model file 'model.skops' fails its hash check (modified or corrupted)]"
    )
    assert rows["nofile"].endswith("[BROKEN: missing model file 'model.skops']")
    assert rows["compl"].endswith("[detects 'complaint']")
    assert "2 models cannot be used (nofile, tamp)" in err
    code, out, _ = run(["models", "list", "--json"], capsys)
    status = {m["name"]: (m["status"], m["problem"]) for m in json.loads(out)}
    assert status["out"] == ("ok", None) and status["nofile"][0] == "broken"
    for name in ("tamp", "nofile"):
        code, out, err = run(["models", "show", name], capsys)
        assert code == 0 and json.loads(out)["name"] == "out"
        assert err.startswith(f"warning: model '{name}' cannot be used: ")
    code, _, err = run(["models", "show", "out"], capsys)
    assert code == 0 and err == ""
    assert {m.name for m in list_models() if m.problem} == {"nofile", "tamp"}


# --- 7. evaluate on another positive class ------------------------------------------------------
def test_evaluate_warns_when_the_positive_class_is_not_the_models(
    registry: Path, seed: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    data = str(tmp_path / "eval.csv")
    code, out, err = run(
        ["evaluate", "--data", data, "--model", "out", "--positive", "complaint", "--no-baseline"],
        capsys,
    )
    assert code == 0, err
    warning = (
        "out was trained to detect 'outage' (its card's positive class), but 'complaint' is "
        "the positive class here"
    )
    metrics = json.loads(out)
    assert metrics["model_positive"] == "outage"
    assert any(w.startswith(warning) for w in metrics["warnings"])
    assert f"warning: {warning}" in err
    numeric = tmp_path / "num.csv"
    seed.assign(label=(seed.label == "outage").astype(int)).to_csv(numeric, index=False)
    code, out, err = run(
        ["evaluate", "--data", str(numeric), "--model", "compl", "--no-baseline", "-q"], capsys
    )
    assert code == 0, err
    assert "compl was trained to detect 'complaint' (its card's positive class), but '1'" in err
    code, out, err = run(["evaluate", "--data", data, "--model", "out", "--no-baseline"], capsys)
    assert code == 0 and "trained to detect" not in err  # the same class: no warning


# --- 8. one class, whatever its case ------------------------------------------------------------
def test_one_class_in_two_cases_is_one_class(registry: Path, seed: pd.DataFrame, tmp_path, capsys):
    positives = seed[seed.label == "outage"].copy()
    positives["label"] = ["outage" if i % 2 else "OUTAGE" for i in range(len(positives))]
    path = tmp_path / "mixed.csv"
    positives.to_csv(path, index=False)
    code, _, err = run(["evaluate", "--data", str(path), "--model", "out", "-q"], capsys)
    assert code == 65
    assert err.splitlines()[-1] == (
        "error: the labels have only one value (OUTAGE, outage; labels compare ignoring case); "
        "evaluation needs posts of at least two classes (the positive class and the rest)"
    )


# --- 9. the registry cannot be created ----------------------------------------------------------
def test_a_registry_under_a_file_exits_73(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    monkeypatch.setenv("OUTAGE_DETECTOR_MODELS", str(blocker))
    code, _, err = run(["models", "promote", "outage-v1", "--force"], capsys)
    assert code == 73
    assert err == (
        f"error: cannot create the default-model marker '{blocker / 'DEFAULT'}': a folder on "
        "its path is a file\n"
    )


def test_train_checks_the_output_can_be_created_before_training(
    env: Path, seed: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    data = tmp_path / "t.csv"
    seed.to_csv(data, index=False)
    long = "m" * 300
    code, _, err = run(["train", "--data", str(data), "--out", long, *TINY_TRAIN[:-1]], capsys)
    assert code == 73
    assert err == f"error: cannot create --out '{long}': File name too long\n"  # no training
    assert list(env.iterdir()) == []
    # a folder the system refuses though its permission bits allow it (root under /sys)
    refused = tmp_path / "refused"
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args, **kwargs) -> None:
        if self.is_relative_to(refused):
            raise PermissionError(1, "Operation not permitted", str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    monkeypatch.setenv("OUTAGE_DETECTOR_MODELS", str(refused / "reg"))
    code, _, err = run(["train", "--data", str(data), "--out", "zz", *TINY_TRAIN[:-1]], capsys)
    assert code == 73
    assert err == "error: cannot create --out 'zz': Operation not permitted\n"
    code, _, err = run(["models", "promote", "outage-v1", "--force"], capsys)
    assert code == 73
    assert err == (
        f"error: cannot create the default-model marker '{refused / 'reg' / 'DEFAULT'}': "
        "Operation not permitted\n"
    )


def test_the_creatable_check_leaves_no_folder_behind(env: Path, tmp_path: Path) -> None:
    from detector.text.registry import train_target

    out = tmp_path / "new" / "deeper" / "m"
    assert train_target(out) == out
    assert list(tmp_path.iterdir()) == [env]  # nothing made: train makes it when saving


# --- 10. messages -------------------------------------------------------------------------------
def test_a_wrong_text_col_names_the_text_column_the_file_has(
    registry: Path, tmp_path: Path, capsys
) -> None:
    data = tmp_path / "eval.csv"
    frame = pd.read_csv(data).assign(uid=lambda f: range(len(f)))
    frame.to_csv(data, index=False)
    code, _, err = run(["evaluate", "--data", str(data), "--text-col", "body", "-q"], capsys)
    assert code == 65
    assert err.splitlines()[-1].endswith(
        "(--text-col); columns found: text, label, symptom, uid; its posts look to be in "
        "'text': give --text-col text"
    )


def test_evaluate_counts_the_skipped_rows_in_its_json(
    registry: Path, seed: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "holes.csv"
    frame = seed.copy()
    frame.iloc[:5, frame.columns.get_loc("label")] = ""
    frame.iloc[5:7, frame.columns.get_loc("text")] = ""
    frame.to_csv(path, index=False)
    code, out, err = run(
        ["evaluate", "--data", str(path), "--model", "out", "--no-baseline", "-q"], capsys
    )
    assert code == 0, err
    metrics = json.loads(out)
    assert (metrics["n"], metrics["rows_skipped"]) == (len(seed) - 7, 7)
