"""summary.json and report.html say which model scored the run (tester report).

They recorded only the model's name: a user model named ``outage-v2`` earlier on the
registry path was indistinguishable from the shipped one, and a model trained with
``train --positive complaint`` made ``is_outage`` mean "complaint" with ``warnings: []``.
Now summary.json has ``model_card`` (name, path, ``model_sha256``, ``positive``), a
warning when the model detects another class than outage (also on stderr), and the
report shows the name, the first 12 hex digits of the sha256 and that warning.

Real files: the shipped sample export, the shipped model, and a tiny complaint model
trained here (120 seed posts, two folds) into a registry under ``tmp_path``.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from support import run_cli

from detector.batch.pipeline import ScoreOptions, score
from detector.paths import project_path
from detector.text.registry import default_name

SAMPLE = project_path("data", "samples", "exchange-outage.csv")
SHIPPED = project_path("models")
TINY_TRAIN = ["--cv", "2", "--candidates", "post-nolex", "--no-baseline", "-q"]


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _report(out: Path) -> str:
    return html.unescape((out / "report.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shipped_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample export scored with the default (shipped) model."""
    out = tmp_path_factory.mktemp("shipped")
    score(ScoreOptions(inputs=[SAMPLE], out=out, workers=1))
    return out


@pytest.fixture()
def registry(user_registry: Path) -> Path:
    """An empty user registry first on the search path (the shipped models after it)."""
    return user_registry


def _train_complaint_model(
    repo_root: Path, tmp_path: Path, target: Path, capsys: pytest.CaptureFixture[str]
) -> dict:
    """Train a tiny ``--positive complaint`` model into *target*; returns its card."""
    seed = pd.read_csv(repo_root / "data/seed_posts.csv", keep_default_na=False)
    data = tmp_path / "labels.csv"
    seed.groupby("label", group_keys=False).sample(40, random_state=3).to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--out", str(target), "--positive", "complaint"]
    code, _, err = run_cli([*argv, *TINY_TRAIN], capsys)
    assert code == 0, err
    return json.loads((target / "card.json").read_text(encoding="utf-8"))


def test_shipped_model_identity_in_summary_and_report(shipped_run: Path) -> None:
    summary = _summary(shipped_run)
    name = default_name()
    card = json.loads((SHIPPED / name / "card.json").read_text(encoding="utf-8"))
    assert summary["model"] == name  # the DESIGN.md key keeps the name
    assert summary["model_card"] == {
        "name": name,
        "path": str((SHIPPED / name).resolve()),
        "model_sha256": card["model_sha256"],
        "positive": "outage",
    }
    assert len(card["model_sha256"]) == 64
    assert not any("detects posts of class" in w for w in summary["warnings"])
    report = _report(shipped_run)
    assert f"model {name} (sha256 {card['model_sha256'][:12]})" in report
    assert card["model_sha256"][:13] not in report  # 12 hex digits, not the whole hash
    assert "detects posts of class" not in report


def test_shadowing_complaint_model_is_named_hashed_and_warned_about(
    shipped_run: Path,
    registry: Path,
    repo_root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = default_name()  # the shipped default, shadowed by a user model of that name
    shipped_card = json.loads((SHIPPED / name / "card.json").read_text(encoding="utf-8"))
    trained = tmp_path / "trained"
    card = _train_complaint_model(repo_root, tmp_path, trained, capsys)
    assert card["task"]["positive"] == "complaint"
    shutil.copytree(trained, registry / name)
    assert default_name() == name

    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(SAMPLE), "--out", str(out), "--workers", "1"], capsys)
    assert code == 0, err
    summary = _summary(out)
    assert summary["model"] == name  # same name as the shipped run's ...
    assert summary["model_card"] == {
        "name": name,
        "path": str((registry / name).resolve()),  # ... but another folder and file
        "model_sha256": card["model_sha256"],
        "positive": "complaint",
    }
    assert card["model_sha256"] != shipped_card["model_sha256"]
    assert _summary(shipped_run)["model_card"] != summary["model_card"]

    warning = [w for w in summary["warnings"] if "detects posts of class" in w]
    assert warning == [
        f"the model '{name}' detects posts of class 'complaint', not 'outage' (its card's "
        "task.positive): is_outage, outage_prob and the incidents mean posts of class "
        "'complaint'; score with an outage model (--model) to find outages"
    ]
    assert f"warning: {warning[0]}" in err.splitlines()  # on stderr too

    report = _report(out)
    assert f"model {name} (sha256 {card['model_sha256'][:12]}, detects complaint)" in report
    assert f"Warning: {warning[0]}" in report


def test_positive_class_compares_ignoring_case(
    registry: Path, repo_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A card saying ``OUTAGE`` is an outage model: no warning (scored through the API on
    a slice of the sample, by path)."""
    source = project_path("models", default_name())
    model = tmp_path / "caps"
    shutil.copytree(source, model)
    card = json.loads((model / "card.json").read_text(encoding="utf-8"))
    card["task"]["positive"] = "OUTAGE"
    (model / "card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
    small = tmp_path / "small.csv"
    small.write_text("".join(SAMPLE.read_text(encoding="utf-8").splitlines(True)[:2000]))

    result = score(ScoreOptions(inputs=[small], out=tmp_path / "o", model=str(model), workers=1))
    assert result.summary["model_card"]["positive"] == "OUTAGE"
    assert result.summary["model_card"]["path"] == str(model.resolve())
    assert result.summary["model_card"]["model_sha256"] == card["model_sha256"]
    assert not any("detects posts of class" in w for w in result.summary["warnings"])
