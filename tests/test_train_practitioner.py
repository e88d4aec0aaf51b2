"""`train` / `evaluate` / `models promote` as a practitioner retraining on their own labels
uses them: imbalanced labels, re-saved files, duplicates, files without symptoms."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import run_cli as run

from detector.text.modelstore import load_model
from detector.text.registry import default_name, set_default
from detector.text.training import duplicate_rows, read_labelled, select_winner

LABELS = ["--text-col", "message", "--label-col", "status", "--positive", "complained"]


def evaluate(path: Path, model: Path, capsys) -> tuple[int, str, str]:
    """``evaluate`` of *model* on the labelled file *path*, without the baseline."""
    argv = ["evaluate", "--data", str(path), "--model", str(model), "--no-baseline", *LABELS]
    return run(argv, capsys)


@pytest.fixture(scope="module")
def seed(repo_root) -> pd.DataFrame:
    return pd.read_csv(repo_root / "data/seed_posts.csv", keep_default_na=False)


def users(seed: pd.DataFrame, n: int = 40, random_state: int = 1) -> pd.DataFrame:
    """A user's own labels: outage posts 'complained', the rest 'fine'; no symptoms."""
    frame = seed.groupby("label", group_keys=False).sample(n, random_state=random_state)
    return pd.DataFrame(
        {
            "message": frame.text.to_numpy(),
            "status": np.where(frame.label == "outage", "complained", "fine"),
        }
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory, seed: pd.DataFrame, repo_root: Path) -> dict:
    """One `train` run on a file with 20 repeated posts and a text labelled both ways."""
    root = tmp_path_factory.mktemp("trained")
    frame = users(seed)
    conflict = pd.DataFrame(
        {"message": ["is it down for anyone?"] * 2, "status": ["complained", "fine"]}
    )
    frame = pd.concat([frame, frame.iloc[:20], conflict], ignore_index=True)
    data = root / "mine.csv"
    frame.to_csv(data, index=False)
    out = root / "models" / "mine"
    result = subprocess.run(
        [sys.executable, "-m", "detector", "train", "--data", str(data), "--out", str(out)]
        + ["--cv", "2", *LABELS],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "root": root,
        "data": data,
        "frame": frame,
        "out": out,
        "code": result.returncode,
        "stderr": result.stderr,
        "card": json.loads((out / "card.json").read_text()) if out.is_dir() else None,
    }


# --- 1. selection on imbalanced labels --------------------------------------------------
def test_a_baseline_that_never_flags_a_positive_is_not_kept() -> None:
    cv = {
        "post": {"pr_auc": 0.2647, "f1": 0.325, "recall": 0.52},
        "post-nolex": {"pr_auc": 0.3291, "f1": 0.3333, "recall": 0.48},
        "baseline": {"pr_auc": 0.425, "f1": 0.0, "recall": 0.0},
    }
    assert select_winner(cv) == "post-nolex"
    nobody = {name: {**m, "f1": 0.0, "recall": 0.0} for name, m in cv.items()}
    assert select_winner(nobody) == "baseline"


def test_the_baseline_threshold_is_tuned_so_it_flags_rare_positives(
    tmp_path: Path, seed: pd.DataFrame, capsys
) -> None:
    """25 positives of 1,025: at its own 0.5 the baseline flagged none (CV recall 0)."""
    rest = seed[seed.label != "outage"].sample(1000, random_state=2, replace=True)
    rare = pd.concat([seed[seed.label == "outage"].sample(25, random_state=2), rest])
    frame = pd.DataFrame(
        {"message": rare.text, "status": np.where(rare.label == "outage", "complained", "fine")}
    ).drop_duplicates("message")
    data = tmp_path / "rare.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "m"
    argv = ["train", "--data", str(data), "--out", str(out), "--cv", "3", *LABELS]
    code, printed, err = run([*argv, "--candidates", "post-nolex"], capsys)
    assert code == 0, err
    baseline = json.loads(printed)["comparison"]["baseline"]
    assert baseline["recall"] > 0 and baseline["f1"] > 0.1
    card = json.loads((out / "card.json").read_text())
    assert card["cv"]["recall"] > 0
    assert card["threshold_chosen_on"].startswith("out-of-fold scores of")


