"""Two-tier outage classifier: the fast model, and a sentence encoder on its uncertain band.

:class:`TieredClassifier` wraps a fitted :class:`~.classifier.OutageClassifier` (the
fast tier: word n-grams, tens of thousands of posts a second) and two logistic
regressions over frozen MiniLM sentence embeddings (:mod:`.encoder`): one for the
label, one for the symptom. Only posts the fast tier is unsure of (calibrated
outage probability inside ``[band_low, band_high]``) and posts it calls outages are
encoded; there the probabilities of both tiers are averaged (``encoder_weight`` for
the label, ``symptom_weight`` for the symptom). The threshold is chosen on the
out-of-fold mixed probabilities of the same grouped folds as the fast tier's. With a
``label_tuner``, a label head fine-tuned on the encoder's top layers
(:class:`~.finetune.TopTuner`) also reads the band and is averaged in
(``label_tuned_weight``): the shipped tier's largest gain on unseen sources
(``benchmarks/label_head.py``).

With ``mode="joint"`` there is no band: one regression reads the fast tier's n-gram
features with the sentence embedding appended (scaled by ``embedding_weight``) for every
post, calibrated and thresholded on grouped out-of-fold scores like the fast tier. It
is slower (every post is encoded) and is what the ``plain-encoder`` candidate of
``train`` uses: on a user's single-source task (the complaint labels of the
Preotiuc-Pietro posts, ``benchmarks/classifier.py``) it beats the plain baseline where
the band design cannot, because there most posts are uncertain anyway.

Measured leave-one-source-out over the 14 real sources (``benchmarks/tiered.py``),
the encoder carries meaning that does not depend on brand words: pooled PR-AUC
and symptom accuracy rise over the fast tier alone. It needs ``torch`` (the
``encoder`` extra) and classifies a few hundred uncertain posts a second, so it is
an option (``--model``), never the default.

>>> TieredClassifier().get_params()["band_low"]
0.1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from detector.errors import UsageError
from detector.text.classifier import (
    OutageClassifier,
    calibration_splits,
    chosen_threshold,
    oof_platt,
)
from detector.text.linear import _lr_proba

__all__ = ["TieredClassifier", "shared_encoder"]

_ENCODER: dict[int, Any] = {}


def _as_list(value: Any) -> list[Any]:
    """None as no item, a list as its items, anything else as one item.

    >>> _as_list(None), _as_list({"a": 1}), _as_list([1, 2])
    ([], [{'a': 1}], [1, 2])
    """
    return [] if value is None else list(value) if isinstance(value, list) else [value]


def symptom_rows(symptom: Sequence[Any], is_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The symptoms as strings (None where missing) and which rows the symptom heads learn
    from: positive posts with a symptom.

    >>> is_pos = np.array([True, True, True, False])
    >>> names, usable = symptom_rows(["app", None, float("nan"), "access"], is_pos)
    >>> names.tolist(), usable.tolist()
    (['app', None, None, 'access'], [True, False, False, False])
    """
    names = np.asarray(
        [None if s is None or (isinstance(s, float) and np.isnan(s)) else str(s) for s in symptom],
        dtype=object,
    )
    return names, is_pos & np.asarray([s not in (None, "", "nan") for s in names])


def shared_encoder(max_length: int = 128) -> Any:
    """The process-wide :class:`~.encoder.SentenceEncoder` (its memo is shared by fits)."""
    from detector.text.encoder import SentenceEncoder

    if max_length not in _ENCODER:
        _ENCODER[max_length] = SentenceEncoder(max_length=max_length)
    return _ENCODER[max_length]


