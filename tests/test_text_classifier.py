"""OutageClassifier: the scikit-learn estimator contract and its decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from detector.errors import NotFittedError, UsageError
from detector.text.classifier import OutageClassifier, best_f1_threshold
from detector.text.features import LEXICON_GROUPS, PlainVectorizer, PostVectorizer

SEED_POSTS = "data/seed_posts.csv"


@pytest.fixture(scope="module")
def posts(repo_root) -> pd.DataFrame:
    frame = pd.read_csv(repo_root / SEED_POSTS, keep_default_na=False)
    return frame.groupby("label", group_keys=False).sample(90, random_state=3)


@pytest.fixture(scope="module")
def fitted(posts: pd.DataFrame) -> OutageClassifier:
    return OutageClassifier(calibration_folds=3).fit(
        posts.text.tolist(), posts.label.tolist(), symptom=posts.symptom.replace("", None).tolist()
    )


def test_hyper_parameters_are_stored_unchanged_and_clone() -> None:
    clf = OutageClassifier(C=2.5, threshold=0.4, min_df=3)
    assert clf.get_params()["C"] == 2.5
    assert clf.get_params()["threshold"] == 0.4
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "model_")


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        OutageClassifier().predict(["is outlook down?"])
    with pytest.raises(ValueError):  # NotFittedError is also a ValueError, as in sklearn
        OutageClassifier().predict_proba(["x"])


def test_predict_proba_rows_sum_to_one(fitted: OutageClassifier, posts: pd.DataFrame) -> None:
    proba = fitted.predict_proba(posts.text.tolist()[:50] + ["", "a"])
    assert proba.shape == (52, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert fitted.classes_.tolist() == ["complaint", "other", "outage"]


def test_fitted_state_ends_in_underscore(fitted: OutageClassifier) -> None:
    learned = {k for k in vars(fitted) if k.endswith("_")}
    assert {"classes_", "model_", "vectorizer_", "threshold_", "calibration_"} <= learned
    assert 0.05 <= fitted.threshold_ <= 0.95


def test_decisions_on_typical_posts(fitted: OutageClassifier) -> None:
    texts = [
        "is outlook down??",
        "can't log in to my bank app",
        "no internet since 2pm",
        "happy friday everyone",
        "charged me twice this month, want a refund",
    ]
    assert fitted.predict(texts).tolist() == ["outage", "outage", "outage", "other", "complaint"]


def test_predict_matches_predict_frame_and_symptoms_only_for_outages(
    fitted: OutageClassifier, posts: pd.DataFrame
) -> None:
    texts = posts.text.tolist()
    frame = fitted.predict_frame(texts)
    assert frame.label.tolist() == fitted.predict(texts).tolist()
    assert frame.symptom[~frame.is_positive].isna().all()
    assert frame.symptom[frame.is_positive].isin(fitted.symptom_classes_).all()
    assert set(fitted.symptom_classes_) >= {"access", "app", "connectivity"}


def test_refit_is_deterministic(posts: pd.DataFrame, fitted: OutageClassifier) -> None:
    again = clone(fitted).fit(posts.text.tolist(), posts.label.tolist())
    texts = posts.text.tolist()
    np.testing.assert_allclose(again.predict_proba(texts), fitted.predict_proba(texts))


def test_binary_mode_with_users_labels() -> None:
    texts = [f"cannot reach the portal {i}" for i in range(30)] + [
        f"lovely day {i}" for i in range(30)
    ]
    labels = ["yes"] * 30 + ["no"] * 30
    clf = OutageClassifier(positive_label="yes", calibration_folds=2, min_df=1).fit(texts, labels)
    assert clf.classes_.tolist() == ["no", "yes"]
    assert clf.predict(["cannot reach the portal", "lovely day"]).tolist() == ["yes", "no"]
    assert clf.predict_proba(["x"]).shape == (1, 2)


def test_unknown_positive_label_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"'positive_label'.*Got 'outage' instead"):
        OutageClassifier().fit(["a", "b"], ["x", "y"])


def test_vectorizer_lexicon_groups_count_phrases() -> None:
    vec = PostVectorizer(min_df=1).fit(["is outlook down?", "no internet again"])
    counts = vec.lexicon_counts(["no internet and outlook is down?"]).toarray()[0]
    assert counts[LEXICON_GROUPS.index("connectivity")] >= 2  # internet, no neg_internet
    assert counts[LEXICON_GROUPS.index("down")] >= 2  # down, is down
    assert counts[LEXICON_GROUPS.index("question")] == 1


def test_vectorizer_batch_and_small_paths_agree(fitted: OutageClassifier, posts) -> None:
    vec = fitted.vectorizer_
    texts = posts.text.tolist()[:80]
    big = vec.transform(texts).toarray()
    small = np.vstack([vec.transform([t]).toarray() for t in texts[:10]])
    np.testing.assert_allclose(big[:10], small, atol=1e-12)


@pytest.mark.parametrize("lexicon_weight, length_weight", [(0.0, 0.0), (1.0, 0.0), (0.5, 0.3)])
def test_vectorizer_batch_counts_every_term_like_the_per_post_path(
    posts: pd.DataFrame, lexicon_weight: float, length_weight: float
) -> None:
    """The batch path sums repeated terms, stems that share a column and bigrams per post."""
    vec = PostVectorizer(min_df=1, lexicon_weight=lexicon_weight, length_weight=length_weight)
    vec.fit(posts.text.tolist() + ["crashing crashed crash", "is down is down"])
    texts = posts.text.tolist()[:70] + [
        "down down down is down",
        "crashing crashed crash crashes",
        "  spaces   around  ",
        "",
        "zzzunknown words only",
    ]
    big = vec.transform(texts)
    assert big.shape == (len(texts), vec.n_features_out_)
    small = np.vstack([vec.transform([t]).toarray() for t in texts])
    np.testing.assert_allclose(big.toarray(), small, atol=1e-12)
    assert big[-5].nnz > 0 and big[-2].nnz == 0  # ("" has no term; only zero columns)


def test_best_f1_threshold_takes_the_middle_of_the_plateau() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    assert best_f1_threshold(y, p) == 0.5


def test_plain_features_read_posts_as_written_and_old_models_normalise() -> None:
    vec = PlainVectorizer(min_df=1).fit(["Can't log in!!", "lunch is great"])
    assert vec.normalise(["Can't log in!!", None]).to_pylist() == ["Can't log in!!", ""]
    assert "!!" in vec.char_.vocabulary_  # punctuation is a feature, as in the baseline
    legacy = PlainVectorizer(min_df=1)
    del legacy.raw_text  # a model saved before raw_text existed
    assert legacy.normalise(["Can't log in!!"]).to_pylist() == ["cant neg_login _excl_"]


def test_plain_pipeline_symptom_rules_still_read_normalised_text(posts: pd.DataFrame) -> None:
    clf = OutageClassifier(features="plain", C=10.0, class_weight=None, calibration_folds=3)
    clf.fit(
        posts.text.tolist(), posts.label.tolist(), symptom=posts.symptom.replace("", None).tolist()
    )
    assert clf.predict_symptom(["I can't log in to Outlook"]).tolist() == ["access"]


@pytest.mark.parametrize("seed", [2, 3, 4, 7])
def test_a_calibration_never_reverses_the_order_of_the_posts(seed: int) -> None:
    """On random labels the out-of-fold Platt slope can come out negative; used, it would
    turn every decision around. The calibration then keeps the regression's own odds."""
    words = [
        "outage",
        "down",
        "login",
        "error",
        "slow",
        "app",
        "bank",
        "card",
        "wifi",
        "email",
        "refund",
        "fee",
        "help",
    ]
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(words, 5)) for _ in range(80)]
    labels = np.where(rng.random(80) < 0.5, "outage", "other").tolist()
    model = OutageClassifier(features="plain", calibration_folds=3).fit(texts, labels)
    assert model.calibration_[0] > 0
    probe = [" ".join(rng.choice(words, 5)) for _ in range(200)]
    raw = model.model_.predict_proba(model.vectorizer_.transform(probe))[:, model.positive_index_]
    calibrated = model.predict_frame(probe)["positive_prob"].to_numpy()
    order = np.argsort(raw, kind="stable")
    assert (np.diff(calibrated[order]) >= -1e-12).all()
