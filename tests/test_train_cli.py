"""`outage-detector train` / `evaluate` / `models` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support import run_cli as run

from detector.text.training import select_winner


@pytest.fixture(scope="module")
def seed(repo_root) -> pd.DataFrame:
    return pd.read_csv(repo_root / "data/seed_posts.csv", keep_default_na=False)


@pytest.fixture()
def users_csv(tmp_path: Path, seed: pd.DataFrame) -> Path:
    """A user's own file: columns 'message' and 'status' with values complained / fine."""
    frame = seed.groupby("label", group_keys=False).sample(40, random_state=1)
    users = pd.DataFrame(
        {
            "message": frame.text,
            "status": frame.label.map(
                {"outage": "complained", "complaint": "fine", "other": "fine"}
            ),
        }
    )
    path = tmp_path / "users.csv"
    users.to_csv(path, index=False)
    return path


def metrics_warning(path: Path, model: Path) -> str:
    return (
        f"{path} is a file {model.name} was trained on (its card's data: {path.name}): these "
        "metrics measure how well it fits its training posts, not how it does on new ones; "
        "evaluate on posts it never saw"
    )


def test_train_on_users_labels_then_evaluate(tmp_path: Path, users_csv: Path, capsys) -> None:
    out_dir = tmp_path / "mine"
    code, out, err = run(
        [
            "train",
            "--data",
            str(users_csv),
            "--out",
            str(out_dir),
            "--text-col",
            "message",
            "--label-col",
            "status",
            "--positive",
            "complained",
            "--cv",
            "2",
            "--seed",
            "3",
            "--threshold-metric",
            "macro_f1",
        ],
        capsys,
    )
    assert code == 0, err
    assert "comparing post, post-nolex, baseline by stratified 2-fold cross-validation" in err
    assert "wrote" in err
    printed = json.loads(out)
    assert printed["cv"]["folds"] == 2
    assert set(printed["comparison"]) == {"post", "post-nolex", "baseline"}
    assert printed["selected"] == select_winner(printed["comparison"], decision="macro_f1")
    chosen, base = printed["comparison"][printed["selected"]], printed["comparison"]["baseline"]
    assert chosen["pr_auc"] >= base["pr_auc"] and chosen["macro_f1"] >= base["macro_f1"]
    card = json.loads((out_dir / "card.json").read_text())
    assert card["task"]["mode"] == "binary" and card["task"]["positive"] == "complained"
    assert card["rows_per_class"] == {"complained": 40, "not complained": 80}
    assert card["data"][0]["rows"] == 120 and len(card["data"][0]["sha256"]) == 64
    assert card["parameters"]["random_state"] == 3
    assert card["parameters"]["threshold_metric"] == "macro_f1"
    assert {"scikit-learn", "skops", "numpy"} <= set(card["library_versions"])
    assert card["created"].endswith("Z")
    assert {"precision", "recall", "f1", "macro_f1", "pr_auc"} <= set(card["cv"])
    assert card["selection"]["winner"] == printed["selected"]
    assert card["selection"]["metric"] == "pr_auc"

    code, out, err = run(
        [
            "evaluate",
            "--data",
            str(users_csv),
            "--model",
            str(out_dir),
            "--text-col",
            "message",
            "--label-col",
            "status",
            "--quiet",
        ],
        capsys,
    )
    assert code == 0, err
    # its own training file: said, even with --quiet, on stderr and in the metrics
    share = (
        f"120 of 120 posts (100.0%) of {users_csv} are posts mine was trained on (the same "
        "text, ignoring case and spacing): on those the metrics measure fit, not quality on "
        "new posts"
    )
    assert err == f"warning: {metrics_warning(users_csv, out_dir)}\nwarning: {share}\n"
    metrics = json.loads(out)
    assert metrics["warnings"] == [metrics_warning(users_csv, out_dir), share]
    assert {"precision", "recall", "f1", "macro_f1", "pr_auc", "n", "confusion"} <= set(metrics)
    assert set(metrics["confusion"]) == {"tp", "fp", "fn", "tn"}
    assert metrics["n"] == 120 and metrics["positive"] == "complained"
    assert metrics["f1"] > 0.8  # scored on its own training posts
    assert metrics["baseline"]["n"] == 120
    assert "cross-validation on the evaluation data" in metrics["baseline"]["trained"]


