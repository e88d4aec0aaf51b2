"""``evaluate --baseline-train`` fits the plain baseline exactly as ``train`` does: on data
with a source column, its threshold is chosen on folds that hold out whole sources.

Before, evaluate chose it on stratified folds, so a model that *is* the plain baseline
(train keeps it when no candidate beats it) printed a different F1 than "the baseline"
on the same held-out posts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support import run_cli


@pytest.fixture(scope="module")
def split(repo_root, tmp_path_factory) -> tuple[Path, Path]:
    frame = pd.read_csv(repo_root / "data" / "seed_posts.csv", keep_default_na=False)
    frame = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    frame["label"] = (frame["label"] == "outage").map({True: "broken", False: "fine"})
    frame["source"] = [f"s{i % 4}" for i in range(len(frame))]
    folder = tmp_path_factory.mktemp("evaluate_baseline")
    train, held = folder / "train.csv", folder / "held.csv"
    frame.iloc[:600][["text", "label", "source"]].to_csv(train, index=False)
    frame.iloc[600:900][["text", "label"]].to_csv(held, index=False)
    return train, held


def test_a_model_that_is_the_baseline_scores_as_the_baseline(split, tmp_path, capsys) -> None:
    train, held = split
    model = tmp_path / "plain"
    argv = ["train", "--data", str(train), "--positive", "broken", "--candidates", "baseline"]
    code, _, err = run_cli([*argv, "--out", str(model), "-q"], capsys)
    assert code == 0, err
    evaluate = ["evaluate", "--data", str(held), "--model", str(model)]
    code, out, err = run_cli([*evaluate, "--baseline-train", str(train), "-q"], capsys)
    assert code == 0, err
    metrics = json.loads(out)
    for key in ("precision", "recall", "f1", "pr_auc", "confusion"):
        assert metrics["baseline"][key] == metrics[key], key
