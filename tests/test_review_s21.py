"""Review of session 21's compact model reader (detector.text.compact): the estimator it
reads predicts like the full one in every public method."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from detector.text.compact import CompactClassifier
from detector.text.modelstore import load_model

REPO = Path(__file__).resolve().parents[1]
POSTS = ["is outlook down?", "can't log in to my bank app", "no internet since 6am", "nice day"]


def test_predict_symptom_works_on_a_model_read_compact() -> None:
    """LinearModel stood in for LogisticRegression without its ``predict``, which
    ``predict_symptom`` calls: AttributeError on every model with a symptom model."""
    full = load_model("outage-v2").estimator
    compact = load_model("outage-v2", compact=True).estimator
    assert isinstance(compact, CompactClassifier) and compact.symptom_model_ is not None
    texts = [*POSTS, *pd.read_csv(REPO / "data/seed_posts.csv").text.tolist()[:300]]
    expected = full.predict_symptom(texts)
    got = compact.predict_symptom(texts)
    assert got.tolist() == expected.tolist()
    features = full.vectorizer_.transform(texts)
    assert compact.symptom_model_.predict(features).tolist() == (
        full.symptom_model_.predict(features).tolist()
    )
