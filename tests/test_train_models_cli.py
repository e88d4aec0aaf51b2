"""`outage-detector models list|show|promote` on a temporary registry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import run_cli as run

from detector.text.classifier import OutageClassifier
from detector.text.modelstore import save_model, sha256_of
from detector.text.registry import default_name, set_default


@pytest.fixture(scope="module")
def frame(repo_root) -> pd.DataFrame:
    seed = pd.read_csv(repo_root / "data/seed_posts.csv", keep_default_na=False)
    return seed.groupby("label", group_keys=False).sample(50, random_state=4)


@pytest.fixture()
def registry(tmp_path: Path, frame: pd.DataFrame) -> tuple[Path, Path]:
    """Registry with 'good' (default) and 'bad' (trained on shuffled labels) + an eval file."""
    root = tmp_path / "models"
    texts, labels = frame.text.tolist(), frame.label.tolist()
    good = OutageClassifier(calibration_folds=2).fit(texts, labels)
    shuffled = list(np.random.default_rng(0).permutation(labels))
    bad = OutageClassifier(calibration_folds=2).fit(texts, shuffled)
    save_model(
        good,
        root / "good",
        {
            "name": "good",
            "created": "2026-01-01T00:00:00Z",
            "cv": {"f1": 0.9},
            "task": {"positive": "outage"},
        },
    )
    save_model(
        bad, root / "bad", {"name": "bad", "cv": {"f1": 0.3, "pr_auc": 0.41, "grouped": True}}
    )
    set_default("good", root)
    eval_file = tmp_path / "eval.csv"
    frame.to_csv(eval_file, index=False)
    return root, eval_file


def test_list_marks_the_default(registry, capsys) -> None:
    root, _ = registry
    code, out, err = run(["models", "--models-dir", str(root), "list"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["name", "created", "cv_f1", "pr_auc", "cv_folds"]
    assert lines[1].startswith("  bad ") and lines[1].split()[-4:] == [
        "0.300",
        "0.410",
        "by",
        "source",
    ]
    assert lines[2].startswith("* good") and "2026-01-01T00:00:00Z" in lines[2]
    assert lines[2].split()[-3:] == ["0.900", "-", "random"]
    # the two kinds of folds are not comparable, and the listing says so
    assert "random folds also score posts like the training ones" in err
    save_model(
        OutageClassifier(calibration_folds=2).fit(["a b", "c d"] * 20, ["outage", "other"] * 20),
        root / "nocv",
        {"name": "nocv"},
    )
    code, out, _ = run(["models", "--models-dir", str(root), "list"], capsys)
    assert [line.split()[-3:] for line in out.splitlines() if "nocv" in line] == [["-", "-", "-"]]
    code, out, _ = run(["models", "--models-dir", str(root), "list", "--json"], capsys)
    assert [(m["name"], m["default"], m["cv_grouped"]) for m in json.loads(out)] == [
        ("bad", False, True),
        ("good", True, False),
        ("nocv", False, None),
    ]


def test_show_prints_the_card(registry, capsys) -> None:
    root, _ = registry
    code, out, _ = run(["models", "--models-dir", str(root), "show", "good"], capsys)
    assert code == 0
    card = json.loads(out)
    assert card["name"] == "good" and len(card["model_sha256"]) == 64


def test_show_unknown_model_exits_66(registry, capsys) -> None:
    root, _ = registry
    code, _, err = run(["models", "--models-dir", str(root), "show", "nope"], capsys)
    assert code == 66
    assert "available under" in err and "bad, good" in err


def test_promote_refuses_a_worse_model_then_force(registry, capsys) -> None:
    root, eval_file = registry
    argv = ["models", "--models-dir", str(root), "promote", "bad", "--data", str(eval_file)]
    code, _, err = run(argv, capsys)
    assert code == 65
    assert "not promoting 'bad': F1 " in err and "worse than the default 'good'" in err
    assert default_name(root) == "good"
    code, out, _ = run([*argv, "--force"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["promoted"] == "bad" and result["previous_default"] == "good"
    assert result["f1"]["bad"] < result["f1"]["good"]
    assert default_name(root) == "bad"


def test_promote_a_better_model(registry, capsys) -> None:
    root, eval_file = registry
    set_default("bad", root)
    code, out, err = run(
        ["models", "--models-dir", str(root), "promote", "good", "--data", str(eval_file)], capsys
    )
    assert code == 0, err
    assert default_name(root) == "good"


def test_promote_refuses_a_model_trained_on_the_comparison_file_unless_forced(
    registry, frame: pd.DataFrame, capsys
) -> None:
    root, eval_file = registry
    texts, labels = frame.text.tolist(), frame.label.tolist()
    save_model(
        OutageClassifier(calibration_folds=2).fit(texts, labels),
        root / "fitted",
        {"name": "fitted", "data": [{"file": "eval.csv", "sha256": sha256_of(eval_file)}]},
    )
    argv = ["models", "--models-dir", str(root), "promote", "fitted", "--data", str(eval_file)]
    code, _, err = run(argv, capsys)
    assert code == 65  # it would win by having memorised the comparison posts
    assert err.startswith(f"warning: {eval_file} is a file fitted was trained on (its card's")
    assert err.splitlines()[-1] == (
        f"error: not promoting 'fitted': {eval_file} holds a file it was trained on (same "
        "sha256), so it would be judged on posts it memorised; compare on posts it never saw "
        "(or use --force)"
    )
    assert default_name(root) == "good"
    code, _, err = run([*argv, "--force"], capsys)
    assert code == 0, err
    assert default_name(root) == "fitted"


def test_promote_without_data_needs_force(registry, capsys) -> None:
    root, _ = registry
    code, _, err = run(["models", "--models-dir", str(root), "promote", "bad"], capsys)
    assert code == 64
    assert "promote needs --data FILE" in err
