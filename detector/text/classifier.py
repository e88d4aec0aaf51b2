"""The outage-complaint classifier: a scikit-learn estimator over :class:`PostVectorizer`.

:class:`OutageClassifier` learns ``outage / complaint / other`` (or any labels, with
one of them the positive class: binary mode when a user's labels are
positive-vs-rest), and for posts of the positive class a symptom (see
:mod:`.symptoms`).

How it decides, and why:

- a class-weighted multinomial logistic regression on stemmed word n-grams and
  outage-lexicon groups (features that describe *how* people report failures,
  which transfer across sources better than the brands and topics of a source);
- the positive class's probability is calibrated by Platt scaling fitted on
  out-of-fold scores (``calibration_folds``), so ``outage_prob`` means what it says;
  with ``groups`` (e.g. the source of each post) the folds hold out whole groups,
  so calibration and threshold reflect posts from sources the model has not seen,
  and rows whose group is None (e.g. self-written seed posts) are only ever in the
  training folds, never scored;
- the decision threshold is chosen on the same out-of-fold scores to maximise F1
  (``threshold="auto"``), taking the middle of the near-optimal plateau rather
  than its sharpest point, which survives a different share of outage posts better.

>>> texts = ["is outlook down?", "outlook wont load", "can't log in to gmail",
...          "no internet since 2pm", "charged twice for my bill", "refund please",
...          "great lunch today", "zoom meeting in 5"] * 5
>>> labels = ["outage"] * 4 + ["complaint"] * 2 + ["other"] * 2
>>> clf = OutageClassifier(calibration_folds=2, min_df=1).fit(texts, labels * 5)
>>> clf.predict(["is gmail down?", "lunch was great"]).tolist()
['outage', 'other']
>>> clf.predict_proba(["anything"]).sum().round(6)
np.float64(1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from detector.errors import NotFittedError, UsageError
from detector.text.features import PlainVectorizer, PostVectorizer
from detector.text.linear import LinearPredictor

__all__ = ["OutageClassifier", "best_f1_threshold", "calibration_splits"]


class OutageClassifier(ClassifierMixin, LinearPredictor, BaseEstimator):
    """Classify posts as outage / complaint / other, with a calibrated positive probability.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    class_weight : "balanced" or None
        Reweight classes inversely to their frequency (outage posts are rare).
    positive_label : str
        The class whose probability is calibrated and thresholded (``outage_prob``).
    calibration_folds : int
        Stratified folds for the out-of-fold scores behind calibration and threshold.
    threshold : "auto" or float
        Probability at or above which a post is positive; "auto" picks it on the
        out-of-fold scores for ``threshold_metric``.
    threshold_metric : "f1" or "macro_f1"
        What "auto" optimises: F1 of the positive class (rare outages) or the mean
        F1 of both classes (when the rest matters as much, e.g. complaint detection).
    symptom_C : float
        Regularisation of the symptom model (trained on positive posts only).
    symptom_rules : bool
        Let the keyword rules of :mod:`.symptoms` override the symptom model on the
        clearest cues (log in -> access, no internet -> connectivity, ...).
    min_df, max_features, lexicon_weight, length_weight, stem :
        Passed to :class:`PostVectorizer`.
    features : "post" or "plain"
        :class:`PostVectorizer` (stemmed words + outage lexicon, fast) or
        :class:`~detector.text.features.PlainVectorizer` (word + char n-gram TF-IDF).
    random_state : int
        Seed of the fold split.
    """

    def __init__(
        self,
        *,
        C: float = 4.0,
        class_weight: str | None = "balanced",
        positive_label: str = "outage",
        calibration_folds: int = 5,
        threshold: str | float = "auto",
        threshold_metric: str = "f1",
        symptom_C: float = 10.0,
        symptom_rules: bool = True,
        min_df: int = 2,
        max_features: int = 50_000,
        lexicon_weight: float = 1.0,
        length_weight: float = 0.0,
        stem: bool = True,
        features: str = "post",
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.positive_label = positive_label
        self.calibration_folds = calibration_folds
        self.threshold = threshold
        self.threshold_metric = threshold_metric
        self.symptom_C = symptom_C
        self.symptom_rules = symptom_rules
        self.min_df = min_df
        self.max_features = max_features
        self.lexicon_weight = lexicon_weight
        self.length_weight = length_weight
        self.stem = stem
        self.features = features
        self.random_state = random_state

    # -- fitting -----------------------------------------------------------------------
    def fit(
        self,
        X: Sequence[str],
        y: Sequence[Any],
        *,
        symptom: Sequence[Any] | None = None,
        groups: Sequence[Any] | None = None,
    ) -> OutageClassifier:
        """Fit on posts *X* and labels *y*; *symptom* of positive posts trains the symptom model.

        *groups* (one per post, e.g. its source) makes the calibration folds hold out
        whole groups; a post whose group is None or empty is used for training only
        (never scored for calibration or the threshold).
        """
        # One BLAS thread: on a shared 2-core machine more threads make lbfgs ~20x slower.
        with threadpool_limits(limits=1):
            return self._fit(X, y, symptom, groups)

    def _fit(
        self,
        X: Sequence[str],
        y: Sequence[Any],
        symptom: Sequence[Any] | None,
        groups: Sequence[Any] | None = None,
    ) -> OutageClassifier:
        labels = np.asarray([str(v) for v in y], dtype=object)
        if len(labels) != len(X):
            raise UsageError(f"X has {len(X)} posts but y has {len(labels)} labels.")
        self.classes_ = np.unique(labels)
        if self.positive_label not in set(self.classes_):
            raise UsageError(
                f"The 'positive_label' parameter of OutageClassifier must be one of the labels "
                f"{sorted(self.classes_)}. Got {self.positive_label!r} instead."
            )
        if len(self.classes_) < 2:
            raise UsageError(f"y needs at least two classes. Got only {self.classes_.tolist()}.")
        self.vectorizer_ = self._new_vectorizer()
        normalised = self.vectorizer_.fit(X).normalise(X)
        features = self.vectorizer_.transform_normalised(normalised)
        self.positive_index_ = int(np.flatnonzero(self.classes_ == self.positive_label)[0])
        is_pos = labels == self.positive_label

        margins, scored, self.calibration_ = oof_platt(
            self,
            features,
            labels,
            calibration_splits(labels, groups, self.calibration_folds, self.random_state),
        )
        self.oof_scored_ = int(scored.sum())
        self.threshold_ = chosen_threshold(
            self, is_pos[scored], lambda: self._calibrate(margins[scored])
        )
        self.model_ = self._new_model().fit(features, labels)
        self._fit_symptoms(features, is_pos, symptom)
        return self

    def _new_vectorizer(self) -> PostVectorizer | PlainVectorizer:
        if self.features == "plain":
            return PlainVectorizer(min_df=self.min_df)
        if self.features != "post":
            raise UsageError(
                "The 'features' parameter of OutageClassifier must be 'post' or 'plain'. "
                f"Got {self.features!r} instead."
            )
        return PostVectorizer(
            min_df=self.min_df,
            max_features=self.max_features,
            lexicon_weight=self.lexicon_weight,
            length_weight=self.length_weight,
            stem=self.stem,
        )

    def _new_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000)

    def _fit_symptoms(
        self, features: Any, is_pos: np.ndarray, symptom: Sequence[Any] | None
    ) -> None:
        self.symptom_classes_ = np.array(["other"], dtype=object)
        self.symptom_model_ = None
        if symptom is None:
            return
        values = pd.Series(list(symptom), dtype=object)
        usable = is_pos & values.notna().to_numpy() & (values.astype(str).str.len() > 0).to_numpy()
        names = values[usable].astype(str).to_numpy()
        if len(np.unique(names)) >= 2:
            self.symptom_model_ = LogisticRegression(
                C=self.symptom_C, class_weight=None, max_iter=2000
            ).fit(features[np.flatnonzero(usable)], names)
            self.symptom_classes_ = self.symptom_model_.classes_
        elif len(names):
            self.symptom_classes_ = np.unique(names)

    def fit_symptoms(self, X: Sequence[str], symptom: Sequence[Any]) -> OutageClassifier:
        """(Re)fit only the symptom model, on outage posts *X* and their *symptom*, over
        this model's own features: for a model whose training posts carry no symptoms."""
        self._check_fitted()
        with threadpool_limits(limits=1):
            features = self.vectorizer_.transform(list(X))
            self._fit_symptoms(features, np.ones(len(X), dtype=bool), symptom)
        return self

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "model_")
        except SklearnNotFittedError as err:
            raise NotFittedError(
                "This OutageClassifier instance is not fitted yet; call 'fit' first."
            ) from err