def test_train_three_classes_from_jsonl(tmp_path: Path, seed: pd.DataFrame, capsys) -> None:
    frame = seed.groupby("label", group_keys=False).sample(30, random_state=2)
    path = tmp_path / "posts.jsonl.gz"
    frame.to_json(path, orient="records", lines=True, compression="gzip")
    code, out, err = run(
        ["train", "--data", str(path), "--out", str(tmp_path / "m3"), "--cv", "2", "-q"], capsys
    )
    assert code == 0, err
    card = json.loads((tmp_path / "m3" / "card.json").read_text())
    assert card["task"]["mode"] == "3class"
    assert card["task"]["classes"] == ["complaint", "other", "outage"]
    assert "symptom_accuracy" in card["cv"] and "macro_f1_3class" in card["cv"]


def test_too_little_data_exits_65_naming_the_class(tmp_path: Path, seed, capsys) -> None:
    frame = pd.concat([seed[seed.label == "outage"].head(12), seed[seed.label == "other"].head(40)])
    path = tmp_path / "tiny.csv"
    frame.assign(label=frame.label.map({"outage": "complained", "other": "fine"})).to_csv(
        path, index=False
    )
    code, _, err = run(
        ["train", "--data", str(path), "--out", str(tmp_path / "m"), "--positive", "complained"],
        capsys,
    )
    assert code == 65
    assert "class 'complained' of --label-col 'label' has 12 examples; at least 20" in err
    assert not (tmp_path / "m").exists()


def test_missing_column_names_the_columns_found(tmp_path: Path, capsys) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("words\tverdict\nhello\t1\n")
    code, _, err = run(["train", "--data", str(path), "--out", str(tmp_path / "m")], capsys)
    assert code == 65
    assert "has no column 'text' (--text-col); columns found: words, verdict" in err
    # a usual name for posts (body) is read as score reads it; the label is still missing
    path.write_text("body\tverdict\nhello\t1\n")
    code, _, err = run(["train", "--data", str(path), "--out", str(tmp_path / "m")], capsys)
    assert code == 65
    assert "x.tsv: post texts from body (as score reads them)" in err
    assert "has no column 'label' (--label-col); columns found: body, verdict" in err


def test_missing_file_exits_66(tmp_path: Path, capsys) -> None:
    code, _, err = run(["train", "--data", str(tmp_path / "no.csv"), "--out", "m"], capsys)
    assert code == 66
    assert "does not exist" in err


def test_unknown_positive_value_lists_values(users_csv: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(
        [
            "train",
            "--data",
            str(users_csv),
            "--out",
            str(tmp_path / "m"),
            "--text-col",
            "message",
            "--label-col",
            "status",
            "--positive",
            "angry",
        ],
        capsys,
    )
    assert code == 65
    assert "--positive 'angry' is not a label value; values found: complained, fine" in err


def test_bad_cv_is_a_usage_error(users_csv: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(
        ["train", "--data", str(users_csv), "--out", str(tmp_path / "m"), "--cv", "1"], capsys
    )
    assert code == 64
    assert "--cv must be an integer >= 2" in err


def test_fewer_groups_than_cv_folds_hold_out_each_group(
    tmp_path: Path, seed: pd.DataFrame, capsys
) -> None:
    """3 sources and --cv 5: 3 folds, each holding out a source, and every message says
    3 (it said 5 folds and ran 3 with training-only rows, and fell back to stratified
    folds without them)."""
    frame = seed.groupby("label", group_keys=False).sample(30, random_state=2)
    frame = frame.assign(source=[("a", "b", "c")[i % 3] for i in range(len(frame))])
    data = tmp_path / "real.csv"
    frame.to_csv(data, index=False)
    out_dir = tmp_path / "few"
    argv = ["train", "--data", str(data), "--out", str(out_dir), "--candidates", "post"]
    code, _, err = run([*argv, "--cv", "5"], capsys)
    assert code == 0, err
    how = "3 folds holding out whole 'source' groups (3 groups, fewer than --cv 5)"
    assert f"by {how} cross-validation" in err
    card = json.loads((out_dir / "card.json").read_text())
    assert card["cv"]["folds"] == 3 and card["cv"]["grouped"] is True
    assert card["cv_note"].startswith(f"{how} cross-validation")
    assert f"({how})" in card["threshold_chosen_on"]


def test_grouped_cv_with_training_only_rows(tmp_path: Path, seed: pd.DataFrame, capsys) -> None:
    frame = seed.groupby("label", group_keys=False).sample(45, random_state=2)
    frame = frame.assign(source=[("a", "b", "c")[i % 3] for i in range(len(frame))])
    data = tmp_path / "real.csv"
    frame.to_csv(data, index=False)
    extra = tmp_path / "written.csv"
    # training-only posts that are not among the labelled ones (copies would be dropped)
    others = seed.drop(frame.index).groupby("label", group_keys=False)
    others.sample(10, random_state=3).to_csv(extra, index=False)
    out_dir = tmp_path / "grouped"
    argv = ["train", "--data", str(data), "--train-only", str(extra), "--out", str(out_dir)]
    code, out, err = run([*argv, "--candidates", "post", "--cv", "3"], capsys)
    assert code == 0, err
    assert "3 folds holding out whole 'source' groups (3 groups); 30 training-only rows" in err
    card = json.loads((out_dir / "card.json").read_text())
    assert card["cv"]["grouped"] is True and card["cv"]["n"] == 135
    assert card["cv"]["rows_training_only"] == 30
    assert card["rows"] == 165 and card["rows_per_class"] == {
        "complaint": 45,
        "other": 45,
        "outage": 45,
    }
    assert [f.get("role", "") for f in card["data"]][1].startswith("training only")
    assert "training-only rows" in card["threshold_chosen_on"]
    assert list(card["selection"]["candidates"]) == ["post", "baseline"]


def test_training_only_labels_take_their_texts_by_uid(
    tmp_path: Path, seed: pd.DataFrame, capsys
) -> None:
    """Labels kept apart from the posts (--texts): the same model as with the texts inline,
    the texts' file recorded on the card, and an unknown uid refused by name."""
    frame = seed.groupby("label", group_keys=False).sample(45, random_state=2)
    frame = frame.assign(source=[("a", "b", "c")[i % 3] for i in range(len(frame))])
    data = tmp_path / "real.csv"
    frame.to_csv(data, index=False)
    extra = seed.groupby("label", group_keys=False).sample(10, random_state=3)
    extra = extra.assign(uid=[f"p{i}" for i in range(len(extra))])
    inline = tmp_path / "inline.csv"
    extra.to_csv(inline, index=False)
    posts = tmp_path / "posts.csv"
    extra[["uid", "text"]].iloc[::-1].to_csv(posts, index=False)  # any order
    labels = tmp_path / "labels.csv"
    extra.drop(columns=["text"]).to_csv(labels, index=False)
    common = ["train", "--data", str(data), "--candidates", "post", "--cv", "3"]
    code, _, err = run([*common, "--train-only", str(inline), "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    argv = [*common, "--train-only", str(labels), "--texts", str(posts)]
    code, _, err = run([*argv, "--out", str(tmp_path / "b")], capsys)
    assert code == 0, err
    a, b = (json.loads((tmp_path / m / "card.json").read_text()) for m in ("a", "b"))
    assert b["cv"] == a["cv"] and b["threshold"] == a["threshold"]
    assert b["data"][1]["texts_from"][0]["file"] == "posts.csv"
    assert "texts_from" not in a["data"][1]
    extra[["uid", "text"]].iloc[1:].to_csv(posts, index=False)  # p0 now has no text
    code, _, err = run([*argv, "--out", str(tmp_path / "c")], capsys)
    assert code != 0
    assert "1 id of" in err and "(column 'uid') not found in the --texts files: 'p0'" in err


def test_labelled_data_by_uid_trains_as_with_texts_inline(
    tmp_path: Path, users_csv: Path, capsys
) -> None:
    """--data itself may name its posts by uid (the README's example)."""
    users = pd.read_csv(users_csv).assign(uid=lambda f: [f"u{i}" for i in range(len(f))])
    users[["uid", "message"]].rename(columns={"message": "text"}).to_csv(
        tmp_path / "posts.csv", index=False
    )
    users.drop(columns=["message"]).to_csv(tmp_path / "labels.csv", index=False)
    users.rename(columns={"message": "text"}).to_csv(tmp_path / "inline.csv", index=False)
    common = ["--label-col", "status", "--positive", "complained", "--cv", "2", "--seed", "3"]
    code, _, err = run(
        ["train", "--data", str(tmp_path / "inline.csv"), "--out", str(tmp_path / "a"), *common],
        capsys,
    )
    assert code == 0, err
    argv = ["train", "--data", str(tmp_path / "labels.csv"), "--texts", str(tmp_path / "posts.csv")]
    code, _, err = run([*argv, "--out", str(tmp_path / "b"), *common], capsys)
    assert code == 0, err
    a, b = (json.loads((tmp_path / m / "card.json").read_text()) for m in ("a", "b"))
    assert b["cv"] == a["cv"] and b["selection"] == a["selection"]
    assert b["data"][0]["texts_from"][0]["file"] == "posts.csv"


def test_unknown_candidate_is_a_usage_error(users_csv: Path, tmp_path: Path, capsys) -> None:
    argv = ["train", "--data", str(users_csv), "--out", str(tmp_path / "m")]
    code, _, err = run(
        [
            *argv,
            "--text-col",
            "message",
            "--label-col",
            "status",
            "--positive",
            "complained",
            "--candidates",
            "post,bert",
        ],
        capsys,
    )
    assert code == 64
    assert "unknown candidate pipeline(s) bert" in err


def test_baseline_candidate_predicts_exactly_as_the_plain_pipeline(seed: pd.DataFrame) -> None:
    """The reference ``train`` keeps unless beaten is the plain TF-IDF + LR, exactly, at a
    tuned threshold: it flags the posts the plain pipeline ranks highest."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    from detector.text.training import CANDIDATES, _fit_estimator

    frame = seed.groupby("label", group_keys=False).sample(60, random_state=4)
    texts, y = frame.text.tolist(), np.where(frame.label == "complaint", "outage", "other")
    model = _fit_estimator(0, {**CANDIDATES["baseline"]}, texts, y, None, None)
    plain = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ),
        LogisticRegression(max_iter=2000, C=10),
    ).fit(texts, y == "outage")
    probe = seed.text.tolist()[:400]
    ours = model.predict_columns(probe)["is_positive"]
    prob = plain.predict_proba(probe)[:, 1]
    assert 0 < ours.sum() < len(probe)
    assert ours.tolist() == (prob >= prob[ours].min()).tolist()
    assert 0.0 < model.threshold_ < 1.0


def test_select_winner_keeps_the_baseline_unless_beaten_on_both() -> None:
    base = {"pr_auc": 0.80, "f1": 0.70, "macro_f1": 0.80}
    cv = {"better_rank_worse_f1": {"pr_auc": 0.85, "f1": 0.69, "macro_f1": 0.79}, "baseline": base}
    assert select_winner(cv) == "baseline"
    cv["within_noise"] = {"pr_auc": 0.804, "f1": 0.75, "macro_f1": 0.83}
    assert select_winner(cv) == "baseline"
    cv["clear"] = {"pr_auc": 0.83, "f1": 0.70, "macro_f1": 0.79}
    assert select_winner(cv) == "clear"
    assert select_winner(cv, decision="macro_f1") == "baseline"


def test_a_plain_feature_winner_loads_and_scores(tmp_path: Path, seed: pd.DataFrame) -> None:
    from detector.text.modelstore import load_model
    from detector.text.training import train_model

    frame = seed.groupby("label", group_keys=False).sample(30, random_state=6)
    data = tmp_path / "mine.csv"
    frame.assign(label=(frame.label == "complaint").astype(int)).to_csv(data, index=False)
    card = train_model([data], tmp_path / "m", candidates=["baseline"], cv=2, positive="1")
    assert card["selection"]["winner"] == "baseline"
    assert card["threshold_chosen_on"].startswith("out-of-fold scores of 90 rows maximising f1")
    assert len(load_model(tmp_path / "m").predict_posts(["refund please"])) == 1


def test_no_baseline_lets_the_best_candidate_win(users_csv: Path, tmp_path: Path, capsys) -> None:
    argv = ["train", "--data", str(users_csv), "--out", str(tmp_path / "m"), "--cv", "2"]
    labels = ["--text-col", "message", "--label-col", "status", "--positive", "complained"]
    code, out, err = run([*argv, *labels, "--candidates", "post", "--no-baseline"], capsys)
    assert code == 0, err
    printed = json.loads(out)
    assert set(printed["comparison"]) == {"post"} and printed["selected"] == "post"
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert "the plain baseline was not compared" in card["selection"]["rule"]


def test_the_cli_default_candidates_are_the_libraries() -> None:
    from detector.cli.train import train_command
    from detector.text.training import DEFAULT_CANDIDATES

    option = next(p for p in train_command.params if p.name == "candidates")
    assert tuple(option.default.split(",")) == DEFAULT_CANDIDATES


def test_evaluate_fits_the_baseline_on_the_training_file_to_check_train_on_held_out_posts(
    tmp_path: Path, seed: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --baseline-train, the baseline is the plain pipeline fitted on the model's own
    training data and scored on the held-out file: a model that kept the baseline
    (``--candidates baseline``) then predicts exactly as it does."""
    frame = seed.assign(label=(seed.label == "complaint").astype(int))
    train = frame.sample(300, random_state=2)
    held_out = frame.drop(train.index).sample(400, random_state=3)
    train.to_csv(tmp_path / "train.csv", index=False)
    held_out.to_csv(tmp_path / "held_out.csv", index=False)
    code, _, err = run(
        ["train", "--data", str(tmp_path / "train.csv"), "--out", str(tmp_path / "m")]
        + ["--positive", "1", "--candidates", "baseline", "--cv", "3", "-q"],
        capsys,
    )
    assert code == 0, err
    code, out, err = run(
        ["evaluate", "--data", str(tmp_path / "held_out.csv"), "--model", str(tmp_path / "m")]
        + ["--positive", "1", "--baseline-train", str(tmp_path / "train.csv"), "-q"],
        capsys,
    )
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics["baseline"]["trained"].endswith(
        f"fitted on 300 posts of {tmp_path / 'train.csv'} with its threshold tuned for f1 on "
        "out-of-fold scores, as train fits it, and scored on the evaluation data"
    )
    for key in ("confusion", "f1", "precision", "recall"):
        assert metrics[key] == metrics["baseline"][key]
    assert metrics["confusion"]["tp"] + metrics["confusion"]["fn"] == int(held_out.label.sum())


def test_evaluate_takes_texts_by_uid(
    tmp_path: Path, seed: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    """evaluate with labels by uid (--texts) prints the same metrics as with the texts."""
    held_out = seed.sample(200, random_state=4).assign(uid=lambda f: [f"h{i}" for i in range(200)])
    held_out.to_csv(tmp_path / "inline.csv", index=False)
    held_out.drop(columns=["text"]).to_csv(tmp_path / "labels.csv", index=False)
    held_out[["uid", "text"]].to_csv(tmp_path / "posts.csv", index=False)
    outs = []
    for argv in (
        ["--data", str(tmp_path / "inline.csv")],
        ["--data", str(tmp_path / "labels.csv"), "--texts", str(tmp_path / "posts.csv")],
    ):
        code, out, err = run(["evaluate", *argv, "--no-baseline", "-q"], capsys)
        assert code == 0, err
        outs.append(json.loads(out.replace(argv[1], "FILE")))  # warnings name the file
    assert outs[0] == outs[1] and outs[0]["n"] == 200


def test_texts_by_uid_edge_cases(
    tmp_path: Path, seed: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ids compare as text (1 and 1.0 are one id), an id with two different texts is
    refused, an empty text never stands for a post, a file with its own text column keeps
    it (and says --texts went unused), and --baseline-train reads labels by uid too."""
    from detector.errors import SchemaError
    from detector.text.training import TextsById

    posts = seed.sample(120, random_state=5).reset_index(drop=True)
    pd.DataFrame(
        {"uid": [float(i) for i in range(120)] + [None], "text": [*posts.text, "x"]}
    ).to_json(tmp_path / "floats.jsonl", orient="records", lines=True)
    labels = posts.drop(columns=["text"]).assign(uid=range(120))
    labels.to_csv(tmp_path / "labels.csv", index=False)
    joined = TextsById.read([tmp_path / "floats.jsonl"]).attach(labels, "labels.csv", "text")
    assert joined.text.tolist() == posts.text.tolist()

    pd.DataFrame({"uid": [1, 2], "text": ["a post", ""]}).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"uid": [2, 3], "text": ["b post", "c"]}).to_csv(tmp_path / "b.csv", index=False)
    both = TextsById.read([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert both.text == {"1": "a post", "2": "b post", "3": "c"}  # the empty text skipped
    pd.DataFrame({"uid": [3], "text": ["other"]}).to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(SchemaError, match=r"id '3' has two different texts: in '.*b.csv' and"):
        TextsById.read([tmp_path / "b.csv", tmp_path / "c.csv"])

    # a file with its own texts keeps them; --texts unused is said
    inline = posts.assign(uid=range(120))
    inline.to_csv(tmp_path / "inline.csv", index=False)
    pd.DataFrame({"uid": range(120), "text": "lol"}).to_csv(tmp_path / "lol.csv", index=False)
    outs = []
    for extra in ([], ["--texts", str(tmp_path / "lol.csv")]):
        code, out, err = run(
            ["evaluate", "--data", str(tmp_path / "inline.csv"), "--no-baseline", *extra], capsys
        )
        assert code == 0, err
        outs.append(json.loads(out))
    assert outs[0] == outs[1]
    assert "--texts unused" in err

    # the baseline's training file may name its posts by uid as well
    held = seed.drop(posts.index, errors="ignore").sample(150, random_state=6)
    held.to_csv(tmp_path / "held.csv", index=False)
    pd.DataFrame({"uid": range(120), "text": posts.text}).to_csv(tmp_path / "p.csv", index=False)
    argv = ["evaluate", "--data", str(tmp_path / "held.csv"), "-q"]
    code, by_uid, err = run(
        [
            *argv,
            "--baseline-train",
            str(tmp_path / "labels.csv"),
            "--texts",
            str(tmp_path / "p.csv"),
        ],
        capsys,
    )
    assert code == 0, err
    posts.to_csv(tmp_path / "train_inline.csv", index=False)
    code, inline_out, err = run(
        [*argv, "--baseline-train", str(tmp_path / "train_inline.csv")], capsys
    )
    assert code == 0, err
    a, b = json.loads(by_uid)["baseline"], json.loads(inline_out)["baseline"]
    assert a["confusion"] == b["confusion"] and a["pr_auc"] == b["pr_auc"]


def test_a_labelled_file_by_uid_without_texts_says_how_to_give_them(
    tmp_path: Path, seed: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    seed.head(50).drop(columns=["text"]).assign(uid=range(50)).to_csv(
        tmp_path / "l.csv", index=False
    )
    code, _, err = run(["evaluate", "--data", str(tmp_path / "l.csv"), "--no-baseline"], capsys)
    assert code != 0
    assert "names its posts by uid: give their texts with --texts FILE" in err
    code, _, err = run(
        ["evaluate", "--data", str(tmp_path / "l.csv"), "--texts", str(tmp_path / "none.csv")],
        capsys,
    )
    assert code != 0 and "--texts file '" in err and "does not exist" in err


def test_evaluate_reads_an_app_review_export_as_score_does(
    tmp_path: Path, seed: pd.DataFrame, capsys
) -> None:
    """An App Store export (Title, Review, label) needs no --text-col: the title and the
    review together, as `score` reads them, said on stderr; a file too small to
    cross-validate the plain baseline says so instead of an internal error."""
    frame = seed.groupby("label", group_keys=False).sample(30, random_state=2)
    words = frame.text.str.split()
    reviews = pd.DataFrame(
        {"Title": words.str[:3].str.join(" "), "Review": words.str[3:].str.join(" ")}
    ).assign(label=frame.label.to_numpy())
    path = tmp_path / "appstore.csv"
    reviews.to_csv(path, index=False)
    code, out, err = run(["evaluate", "--data", str(path)], capsys)
    assert code == 0
    assert "appstore.csv: post texts from Title + Review (as score reads them)" in err
    joined = tmp_path / "joined.csv"
    pd.DataFrame({"text": frame.text.to_numpy(), "label": frame.label.to_numpy()}).to_csv(
        joined, index=False
    )
    code, same, _ = run(["evaluate", "--data", str(joined)], capsys)
    # "a b c" + "\n" + "rest": the same words, so (nearly) the same scores as the joined text
    assert abs(json.loads(out)["pr_auc"] - json.loads(same)["pr_auc"]) < 0.02
    # a labels-only file: its complaint label column is never taken for the post text
    labels = reviews.drop(columns=["Title", "Review"]).assign(complaint=1)
    labels.to_csv(tmp_path / "labels.csv", index=False)
    code, _, err = run(["evaluate", "--data", str(tmp_path / "labels.csv")], capsys)
    assert code == 65 and "has no column 'text' (--text-col)" in err
    small = tmp_path / "small.csv"
    reviews.iloc[[30, 31, -2, -1]].to_csv(small, index=False)  # 2 other, 2 outage posts
    code, out, _ = run(["evaluate", "--data", str(small)], capsys)
    assert code == 0
    assert json.loads(out)["baseline"] == {
        "skipped": "the plain baseline could not be fitted on a fold of 2 posts (no word "
        "occurs twice); this data has 4 posts"
    }
    tiny = tmp_path / "tiny.csv"
    reviews.iloc[[0, -1]].to_csv(tiny, index=False)  # one outage, one other post
    code, out, _ = run(["evaluate", "--data", str(tiny)], capsys)
    assert code == 0
    assert json.loads(out)["baseline"] == {
        "skipped": "the plain baseline needs at least 2 posts of each class to be "
        "cross-validated here; this data has 1 positive and 1 other"
    }
