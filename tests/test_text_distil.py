"""Distillation through unlabelled posts: the pool, the fit, and train's candidate.

The pool and the fit are tested with a real scikit-learn teacher (no torch); train's
``post-nolex-distil`` candidate, whose teacher is a fine-tuned MiniLM head, needs the
``encoder`` extra and skips without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from support import run_cli as run

from detector.errors import UsageError
from detector.text.classifier import OutageClassifier
from detector.text.distil import UnlabelledPool, fit_distilled
from detector.text.encoder import encoder_available
from detector.text.training import train_model

OUTAGE = ["app is down again", "cannot log in to my account", "no signal since noon"]
FINE = ["love the new update", "thanks for the quick reply", "what time do you open"]


def _labelled(repeat: int = 10) -> tuple[list[str], list[str], list[str]]:
    texts = [f"{t} {i}" for i in range(repeat) for t in OUTAGE + FINE]
    labels = (["outage"] * 3 + ["other"] * 3) * repeat
    groups = [f"g{i % 3}" for i in range(repeat) for _ in range(6)]
    return texts, labels, groups


def _teacher():
    return make_pipeline(CountVectorizer(), MultinomialNB())


def _fit(pool: UnlabelledPool, groups: list[str] | None, **kw) -> tuple:
    texts, labels, _ = _labelled()
    return fit_distilled(
        OutageClassifier(calibration_folds=3),
        _teacher(),
        pool,
        texts,
        np.asarray(labels, dtype=object),
        None,
        groups,
        **kw,
    )


def test_pool_reads_texts_once_with_their_groups_and_provenance(tmp_path: Path) -> None:
    path = tmp_path / "unl.csv"
    pd.DataFrame(
        {
            "text": ["site is down", "", "site is down", "  great app ", "login broken"],
            "source": ["a", "a", "b", "b", ""],
        }
    ).to_csv(path, index=False)
    lines: list[str] = []
    pool = UnlabelledPool.read([path], progress=lines.append)
    assert pool.texts == ["site is down", "great app", "login broken"]
    assert pool.groups == ["a", "b", None]
    assert pool.files[0]["rows"] == 5 and pool.files[0]["rows_used"] == 3
    assert len(pool.files[0]["sha256"]) == 64
    assert lines == [f"read {path}: 5 rows, 3 unlabelled posts kept (grouped by 'source')"]


def test_pool_without_the_text_column_says_which_columns_it_has(tmp_path: Path) -> None:
    path = tmp_path / "unl.jsonl"
    path.write_text('{"body": "down again", "source": "x"}\n')
    with pytest.raises(UsageError, match=r"has no text column 'text' \(columns: body, source\)"):
        UnlabelledPool.read([path])


def test_distilled_student_learns_pseudo_rows_as_training_only() -> None:
    texts, labels, groups = _labelled()
    lines: list[str] = []
    pool = UnlabelledPool(
        texts=["site is down again today", "love the new look", texts[0], "login down"],
        groups=["g0", "g1", "g2", None],
    )
    model, added = _fit(pool, groups, exclude_groups={"g1"}, progress=lines.append)
    assert lines == [
        "distil: fitting the teacher on 60 labelled posts",
        "distil: the teacher labels 2 unlabelled posts",
        "distil: fitted on 60 labelled + 2 pseudo-labelled posts (other: 0, outage: 2)",
    ]
    # "love the new look" is of a held-out group, texts[0] a training post: both left out
    assert added == {"pseudo_labelled": 2, "pseudo_labels": {"other": 0, "outage": 2}}
    assert model.oof_scored_ == len(texts)  # the pseudo rows never chose the threshold
    assert model.predict(["site is down again today"]).tolist() == ["outage"]


def test_distilled_student_without_groups_calibrates_on_the_labelled_rows_only() -> None:
    texts, labels, _ = _labelled()
    pool = UnlabelledPool(texts=["the app is down", "nice"], groups=[None, None])
    model, added = _fit(pool, None)
    assert added["pseudo_labelled"] == 2
    assert model.oof_scored_ == len(texts)


def test_train_refuses_a_distilling_candidate_without_unlabelled_posts(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="give them with --unlabelled FILE"):
        train_model([tmp_path / "x.csv"], tmp_path / "m", candidates=["post-nolex-distil"])


def test_train_cli_refuses_unlabelled_posts_no_candidate_reads(tmp_path: Path, capsys) -> None:
    (tmp_path / "unl.csv").write_text("text\nsite down\n")
    code, _, err = run(
        [
            "train",
            "--data",
            str(tmp_path / "labels.csv"),
            "--unlabelled",
            str(tmp_path / "unl.csv"),
            "--out",
            str(tmp_path / "m"),
        ],
        capsys,
    )
    assert code != 0
    assert "--unlabelled posts are read only by a candidate that distils a teacher" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.skipif(
    not encoder_available(), reason="needs the encoder extra: pip install '.[encoder]'"
)
def test_train_distils_the_fine_tuned_head_into_a_fast_model(tmp_path: Path) -> None:
    from detector.text import training
    from detector.text.modelstore import load_model

    texts, labels, groups = _labelled(8)
    pd.DataFrame({"text": texts, "label": labels, "source": groups}).to_csv(
        tmp_path / "labels.csv", index=False
    )
    unl = ["the site is down for me", "great service thanks", "cannot log in since noon"]
    pd.DataFrame({"text": unl, "source": ["g0", "g1", "elsewhere"]}).to_csv(
        tmp_path / "unl.csv", index=False
    )
    teacher = training.CANDIDATES["post-nolex-distil"][training.DISTIL]
    saved = dict(teacher)
    teacher.update({"top_layers": 1, "epochs": 2, "max_length": 16, "threads": 1})
    try:
        card = train_model(
            [tmp_path / "labels.csv"],
            tmp_path / "m",
            cv=3,
            candidates=["post-nolex-distil"],
            baseline=False,
            unlabelled=[tmp_path / "unl.csv"],
        )
    finally:
        teacher.clear()
        teacher.update(saved)
    assert card["selection"]["winner"] == "post-nolex-distil"
    written = json.loads((tmp_path / "m" / "card.json").read_text())
    assert written["distillation"]["pseudo_labelled"] == 3  # the final fit holds nothing out
    assert sum(written["distillation"]["pseudo_labels"].values()) == 3
    assert written["distillation"]["teacher"]["top_layers"] == 1
    assert written["distillation"]["held_out_groups"].startswith("2 of 3 unlabelled posts")
    assert [f["file"] for f in written["data"]] == ["labels.csv", "unl.csv"]
    assert written["cv"]["rows_training_only"] == 0 and written["cv"]["n"] == len(texts)
    loaded = load_model(tmp_path / "m")
    assert training.trained_on_posts(loaded, unl)["posts"] == 3  # evaluate warns on them too
    model = loaded.estimator
    assert isinstance(model, OutageClassifier)  # the teacher is not saved: no torch to score
    assert not hasattr(model, "distilled_")


def test_a_fold_never_learns_from_its_held_out_posts_in_the_pool() -> None:
    texts, labels, groups = _labelled()
    held_out = "Site  is DOWN again today"  # the fold's test post, spelt differently
    pool = UnlabelledPool(texts=["site is down again today", "login down"], groups=[None, None])
    _, added = _fit(pool, groups, exclude_texts=[held_out])
    assert added["pseudo_labelled"] == 1


def test_pool_groups_are_cleaned_as_the_labelled_files_groups(tmp_path: Path) -> None:
    path = tmp_path / "unl.jsonl"
    path.write_text(
        '{"text": "down again", "source": 2.0}\n{"text": null, "source": 1}\n'
        '{"text": "fine", "source": null}\n'
    )
    pool = UnlabelledPool.read([path])
    assert pool.texts == ["down again", "fine"]
    assert pool.groups == ["2", None]


def test_the_card_says_whether_held_out_groups_could_be_left_out() -> None:
    from detector.text.training import _pool_groups_note

    pool = UnlabelledPool(texts=["a", "b", "c"], groups=["x", "y", None])
    assert _pool_groups_note(pool, ["x", "z", None], "source") == (
        "1 of 3 unlabelled posts share a 'source' value with the labelled posts; a fold "
        "leaves out those of its held-out groups"
    )
    assert _pool_groups_note(pool, ["q"], "source").startswith(
        "not left out: no unlabelled post has a 'source' value of the labelled posts"
    )
    assert _pool_groups_note(pool, None, "source").startswith("not applicable")