class TieredClassifier(BaseEstimator):
    """Fast n-gram model plus a frozen-encoder tier on the uncertain band.

    Parameters
    ----------
    fast_params : dict or None
        Parameters of the fast :class:`~.classifier.OutageClassifier`.
    band_low, band_high : float
        Fast-tier calibrated outage probabilities in this range go to the encoder.
    encoder_C, symptom_C : float
        Inverse regularisation of the label and symptom heads on embeddings.
    encoder_weight, symptom_weight : float
        Weight of the encoder heads in the averaged probabilities.
    max_length : int
        Word pieces of a post the encoder reads.
    mode : "band" or "joint"
        "band": the encoder heads revise the fast tier on its uncertain band (and the
        symptom of its outage calls). "joint": one regression over the fast tier's
        features plus the embedding reads every post.
    embedding_weight : float
        Scale of the embedding columns in "joint" mode (the n-gram rows have unit norm
        per part; the embedding has unit norm).
    symptom_tuner : dict, list of dicts, or None
        :class:`~.finetune.TopTuner` parameters of a fine-tuned symptom head, or of several
        (e.g. on different pretrained bases), fitted on the outage posts' symptoms.
    tuned_weight : float
        Weight of the fine-tuned symptom heads' mean against the other heads.
    label_tuner : dict or None
        :class:`~.finetune.TopTuner` parameters of a fine-tuned label head. In "finetune"
        mode it alone decides, at its own 0.5. In "band" mode it revises the band: its
        probabilities are averaged with the band's mix (``label_tuned_weight``), and the
        threshold stays the one chosen on the frozen mix's grouped out-of-fold scores
        (refitting the head in each fold would cost five more fine-tunes; leave one group of
        sources out, that threshold scores as well as one chosen on the other groups, see
        ``benchmarks/label_head.py``).
    label_tuned_weight : float
        Weight of the fine-tuned label head on the band ("band" mode with a label tuner).
    calibration_folds, threshold, threshold_metric, random_state :
        As in :class:`~.classifier.OutageClassifier` (``threshold`` "auto" or a float).
    """

    #: The default of ``label_tuned_weight``, also as a class attribute: model files written
    #: before the label head existed have no such attribute, and this keeps their ``repr``,
    #: ``get_params`` and ``clone`` working.
    label_tuned_weight: float = 0.8

    def __init__(
        self,
        *,
        fast_params: dict[str, Any] | None = None,
        band_low: float = 0.1,
        band_high: float = 0.9,
        encoder_C: float = 4.0,
        symptom_C: float = 2.0,
        encoder_weight: float = 0.5,
        symptom_weight: float = 0.8,
        max_length: int = 128,
        mode: str = "band",
        embedding_weight: float = 1.0,
        symptom_tuner: dict[str, Any] | list[dict[str, Any]] | None = None,
        tuned_weight: float = 0.5,
        label_tuner: dict[str, Any] | None = None,
        label_tuned_weight: float = label_tuned_weight,
        calibration_folds: int = 5,
        threshold: str | float = "auto",
        threshold_metric: str = "f1",
        random_state: int = 0,
    ) -> None:
        self.fast_params = fast_params
        self.band_low = band_low
        self.band_high = band_high
        self.encoder_C = encoder_C
        self.symptom_C = symptom_C
        self.encoder_weight = encoder_weight
        self.symptom_weight = symptom_weight
        self.max_length = max_length
        self.mode = mode
        self.embedding_weight = embedding_weight
        self.symptom_tuner = symptom_tuner
        self.tuned_weight = tuned_weight
        self.label_tuner = label_tuner
        self.label_tuned_weight = label_tuned_weight
        self.calibration_folds = calibration_folds
        self.threshold = threshold
        self.threshold_metric = threshold_metric
        self.random_state = random_state

    # -- fitting -----------------------------------------------------------------------
    def fit(
        self,
        X: Sequence[str],
        y: Sequence[Any],
        *,
        symptom: Sequence[Any] | None = None,
        groups: Sequence[Any] | None = None,
    ) -> TieredClassifier:
        """Fit the fast tier, the encoder heads, and the threshold on grouped OOF scores."""
        if not 0.0 <= self.band_low < self.band_high <= 1.0:
            raise UsageError(
                "TieredClassifier needs 0 <= band_low < band_high <= 1. "
                f"Got {self.band_low!r}, {self.band_high!r} instead."
            )
        if self.mode not in ("band", "joint", "finetune"):
            raise UsageError(
                "The 'mode' parameter of TieredClassifier must be 'band', 'joint' or "
                f"'finetune'. Got {self.mode!r} instead."
            )
        texts = [str(t) for t in X]
        if self.mode == "finetune":  # no frozen-embedding heads: the tuned head decides
            embeddings = np.zeros((len(texts), 0), dtype=np.float32)
        else:
            embeddings = shared_encoder(self.max_length).encode(texts)
        with threadpool_limits(limits=1):
            return self._fit(texts, y, symptom, groups, embeddings)

    def _fit(
        self,
        texts: list[str],
        y: Sequence[Any],
        symptom: Sequence[Any] | None,
        groups: Sequence[Any] | None,
        embeddings: np.ndarray,
    ) -> TieredClassifier:
        fast = self._fit_fast(texts, y, symptom, groups)
        labels = np.asarray([str(v) for v in y], dtype=object)
        self.classes_ = fast.classes_
        self.positive_label = fast.positive_label
        self.positive_index_ = fast.positive_index_
        is_pos = labels == self.positive_label

        features = fast.vectorizer_.transform(texts)
        if self.mode == "finetune":
            self._fit_label_tuner(texts, labels)
            self._fit_symptom_head(symptom, is_pos, embeddings, texts)
            return self
        if self.mode == "joint":
            self._fit_joint(features, embeddings, labels, groups)
            self._fit_symptom_head(symptom, is_pos, embeddings, texts)
            return self
        mixed = np.zeros(len(labels))
        scored = np.zeros(len(labels), dtype=bool)
        in_band = np.zeros(len(labels), dtype=bool)
        for train, test in calibration_splits(
            labels, groups, self.calibration_folds, self.random_state
        ):
            fast_lr = fast._new_model().fit(features[train], labels[train])
            p_fast = fast._calibrate(fast._margin(fast_lr.predict_proba(features[test])))
            head = self._new_head().fit(embeddings[train], labels[train])
            p_enc = head.predict_proba(embeddings[test])[:, self.positive_index_]
            mixed[test] = self._mix(p_fast, p_enc)
            in_band[test] = self._band(p_fast)
            scored[test] = True
        self.oof_scored_ = int(scored.sum())
        self.band_share_ = round(float(np.mean(in_band[scored])), 4)
        self.threshold_ = chosen_threshold(self, is_pos[scored], lambda: mixed[scored])
        self.head_ = self._new_head().fit(embeddings, labels)
        self.label_tuned_ = None
        if self.label_tuner is not None:
            self.label_tuned_ = self._tuned_label_state(texts, labels)
        self._fit_symptom_head(symptom, is_pos, embeddings, texts)
        return self

    def _fit_fast(
        self,
        texts: list[str],
        y: Sequence[Any],
        symptom: Sequence[Any] | None,
        groups: Sequence[Any] | None,
    ) -> OutageClassifier:
        """Fit the fast tier (``fast_params`` with this tier's folds, metric and seed)."""
        fast_params = {
            **(self.fast_params or {}),
            "calibration_folds": self.calibration_folds,
            "threshold_metric": self.threshold_metric,
            "random_state": self.random_state,
        }
        self.fast_ = OutageClassifier(**fast_params)._fit(texts, y, symptom, groups)
        return self.fast_

    def _tuned_label_state(self, texts: list[str], labels: np.ndarray) -> dict[str, Any]:
        """The label head (:class:`~.finetune.TopTuner`) fine-tuned on all *texts*."""
        from detector.text.finetune import TopTuner, to_state

        tuner = TopTuner(**{"random_state": self.random_state, **(self.label_tuner or {})})
        return to_state(tuner.fit(texts, labels))

    def _fit_label_tuner(self, texts: list[str], labels: np.ndarray) -> None:
        """Fine-tune the label head; its own probabilities decide ("finetune" mode:
        threshold "auto" is the head's own 0.5, no out-of-fold refits)."""
        self.label_tuned_ = self._tuned_label_state(texts, labels)
        self.oof_scored_ = 0
        self.band_share_ = 1.0
        self.threshold_ = 0.5 if self.threshold == "auto" else float(self.threshold)

    def _fit_joint(
        self, features: Any, embeddings: np.ndarray, labels: np.ndarray, groups: Any
    ) -> None:
        """One regression over n-grams + embedding, Platt-calibrated on grouped OOF scores."""
        fast = self.fast_
        joint = self._joint(features, embeddings)
        is_pos = labels == self.positive_label
        margins, scored, self.joint_calibration_ = oof_platt(
            fast,
            joint,
            labels,
            calibration_splits(labels, groups, self.calibration_folds, self.random_state),
        )
        self.oof_scored_ = int(scored.sum())
        self.band_share_ = 1.0
        prob = self._joint_calibrate(margins)
        self.threshold_ = chosen_threshold(self, is_pos[scored], lambda: prob[scored])
        self.head_ = fast._new_model().fit(joint, labels)

    def _joint(self, features: Any, embeddings: np.ndarray) -> sp.csr_matrix:
        return sp.hstack(
            [features, sp.csr_matrix(embeddings * self.embedding_weight)], format="csr"
        )

    def _joint_calibrate(self, margins: np.ndarray) -> np.ndarray:
        a, b = self.joint_calibration_
        return 1.0 / (1.0 + np.exp(-(a * margins + b)))

    def _joint_proba(self, features: Any, embeddings: np.ndarray) -> np.ndarray:
        """Class probabilities of the joint regression; the positive column calibrated."""
        raw = _lr_proba(self.head_, self._joint(features, embeddings))
        pos = self._joint_calibrate(self.fast_._margin(raw))
        rest = np.delete(raw, self.positive_index_, axis=1)
        total = rest.sum(axis=1, keepdims=True)
        rest = np.where(total > 0, rest / np.maximum(total, 1e-12), 1.0 / rest.shape[1])
        return np.insert(rest * (1.0 - pos)[:, None], self.positive_index_, pos, axis=1)

    def _fit_symptom_head(
        self,
        symptom: Sequence[Any] | None,
        is_pos: np.ndarray,
        embeddings: np.ndarray,
        texts: list[str],
    ) -> None:
        fast = self.fast_
        self.symptom_classes_ = fast.symptom_classes_
        self.symptom_head_ = None
        self.symptom_tuned_ = None
        if symptom is None or fast.symptom_model_ is None:
            return
        names, usable = symptom_rows(symptom, is_pos)
        if embeddings.shape[1]:
            self.symptom_head_ = LogisticRegression(C=self.symptom_C, max_iter=3000).fit(
                embeddings[usable], names[usable].astype(str)
            )
            if list(self.symptom_head_.classes_) != list(fast.symptom_model_.classes_):
                self.symptom_head_ = None
        if self.symptom_tuner is not None:
            from detector.text.finetune import TopTuner, to_state

            rows = np.flatnonzero(usable)
            states = []
            for params in _as_list(self.symptom_tuner):
                tuner = TopTuner(**{"random_state": self.random_state, **params})
                tuner.fit([texts[i] for i in rows], names[rows].astype(str))
                if list(tuner.classes_) == list(fast.symptom_model_.classes_):
                    states.append(to_state(tuner))
            if states:
                # one head stays a single state: model files of one head read unchanged
                self.symptom_tuned_ = states if isinstance(self.symptom_tuner, list) else states[0]

    def _new_head(self) -> LogisticRegression:
        return LogisticRegression(C=self.encoder_C, class_weight="balanced", max_iter=3000)

    def _band(self, p_fast: np.ndarray) -> np.ndarray:
        return (p_fast >= self.band_low) & (p_fast <= self.band_high)

    def _mix(self, p_fast: np.ndarray, p_enc: np.ndarray) -> np.ndarray:
        w = self.encoder_weight
        return np.where(self._band(p_fast), w * p_enc + (1.0 - w) * p_fast, p_fast)

    # -- predicting --------------------------------------------------------------------
    def predict_frame(self, X: Sequence[str]) -> Any:
        """``label, is_positive, positive_prob, symptom`` per post, in the order of *X*."""
        import pandas as pd

        return pd.DataFrame(self.predict_columns(X))

    def predict_columns(self, X: Sequence[str] | pa.Array) -> dict[str, np.ndarray]:
        """The fast tier's columns, revised by the encoder on the uncertain band."""
        texts = X.to_pylist() if isinstance(X, pa.Array | pa.ChunkedArray) else list(X)
        texts = ["" if t is None else str(t) for t in texts]
        mode = getattr(self, "mode", "band")
        if mode == "joint":
            return self._predict_joint(texts)
        if mode == "finetune":
            return self._predict_finetune(texts)
        cols = self.fast_.predict_columns(texts)
        p_fast = cols["positive_prob"]
        band = self._band(p_fast)
        # the sure outages go to the encoder too when it has a symptom head to apply
        heads = self.symptom_head_ is not None or bool(self._tuned_states())
        need = band | cols["is_positive"] if heads else band
        rows = np.flatnonzero(need)
        prob = p_fast.copy()
        labels = cols["label"].copy()
        symptom = cols["symptom"].copy()
        if len(rows):
            subset = [texts[i] for i in rows]
            emb = shared_encoder(self.max_length).encode(subset, remember=False)
            features = self.fast_.vectorizer_.transform(subset)  # once for both heads
            fast_proba = self.fast_._proba(features)
            enc_proba = _lr_proba(self.head_, emb)
            in_band = band[rows]
            w = self.encoder_weight
            merged = np.where(in_band[:, None], w * enc_proba + (1 - w) * fast_proba, fast_proba)
            merged = self._revise_band(merged, in_band, subset)
            prob[rows] = merged[:, self.positive_index_]
            others = merged.copy()
            others[:, self.positive_index_] = -1.0
            new = self.classes_[others.argmax(axis=1)].astype(object)
            new[merged[:, self.positive_index_] >= self.threshold_] = self.positive_label
            labels[rows] = np.where(in_band, new, labels[rows])
            positive = labels[rows] == self.positive_label
            symptom[rows] = np.where(positive, self._symptoms(subset, emb, features), None)
        is_positive = labels == self.positive_label
        symptom[~is_positive] = None
        return {
            "label": labels.astype(object),
            "is_positive": is_positive,
            "positive_prob": prob,
            "symptom": symptom,
        }

    def _predict_joint(self, texts: list[str]) -> dict[str, np.ndarray]:
        emb = shared_encoder(self.max_length).encode(texts, remember=False)
        features = self.fast_.vectorizer_.transform(texts)
        proba = self._joint_proba(features, emb)
        labels, is_positive = self._decide(proba)
        symptom = np.full(len(texts), None, dtype=object)
        rows = np.flatnonzero(is_positive)
        if len(rows):
            subset = [texts[i] for i in rows]
            symptom[rows] = self._symptoms(subset, emb[rows], features[rows])
        return {
            "label": labels,
            "is_positive": is_positive,
            "positive_prob": proba[:, self.positive_index_],
            "symptom": symptom,
        }

    def _decide(self, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels from class probabilities: the positive class at or above the threshold,
        else the likeliest other class; and where the label is positive."""
        others = proba.copy()
        others[:, self.positive_index_] = -1.0
        labels = self.classes_[others.argmax(axis=1)].astype(object)
        labels[proba[:, self.positive_index_] >= self.threshold_] = self.positive_label
        return labels, labels == self.positive_label

    def _predict_finetune(self, texts: list[str]) -> dict[str, np.ndarray]:
        proba = self._tuned_label_proba(texts)
        labels, is_positive = self._decide(proba)
        symptom = np.full(len(texts), None, dtype=object)
        rows = np.flatnonzero(is_positive)
        if len(rows):
            symptom[rows] = self.predict_symptom([texts[i] for i in rows])
        return {
            "label": labels,
            "is_positive": is_positive,
            "positive_prob": proba[:, self.positive_index_],
            "symptom": symptom,
        }

    def _tuned_label_proba(self, texts: list[str]) -> np.ndarray:
        from detector.text.finetune import from_state

        tuner = from_state(self.label_tuned_)
        proba = tuner.predict_proba(texts)
        order = [int(np.flatnonzero(tuner.classes_ == c)[0]) for c in self.classes_]
        return proba[:, order]

    def _tuned_states(self) -> list[dict[str, Any]]:
        """The fine-tuned symptom heads' stored states (none, one, or several)."""
        return _as_list(getattr(self, "symptom_tuned_", None))

    def _symptom_tuners(self) -> list[Any]:
        """The fine-tuned symptom heads, built from their states."""
        from detector.text.finetune import from_state

        return [from_state(s) for s in self._tuned_states()]

    def symptom_parts(
        self, texts: list[str], emb: np.ndarray | None = None, features: Any = None
    ) -> dict[str, Any]:
        """Each symptom head's class probabilities (columns: the fast model's symptom
        classes): ``fast`` (n-gram regression), ``frozen`` (frozen-embedding head, None
        without it) and ``tuned`` (one array per fine-tuned head)."""
        fast = self.fast_
        if features is None:
            features = fast.vectorizer_.transform(texts)
        frozen = None
        if self.symptom_head_ is not None:
            if emb is None:
                emb = shared_encoder(self.max_length).encode(texts, remember=False)
            frozen = _lr_proba(self.symptom_head_, emb)
        return {
            "fast": _lr_proba(fast.symptom_model_, features),
            "frozen": frozen,
            "tuned": [t.predict_proba(texts) for t in self._symptom_tuners()],
        }

    def mix_symptom_parts(
        self,
        parts: dict[str, Any],
        symptom_weight: float | None = None,
        tuned_weights: Sequence[float] | None = None,
    ) -> np.ndarray:
        """Symptom probabilities from :meth:`symptom_parts`: the frozen head's averaged with
        the fast model's (``symptom_weight``), then the fine-tuned heads' mean with that
        (``tuned_weight``; or one weight per tuned head, *tuned_weights*)."""
        proba = parts["fast"]
        if parts["frozen"] is not None:
            w = self.symptom_weight if symptom_weight is None else symptom_weight
            proba = w * parts["frozen"] + (1 - w) * proba
        tuned = parts["tuned"]
        if tuned:
            if tuned_weights is None:
                tuned_weights = [self.tuned_weight / len(tuned)] * len(tuned)
            proba = (1 - sum(tuned_weights)) * proba
            for w, head in zip(tuned_weights, tuned, strict=True):
                proba = proba + w * head
        return proba

    def _symptoms(self, texts: list[str], emb: np.ndarray, features: Any = None) -> np.ndarray:
        """Symptoms: the fast model's probabilities, averaged with the frozen-embedding head's
        (``symptom_weight``) and then with the fine-tuned heads' mean (``tuned_weight``); the
        fast tier alone (with its keyword rules) when the tier has neither head."""
        fast = self.fast_
        if fast.symptom_model_ is None or (self.symptom_head_ is None and not self._tuned_states()):
            return fast.predict_symptom(texts)
        proba = self.mix_symptom_parts(self.symptom_parts(texts, emb, features))
        return fast.symptom_model_.classes_[proba.argmax(axis=1)]

    def predict_symptom(self, X: Sequence[str]) -> np.ndarray:
        """Symptom of each post, as if it were an outage post."""
        texts = [str(t) for t in X]
        if not texts:
            return np.zeros(0, dtype=object)
        emb = (
            shared_encoder(self.max_length).encode(texts, remember=False)
            if self.symptom_head_ is not None
            else np.zeros((len(texts), 0), dtype=np.float32)
        )
        return self._symptoms(texts, emb).astype(object)

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Class probabilities (columns :attr:`classes_`), mixed on the uncertain band."""
        texts = [str(t) for t in X]
        if getattr(self, "mode", "band") == "finetune":
            return self._tuned_label_proba(texts)
        if getattr(self, "mode", "band") == "joint":
            emb = shared_encoder(self.max_length).encode(texts, remember=False)
            return self._joint_proba(self.fast_.vectorizer_.transform(texts), emb)
        fast_proba = self.fast_.predict_proba(texts)
        band = self._band(fast_proba[:, self.positive_index_])
        rows = np.flatnonzero(band)
        if len(rows):
            subset = [texts[i] for i in rows]
            emb = shared_encoder(self.max_length).encode(subset, remember=False)
            w = self.encoder_weight
            mixed = w * _lr_proba(self.head_, emb) + (1 - w) * fast_proba[rows]
            fast_proba[rows] = self._revise_band(mixed, np.ones(len(rows), dtype=bool), subset)
        return fast_proba

    def _revise_band(self, proba: np.ndarray, in_band: np.ndarray, texts: list[str]) -> np.ndarray:
        """*proba* (rows of *texts*) with the fine-tuned label head's probabilities averaged
        in on the rows *in_band* ("band" mode with a label tuner; else *proba* as it is)."""
        if getattr(self, "label_tuned_", None) is None or not in_band.any():
            return proba
        rows = np.flatnonzero(in_band)
        a = self.label_tuned_weight
        out = proba.copy()
        out[rows] = a * self._tuned_label_proba([texts[i] for i in rows]) + (1 - a) * proba[rows]
        return out

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters (never the nested fast model's, which are in ``fast_params``)."""
        return super().get_params(deep=False)
