"""Distil a fine-tuned label head into the fast model through unlabelled posts.

The fast model (one logistic regression over stemmed word n-grams) scores 50,000+ posts
a second but learns only from the labelled posts. A MiniLM label head fine-tuned on the
same labels (:class:`~detector.text.finetune.TopTuner`, the ``encoder`` extra) ranks
posts from unseen sources much better, at a few hundred posts a second. Distillation
keeps the fast model's speed and borrows some of the head's judgement: the head, fitted
on the labelled posts, labels unlabelled posts (an :class:`UnlabelledPool`: real posts of
the same kind, e.g. ``../shared/data/unlabeled/app_reviews_and_support.csv``), and the
fast model is fitted on the labelled posts plus those, the pseudo-labelled rows
training-only (they never choose the threshold). The saved model is a plain
:class:`~detector.text.classifier.OutageClassifier`: ``score`` needs no torch.

In cross-validation the pool's posts of a held-out group (e.g. the held-out source's own
unlabelled reviews) are left out of that fold, so a fold never sees text from the
source it is scored on; posts without a group are used in every fold.

>>> pool = UnlabelledPool(texts=["app is down", "love it", "app is down"], groups=["a", "b", "a"])
>>> pool.usable(exclude_texts=["Love  it"], exclude_groups=set())
['app is down']
>>> pool.usable(exclude_texts=[], exclude_groups={"a"})
['love it']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detector.errors import UsageError

__all__ = ["UnlabelledPool", "fit_distilled"]


@dataclass
class UnlabelledPool:
    """Unlabelled posts (*texts*) and the group of each (e.g. its source; None: none),
    with the files they were read from (for the model card)."""

    texts: list[str]
    groups: list[str | None]
    files: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(
        cls,
        paths: Sequence[str | Path],
        *,
        text_col: str = "text",
        group_col: str | None = "source",
        progress: Callable[[str], None] = lambda _: None,
    ) -> UnlabelledPool:
        """Read unlabelled posts as ``train`` reads labelled ones (any format ``score``
        reads); rows without text are skipped, a text repeated is kept once."""
        from detector.text.training import _clean_value, file_entry, read_table

        texts: list[str] = []
        groups: list[str | None] = []
        files = []
        seen: set[str] = set()
        for path in map(Path, paths):
            frame = read_table(path, option="--unlabelled")
            if text_col not in frame.columns:
                raise UsageError(
                    f"--unlabelled file '{path}' has no text column '{text_col}' (columns: "
                    f"{', '.join(map(str, frame.columns[:12]))}); its text column must have "
                    "the name --text-col gives the labelled files"
                )
            grouped = group_col is not None and group_col in frame.columns
            kept = 0
            for i, raw in enumerate(frame[text_col].tolist()):
                missing = raw is None or (isinstance(raw, float) and np.isnan(raw))
                text = "" if missing else str(raw).strip()
                if not text or text in seen:
                    continue
                seen.add(text)
                texts.append(text)
                # cleaned as the labelled files' groups are, so the same source matches
                groups.append(_clean_value(frame[group_col].iat[i]) if grouped else None)
                kept += 1
            files.append(
                file_entry(
                    path,
                    len(frame),
                    kept,
                    role="unlabelled: labelled by the fine-tuned teacher for distillation",
                )
            )
            progress(
                f"read {path}: {len(frame)} rows, {kept} unlabelled posts kept"
                + (f" (grouped by '{group_col}')" if grouped else "")
            )
        if not texts:
            raise UsageError("the --unlabelled files hold no post with text")
        return cls(texts=texts, groups=groups, files=files)

    def usable(self, *, exclude_texts: Sequence[str], exclude_groups: set[Any]) -> list[str]:
        """The pool's posts that are not labelled posts (*exclude_texts*: the fit's own and,
        in cross-validation, the fold's held-out ones; compared ignoring case, Unicode form
        and white space) and not of a held-out group (*exclude_groups*), each once."""
        from detector.text.modelstore import _text_key

        out, seen = [], {_text_key(t) for t in exclude_texts}
        for text, group in zip(self.texts, self.groups, strict=True):
            key = _text_key(text)
            if key in seen:
                continue
            if group is not None and group in exclude_groups:
                continue
            seen.add(key)
            out.append(text)
        return out


def fit_distilled(
    student: Any,
    teacher: Any,
    pool: UnlabelledPool,
    texts: Sequence[str],
    y: np.ndarray,
    symptom: Sequence[Any] | None,
    groups: Sequence[Any] | None,
    *,
    exclude_groups: set[Any] = frozenset(),  # type: ignore[assignment]
    exclude_texts: Sequence[str] = (),
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[Any, dict[str, Any]]:
    """Fit *student* (an unfitted classifier taking ``fit(X, y, symptom=, groups=)``) on
    the labelled posts plus the pool's posts labelled by *teacher* (an unfitted
    classifier with ``fit(X, y)``, ``predict_proba`` and ``classes_``, in ``train`` a
    :class:`~detector.text.finetune.TopTuner`) fitted on the labelled posts; the pool's
    posts of *exclude_groups* are left out, and so are its posts among the labelled ones
    and *exclude_texts* (in cross-validation: the fold's held-out posts, never learnt
    from). Returns the fitted student and what was added (for the card).

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> from sklearn.naive_bayes import MultinomialNB
    >>> from detector.text.classifier import OutageClassifier
    >>> posts = ["app is down", "cannot log in", "love the app", "great update"] * 10
    >>> labels = ["outage", "outage", "other", "other"] * 10
    >>> pool = UnlabelledPool(["site is down again", "love it"], ["x", "y"])
    >>> model, added = fit_distilled(
    ...     OutageClassifier(), make_pipeline(CountVectorizer(), MultinomialNB()),
    ...     pool, posts, labels, None, None, exclude_groups={"y"})
    >>> added
    {'pseudo_labelled': 1, 'pseudo_labels': {'other': 0, 'outage': 1}}
    """
    import inspect

    texts = [str(t) for t in texts]
    labels = np.asarray(y, dtype=object)
    progress(f"distil: fitting the teacher on {len(texts)} labelled posts")
    teacher = teacher.fit(texts, labels)
    extra = pool.usable(exclude_texts=[*texts, *exclude_texts], exclude_groups=set(exclude_groups))
    pseudo: list[str] = []
    if extra:
        progress(f"distil: the teacher labels {len(extra)} unlabelled posts")
        # a TopTuner memoises the pool's frozen lower-layer states: computed once, not per fold
        remember = "remember" in inspect.signature(teacher.predict_proba).parameters
        prob = teacher.predict_proba(extra, **({"remember": True} if remember else {}))
        pseudo = [str(c) for c in np.asarray(teacher.classes_)[prob.argmax(axis=1)]]
    n = len(extra)
    # the pseudo-labelled rows are training-only (group None); ungrouped labelled rows
    # share one group, so their calibration folds are stratified as without groups
    own = ["labelled"] * len(texts) if groups is None else list(groups)
    model = student.fit(
        texts + extra,
        np.concatenate([labels, np.asarray(pseudo, dtype=object)]),
        symptom=None if symptom is None else list(symptom) + [None] * n,
        groups=own + [None] * n,
    )
    added = {str(c): pseudo.count(str(c)) for c in teacher.classes_}
    progress(
        f"distil: fitted on {len(texts)} labelled + {n} pseudo-labelled posts ("
        + ", ".join(f"{c}: {k}" for c, k in added.items())
        + ")"
    )
    return model, {"pseudo_labelled": n, "pseudo_labels": added}