def test_train_warns_loudly_when_no_pipeline_finds_the_positives(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(0)
    words = np.array(
        [
            "the",
            "app",
            "my",
            "phone",
            "today",
            "again",
            "still",
            "not",
            "ok",
            "why",
            "is",
            "was",
            "what",
        ]
    )
    texts = [" ".join(rng.choice(words, 6)) + f" {i}" for i in range(630)]
    labels = np.where(rng.permutation(630) < 30, "complained", "fine")
    data = tmp_path / "noise.csv"
    pd.DataFrame({"message": texts, "status": labels}).to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--out", str(tmp_path / "m"), "--cv", "2", *LABELS]
    code, _, err = run([*argv, "--candidates", "post"], capsys)
    assert code == 0, err
    line = next(ln for ln in err.splitlines() if ln.startswith("WARNING"))
    assert re.fullmatch(
        r"WARNING: no pipeline finds the 'complained' posts in cross-validation \(best F1 "
        r"0\.\d{3}; calling every post 'complained' gives 0\.091; 30 of 630 posts are "
        r"'complained'\): this model is no better than guessing; label more positive posts "
        r"or check the labels",
        line,
    )


# --- 2. promote refuses a comparison on the candidate's own training posts --------------
@pytest.fixture()
def registry(tmp_path: Path, trained: dict, repo_root: Path) -> Path:
    import shutil

    root = tmp_path / "models"
    root.mkdir()
    shutil.copytree(trained["out"], root / "mine")
    shutil.copytree(repo_root / "models/outage-v2", root / "outage-v2")
    set_default("outage-v2", root)
    return root


def test_promote_refuses_a_re_saved_subset_of_the_training_file(
    registry: Path, trained: dict, tmp_path: Path, capsys
) -> None:
    part = trained["frame"].iloc[:120].iloc[::-2]  # half of the training posts, reordered
    copy = tmp_path / "part.csv"
    part.to_csv(copy, index=False, sep=";", encoding="utf-8-sig")
    posts = len(part)
    argv = ["models", "--models-dir", str(registry), "promote", "mine", "--data", str(copy)]
    argv.append("--same-task")  # its 'complained' is the default's 'outage'
    code, _, err = run([*argv, "--label-col", "status", "--text-col", "message"], capsys)
    assert code == 65
    share = f"{1:.1%}"
    assert err.splitlines()[-1] == (
        f"error: not promoting 'mine': {posts} of {posts} posts ({share}) of {copy} are posts "
        "it was trained on, so it would be judged on posts it memorised; compare on posts it "
        "never saw (or use --force)"
    )
    assert default_name(registry) == "outage-v2"
    code, out, err = run(
        [*argv, "--label-col", "status", "--text-col", "message", "--force"], capsys
    )
    assert code == 0, err
    assert default_name(registry) == "mine"


def test_evaluate_reports_the_share_of_training_posts(
    trained: dict, seed: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    new = users(seed, n=30, random_state=9)
    new = new[~new.message.isin(trained["frame"].message)].sample(30, random_state=0)
    mixed = pd.concat([new, trained["frame"].iloc[:10]], ignore_index=True)
    mixed["message"] = mixed.message.str.upper()  # case does not hide a post
    path = tmp_path / "mixed.csv"
    mixed.to_csv(path, index=False)
    code, out, err = evaluate(path, trained["out"], capsys)
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics["trained_on"] == {"posts": 10, "n": 40, "share": 0.25}
    assert metrics["warnings"] == [
        f"10 of 40 posts (25.0%) of {path} are posts mine was trained on (the same text, "
        "ignoring case and spacing): on those the metrics measure fit, not quality on new posts"
    ]
    assert f"warning: {metrics['warnings'][0]}" in err


def test_the_training_posts_are_kept_compactly_beside_the_model(trained: dict) -> None:
    entry = trained["card"]["training_texts"]
    stored = trained["out"] / entry["file"]
    assert (
        stored.stat().st_size == 8 * entry["posts"] == 8 * 120
    )  # the repeats and the conflict dropped
    assert len((trained["out"] / "card.json").read_bytes()) < 12_000


# --- 3. files as score reads them ---------------------------------------------------------
def test_labelled_files_are_read_whatever_their_delimiter_and_encoding(
    tmp_path: Path, seed: pd.DataFrame
) -> None:
    frame = users(seed, n=20)
    frame = frame[[_cp1252(t) for t in frame.message]].reset_index(drop=True)
    frame.loc[0, "message"] = "café down again – can’t log in"
    plain = tmp_path / "plain.csv"
    frame.to_csv(plain, index=False)
    frame.to_csv(tmp_path / "semi_bom.csv", index=False, sep=";", encoding="utf-8-sig")
    frame.assign(message=frame.message.str.replace("’", "'")).to_csv(
        tmp_path / "cp1252.csv", index=False, encoding="cp1252"
    )
    frame.to_csv(tmp_path / "tabs.txt", index=False, sep="\t")
    want = read_labelled([plain], text_col="message", label_col="status")
    for name in ("semi_bom.csv", "cp1252.csv", "tabs.txt"):
        got = read_labelled([tmp_path / name], text_col="message", label_col="status")
        expected = [t.replace("’", "'") if name == "cp1252.csv" else t for t in want.text]
        assert got.text == expected, name
        assert got.label.tolist() == want.label.tolist(), name


def _cp1252(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def test_evaluate_reads_a_tab_separated_txt_file(trained: dict, tmp_path: Path, capsys) -> None:
    path = tmp_path / "hold.txt"
    trained["frame"].to_csv(path, index=False, sep="\t")
    code, out, err = evaluate(path, trained["out"], capsys)
    assert code == 0, err
    assert json.loads(out)["n"] == len(trained["frame"])


# --- 4. duplicates ----------------------------------------------------------------------------
def test_duplicates_are_dropped_and_conflicts_reported(trained: dict) -> None:
    assert trained["code"] == 0, trained["stderr"]
    note = (
        "20 repeated posts (same text, same class) dropped; 1 texts labelled with different "
        "classes: their 2 rows dropped (check those labels)"
    )
    assert f"duplicates: {note}\n" in trained["stderr"]
    assert trained["card"]["duplicates"] == {
        "dropped": 20,
        "conflicting_texts": 1,
        "conflicting_rows": 2,
        "note": note,
    }
    assert trained["card"]["rows"] == 120


def test_duplicate_rows_keeps_the_first_of_each_post() -> None:
    y = np.array(["outage", "other", "outage", "other"])
    keep, info = duplicate_rows(["a", "b", " a", "c"], y, also_in=["c"])
    assert keep.tolist() == [0, 1]
    assert info["dropped"] == 1 and info["also_labelled"] == 1


# --- 5. symptoms of a model trained without them ---------------------------------------------
def test_a_model_trained_without_symptoms_learns_them_from_the_seed_posts(
    trained: dict, repo_root: Path
) -> None:
    card = trained["card"]
    assert card["task"]["symptom_col"] is None
    assert card["task"]["symptoms_from"].startswith("the project's 1590 seed outage posts")
    assert set(card["task"]["symptoms"]) >= {"access", "app", "connectivity", "messaging"}
    assert (
        "symptoms: the training data has none; learned from the project's 1590 seed outage "
        "posts (data/seed_posts.csv) plus the keyword rules\n"
    ) in trained["stderr"]
    model = load_model(trained["out"])
    symptoms = model.estimator.predict_symptom(
        ["can't log in to my account", "no internet since this morning", "emails stuck in outbox"]
    )
    assert symptoms.tolist() == ["access", "connectivity", "messaging"]


# --- 6, 7, 11. the model folder ---------------------------------------------------------------
def test_the_model_folder_follows_the_umask(trained: dict) -> None:
    umask = os.umask(0)
    os.umask(umask)
    assert trained["out"].stat().st_mode & 0o777 == 0o777 & ~umask


def test_train_says_the_size_in_kb_for_a_small_model(trained: dict) -> None:
    size = trained["card"]["model_bytes"]
    assert size < 1_000_000
    assert f"wrote {trained['out']} ({round(size / 1000)} KB)\n" in trained["stderr"]


def test_out_under_a_file_exits_73_before_training(tmp_path: Path, trained: dict, capsys) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    argv = ["train", "--data", str(trained["data"]), "--out", str(blocker / "m"), *LABELS]
    code, _, err = run(argv, capsys)
    assert code == 73
    assert (
        err
        == f"error: cannot create --out '{blocker / 'm'}': '{blocker}' is a file, not a folder\n"
    )


# --- 8, 9. labels at evaluation and promotion ---------------------------------------------------
def test_evaluate_warns_about_label_values_never_seen_in_training(
    trained: dict, tmp_path: Path, capsys
) -> None:
    frame = trained["frame"].copy()
    frame.loc[frame.index[:7], "status"] = "maybe"
    path = tmp_path / "hold.csv"
    frame.to_csv(path, index=False)
    code, out, err = evaluate(path, trained["out"], capsys)
    assert code == 0, err
    assert json.loads(out)["warnings"][0] == (
        "label value 'maybe' (7 rows) was never a label of mine's training data (complained, "
        "fine): counted as not 'complained'"
    )


def _promote_on_new_seed_posts(
    registry: Path, seed: pd.DataFrame, trained: dict, tmp_path: Path, capsys
) -> tuple[int, str, str, Path, int]:
    """``models promote mine`` on seed posts it was not trained on (the default was):
    exit code, stdout, stderr, the file and its number of posts."""
    hold = users(seed, n=40, random_state=11)
    hold = hold[~hold.message.isin(trained["frame"].message)]
    path = tmp_path / "hold.csv"
    hold.to_csv(path, index=False)
    argv = ["models", "--models-dir", str(registry), "promote", "mine", "--data", str(path)]
    argv.append("--same-task")  # its 'complained' is the default's 'outage'
    code, out, err = run([*argv, "--text-col", "message", "--label-col", "status"], capsys)
    return code, out, err, path, len(hold)


def test_promote_takes_the_positive_label_from_the_card(
    registry: Path, seed: pd.DataFrame, trained: dict, tmp_path: Path, capsys
) -> None:
    code, out, err, _, _ = _promote_on_new_seed_posts(registry, seed, trained, tmp_path, capsys)
    assert "no positive class" not in err
    assert code in (0, 65), err
    if code == 0:
        assert json.loads(out)["positive"] == "complained"
    else:
        assert "not promoting 'mine': F1 " in err


def test_promote_says_when_the_default_was_trained_on_the_comparison_posts(
    registry: Path, seed: pd.DataFrame, trained: dict, tmp_path: Path, capsys
) -> None:
    """The default's F1 on posts it was trained on is fit: the refusal says so."""
    code, _, err, path, n = _promote_on_new_seed_posts(registry, seed, trained, tmp_path, capsys)
    assert code == 65, err
    assert re.fullmatch(
        rf"error: not promoting 'mine': F1 0\.\d{{4}} on {re.escape(str(path))} is worse than "
        rf"the default 'outage-v2' \(\d\.\d{{4}}, trained on {n} of these {n} posts: fit, not "
        r"quality\); use --force to promote anyway",
        err.splitlines()[-1],
    )
    assert f"warning: {n} of {n} posts (100.0%) of {path} are posts outage-v2 was" in err


# --- 10. messages ---------------------------------------------------------------------------------
def test_a_file_without_labelled_rows_says_so(tmp_path: Path, capsys) -> None:
    path = tmp_path / "header.csv"
    path.write_text("message,status\n")
    code, _, err = run(
        ["train", "--data", str(path), "--out", str(tmp_path / "m"), *LABELS], capsys
    )
    assert code == 65
    assert err.splitlines()[-1] == (
        f"error: no labelled rows in --data '{path}': no row has both a text ('message') and a "
        "label ('status')"
    )


def test_evaluate_on_one_class_says_evaluation_needs_both(
    trained: dict, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "fine.csv"
    trained["frame"].assign(status="fine").to_csv(path, index=False)
    code, _, err = run(
        ["evaluate", "--data", str(path), "--model", str(trained["out"]), *LABELS], capsys
    )
    assert code == 65
    assert err.splitlines()[-1] == (
        "error: the labels have only one value (fine); evaluation needs posts of at least two "
        "classes (the positive class and the rest)"
    )


def test_a_baseline_train_file_without_the_column_names_its_option(
    trained: dict, tmp_path: Path, capsys
) -> None:
    other = tmp_path / "other.csv"
    trained["frame"].rename(columns={"status": "verdict"}).to_csv(other, index=False)
    argv = ["evaluate", "--data", str(trained["data"]), "--model", str(trained["out"])]
    code, _, err = run([*argv, "--baseline-train", str(other), *LABELS], capsys)
    assert code == 65
    assert err.splitlines()[-1] == (
        f"error: --baseline-train file '{other}' has no column 'status' (--label-col); "
        "columns found: message, verdict"
    )


def test_a_model_saved_without_hashes_is_checked_against_its_training_file(
    trained: dict, tmp_path: Path
) -> None:
    """Models trained before the hashes were kept: their card's training files, when still
    there unchanged, give the posts."""
    from detector.text.modelstore import save_model, sha256_of
    from detector.text.training import trained_on_posts

    model = load_model(trained["out"])
    card = {
        **model.card,
        "data": [{"path": str(trained["data"]), "sha256": sha256_of(trained["data"])}],
    }
    del card["training_texts"]
    save_model(model.estimator, tmp_path / "old", card)
    old = load_model(tmp_path / "old")
    texts = trained["frame"].message.tolist()[:50] + ["a post it never saw"] * 50
    assert trained_on_posts(old, texts) == {"posts": 50, "n": 100, "share": 0.5}
    trained["data"].with_name("moved.csv").write_bytes(trained["data"].read_bytes())
    card["data"][0]["path"] = str(tmp_path / "gone.csv")
    save_model(model.estimator, tmp_path / "old", card)
    assert trained_on_posts(load_model(tmp_path / "old"), texts) is None


def test_training_only_copies_of_labelled_posts_are_dropped(
    seed: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    mine = users(seed)
    data, extra = tmp_path / "mine.csv", tmp_path / "extra.csv"
    mine.to_csv(data, index=False)
    others = users(seed, n=10, random_state=7)
    others = others[~others.message.isin(mine.message)]
    # 20 copies of labelled posts (they would be scored by models trained on themselves)
    pd.concat([mine.head(20), others]).to_csv(extra, index=False)
    code, _, err = run(
        ["train", "--data", str(data), "--train-only", str(extra), *LABELS,
         "--candidates", "post-nolex", "--cv", "3", "--out", str(tmp_path / "m")],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "duplicates in --train-only: 20 posts also in the labelled data dropped" in err
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["duplicates"]["train_only"]["also_labelled"] == 20
    assert card["rows"] == len(mine) + len(others)  # the copies are not trained on


@pytest.mark.parametrize("name", ["outage-v1", "outage-v2", "outage-v2-tier"])
def test_shipped_models_know_their_training_posts_from_any_folder(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped models keep their training posts' hashes: a holdout cut from the seed
    posts (or the shared labelled posts) is recognised wherever the user runs evaluate
    and whether or not the training files are there (before: no warning, F1 0.98)."""
    from detector.paths import project_path
    from detector.text.modelstore import text_hashes, training_hashes

    monkeypatch.chdir(tmp_path)
    folder = project_path("models", name)
    card = json.loads((folder / "card.json").read_text())
    hashes = training_hashes(folder, card)  # checked against the card's sha256
    assert hashes is not None
    assert card["training_texts"]["posts"] == len(hashes) > 7000
    seed = pd.read_csv(project_path("data", "seed_posts.csv"))
    texts = seed.text.tolist()[:40] + [f"a post no one wrote {i}" for i in range(10)]
    assert int(np.isin(text_hashes(texts), hashes).sum()) == 40


def test_evaluate_warns_about_the_default_models_training_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from detector.paths import project_path

    monkeypatch.chdir(tmp_path)
    seed = pd.read_csv(project_path("data", "seed_posts.csv")).head(60)
    seed["text"] = seed.text.str.upper()
    seed.to_csv(tmp_path / "holdout.csv", index=False)
    code, out, err = run(["evaluate", "--data", "holdout.csv", "--no-baseline"], capsys)
    assert code == 0, err
    assert json.loads(out)["trained_on"] == {"posts": 60, "n": 60, "share": 1.0}