def calibration_splits(
    labels: np.ndarray, groups: Sequence[Any] | None, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` row indices of the calibration folds.

    Without *groups*: stratified *folds*-fold. With *groups*: whole groups are held
    out (at most *folds* folds, fewer when there are fewer groups); rows whose group
    is None/empty/NaN are in every training fold and in no test fold. With fewer than
    two groups the grouped rows are split stratified instead.

    >>> y = np.array(["outage", "other"] * 6)
    >>> g = ["a", "a", "b", "b", "c", "c", None, None, "a", "b", "c", "a"]
    >>> splits = calibration_splits(y, g, 3, 0)
    >>> sorted(sorted({g[i] for i in test}) for _, test in splits)
    [['a'], ['b'], ['c']]
    >>> all({6, 7} <= set(train.tolist()) for train, _ in splits)
    True
    """
    n = len(labels)
    if groups is None:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(n), labels))
    if len(groups) != n:
        raise UsageError(f"groups has {len(groups)} entries but y has {n} labels.")
    names = np.asarray(
        ["" if g is None or (isinstance(g, float) and np.isnan(g)) else str(g) for g in groups],
        dtype=object,
    )
    real = np.flatnonzero(names != "")
    always = np.flatnonzero(names == "")
    if len(real) == 0:
        raise UsageError("groups: every row is training-only; nothing to calibrate on.")
    unique = np.unique(names[real])
    if len(unique) >= 2:
        from sklearn.model_selection import GroupKFold

        splitter = GroupKFold(n_splits=min(folds, len(unique)))
        inner = splitter.split(np.zeros(len(real)), labels[real], names[real])
    else:
        strat = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        inner = strat.split(np.zeros(len(real)), labels[real])
    return [(np.sort(np.concatenate([real[tr], always])), real[te]) for tr, te in inner]


def oof_platt(
    estimator: OutageClassifier, features: Any, labels: np.ndarray, splits: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-fold margins of *estimator*'s model over *splits*, the rows they cover, and
    the Platt calibration ``[slope, intercept]`` of the positive class fitted on them
    (``[1, 0]``, the regression's own probability, when the fitted slope is not
    positive: a calibration must never reverse the order of the posts)."""
    margins = np.zeros(len(labels))
    scored = np.zeros(len(labels), dtype=bool)
    for train, test in splits:
        model = estimator._new_model().fit(features[train], labels[train])
        margins[test] = estimator._margin(model.predict_proba(features[test]))
        scored[test] = True
    is_pos = labels == estimator.positive_label
    platt = LogisticRegression(C=1e4).fit(margins[scored, None], is_pos[scored])
    if platt.coef_[0, 0] <= 0.0:  # out-of-fold margins no better than noise (tiny or
        # random data): a falling calibration would reverse every decision; keep the
        # regression's own probabilities instead
        return margins, scored, np.array([1.0, 0.0])
    return margins, scored, np.array([platt.coef_[0, 0], platt.intercept_[0]])


def chosen_threshold(estimator: Any, is_pos: np.ndarray, prob: Any) -> float:
    """*estimator*'s ``threshold``: a number as given, or ``"auto"``: the best by its
    ``threshold_metric`` on out-of-fold probabilities (*prob*, a callable giving them)."""
    if estimator.threshold != "auto":
        return float(estimator.threshold)
    return best_f1_threshold(is_pos, prob(), metric=estimator.threshold_metric)


def best_f1_threshold(
    is_pos: np.ndarray, prob: np.ndarray, tolerance: float = 0.01, metric: str = "f1"
) -> float:
    """Threshold in the middle of the range whose *metric* is within *tolerance* of the best.

    *metric* is ``"f1"`` (of the positive class) or ``"macro_f1"`` (mean F1 of both).

    >>> best_f1_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.6, 0.9]))
    0.46
    """
    if metric not in ("f1", "macro_f1"):
        raise UsageError(
            f"The 'threshold_metric' parameter must be 'f1' or 'macro_f1'. Got {metric!r} instead."
        )
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    pos = np.asarray(is_pos, dtype=bool)
    f1 = np.empty(len(grid))
    for i, t in enumerate(grid):
        pred = prob >= t
        tp = np.sum(pred & pos)
        f1[i] = 2 * tp / max(pred.sum() + pos.sum(), 1)
        if metric == "macro_f1":
            tn = np.sum(~pred & ~pos)
            f1[i] = (f1[i] + 2 * tn / max((~pred).sum() + (~pos).sum(), 1)) / 2
    near = grid[f1 >= f1.max() - tolerance]
    return float(np.round(np.median(near), 2))
