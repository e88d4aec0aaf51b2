"""The predicting half of :class:`~detector.text.classifier.OutageClassifier`, without scikit-learn.

A fitted ``OutageClassifier`` is a vectorizer and two linear models (outage classes,
symptoms) with a Platt calibration and a threshold: predicting is a sparse product and
a softmax, which needs numpy, not scikit-learn. :class:`LinearPredictor` holds that
code; ``OutageClassifier`` (which fits) inherits it, and a model read without
scikit-learn (:mod:`detector.text.compact`) uses it with :class:`LinearModel` in place
of ``LogisticRegression``, so both run the same code and give the same numbers.

>>> model = LinearModel(coef_=np.array([[2.0]]), intercept_=np.array([-1.0]),
...                     classes_=np.array(["other", "outage"], dtype=object))
>>> _lr_proba(model, np.array([[0.0], [1.0]])).round(3).tolist()
[[0.731, 0.269], [0.269, 0.731]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from detector.errors import NotFittedError
from detector.text.normalize import normalize_many
from detector.text.symptoms import rule_symptoms

__all__ = ["LinearModel", "LinearPredictor"]


@dataclass
class LinearModel:
    """The fitted numbers of a logistic regression that predicting needs."""

    coef_: np.ndarray
    intercept_: np.ndarray
    classes_: np.ndarray

    def predict(self, features: Any) -> np.ndarray:
        """The class of each row, as ``LogisticRegression.predict`` gives it (the largest
        score; a binary model's second class where its one score is above 0)."""
        scores = np.asarray(features @ self.coef_.T) + self.intercept_
        if scores.shape[1] == 1:
            return self.classes_[(scores[:, 0] > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]


class LinearPredictor:
    """Predicting for a fitted outage classifier: its attributes ``vectorizer_``,
    ``model_``, ``classes_``, ``positive_label``, ``positive_index_``, ``calibration_``,
    ``threshold_``, ``symptom_model_``, ``symptom_classes_`` (and ``symptom_rules``)."""

    classes_: np.ndarray
    positive_label: str
    positive_index_: int
    calibration_: np.ndarray
    threshold_: float
    symptom_classes_: np.ndarray
    vectorizer_: Any
    model_: Any
    symptom_model_: Any

    def _check_fitted(self) -> None:
        NotFittedError.unless(self, "model_")

    @staticmethod
    def _logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-9, 1 - 1e-9)
        return np.log(p) - np.log1p(-p)

    def _margin(self, proba: np.ndarray) -> np.ndarray:
        return self._logit(proba[:, self.positive_index_])

    def _calibrate(self, margins: np.ndarray) -> np.ndarray:
        a, b = self.calibration_
        return 1.0 / (1.0 + np.exp(-(a * margins + b)))

    # -- predicting --------------------------------------------------------------------
    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Class probabilities (columns :attr:`classes_`); the positive column is calibrated."""
        self._check_fitted()
        return self._proba(self.vectorizer_.transform(X))

    def _proba(self, features: Any) -> np.ndarray:
        raw = _lr_proba(self.model_, features)
        pos = self._calibrate(self._margin(raw))
        rest = np.delete(raw, self.positive_index_, axis=1)
        rest_sum = rest.sum(axis=1, keepdims=True)
        rest = np.where(rest_sum > 0, rest / np.maximum(rest_sum, 1e-12), 1.0 / rest.shape[1])
        out = np.insert(rest * (1.0 - pos)[:, None], self.positive_index_, pos, axis=1)
        return out

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """Labels: the positive class when its calibrated probability reaches :attr:`threshold_`."""
        self._check_fitted()
        return self._labels(self._proba(self.vectorizer_.transform(X)))

    def _labels(self, proba: np.ndarray) -> np.ndarray:
        others = proba.copy()
        others[:, self.positive_index_] = -1.0
        labels = self.classes_[others.argmax(axis=1)]
        labels[proba[:, self.positive_index_] >= self.threshold_] = self.positive_label
        return labels

    def predict_frame(self, X: Sequence[str] | pa.Array) -> pd.DataFrame:
        """``label, is_positive, positive_prob, symptom`` per post, in the order of *X*."""
        return pd.DataFrame(self.predict_columns(X))

    def predict_columns(self, X: Sequence[str] | pa.Array) -> dict[str, np.ndarray]:
        """The columns of :meth:`predict_frame` as numpy arrays (no DataFrame overhead)."""
        self._check_fitted()
        normalised = X if isinstance(X, pa.Array) else self.vectorizer_.normalise(X)
        features = self.vectorizer_.transform_normalised(normalised)
        proba = self._proba(features)
        labels = self._labels(proba)
        positive = labels == self.positive_label
        symptom = np.full(len(labels), None, dtype=object)
        rows = np.flatnonzero(positive)
        if len(rows):
            if self.symptom_model_ is not None:
                subset = features if len(rows) == len(labels) else features[rows]
                scores = _lr_proba(self.symptom_model_, subset)
                symptom[rows] = self.symptom_model_.classes_[scores.argmax(axis=1)]
            else:
                symptom[rows] = self.symptom_classes_[0]
            picked = self._rule_symptoms(normalised, rows, len(labels))
            symptom[rows] = np.where(pd.isna(picked), symptom[rows], picked)
        return {
            "label": labels.astype(object),
            "is_positive": positive,
            "positive_prob": proba[:, self.positive_index_],
            "symptom": symptom,
        }

    def predict_symptom(self, X: Sequence[str]) -> np.ndarray:
        """Symptom of each post, as if it were an outage post."""
        self._check_fitted()
        normalised = self.vectorizer_.normalise(X)
        if self.symptom_model_ is None:
            modelled = np.full(len(X), self.symptom_classes_[0], dtype=object)
        else:
            features = self.vectorizer_.transform_normalised(normalised)
            modelled = self.symptom_model_.predict(features).astype(object)
        picked = self._rule_symptoms(normalised, np.arange(len(X)), len(X))
        return np.where(pd.isna(picked), modelled, picked)

    def _rule_symptoms(self, normalised: Any, rows: np.ndarray, n: int) -> np.ndarray:
        """Symptoms the keyword rules (:mod:`.symptoms`) give *rows*; None where none fires.

        Only symptoms the model knows are used, so a model trained on a user's own labels
        (no symptom column) is left alone.
        """
        picked = np.full(len(rows), None, dtype=object)
        known = set(self.symptom_classes_.tolist())
        if not getattr(self, "symptom_rules", True) or len(known) < 2 or not len(rows):
            return picked
        if not isinstance(normalised, pa.Array | pa.ChunkedArray):
            normalised = pa.array(list(normalised), type=pa.large_string())
        subset = normalised if len(rows) == n else normalised.take(pa.array(rows))
        if getattr(self.vectorizer_, "raw_text", False):  # rules read normalised text
            subset = pa.array(normalize_many(subset.to_pylist()), type=pa.large_string())
        picked = rule_symptoms(subset)
        picked[~np.isin(picked.astype(str), list(known))] = None
        return picked


def _lr_proba(model: Any, features: Any) -> np.ndarray:
    """``model.predict_proba`` without the input validation that dominates single posts."""
    scores = np.asarray(features @ model.coef_.T) + model.intercept_
    if scores.shape[1] == 1:  # binary: sigmoid of the one score
        pos = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - pos, pos])
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores
