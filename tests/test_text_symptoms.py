"""Symptom keyword rules: what fires, in which order, and how the classifier uses them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from detector.text.classifier import OutageClassifier
from detector.text.normalize import normalize_many
from detector.text.symptoms import RULES, rule_symptoms


@pytest.mark.parametrize(
    ("post", "symptom"),
    [
        ("Can't log in to Outlook", "access"),
        ("Gmail keeps rejecting my password", "access"),
        ("no internet since 2pm", "connectivity"),
        ("Power is out on our street", "connectivity"),
        ("wifi keeps disconnecting", "connectivity"),
        ("emails not sending from my phone", "messaging"),
        ("WhatsApp messages won't deliver", "messaging"),
        ("emails stuck in the outbox", "messaging"),
        ("didn't receive my coins in the wallet", None),  # not a message that failed
        ("Netflix keeps buffering", "performance"),
        ("getting 3 Mbps instead of 100", "performance"),
        ("my card payment was declined by the app", "payments"),
        ("checkout broken on the site", "payments"),
        ("I pay for this and it won't even load", None),  # paying for it: no payment failed
        ("can't pay my bill in the app", "payments"),  # a failed payment still is
        ("is Teams down?", None),
        ("app keeps crashing", None),
    ],
)
def test_each_rule_on_typical_posts(post: str, symptom: str | None) -> None:
    assert rule_symptoms(normalize_many([post])).tolist() == [symptom]


def test_first_matching_rule_wins() -> None:
    # "slow" (performance) comes before "login" (access) in RULES
    assert [name for name, _ in RULES].index("performance") < [n for n, _ in RULES].index("access")
    assert rule_symptoms(normalize_many(["login is so slow today"])).tolist() == ["performance"]


def test_accepts_arrow_lists_nulls_and_empty_input() -> None:
    out = rule_symptoms(pa.array(["no neg_internet", None, ""], type=pa.large_string()))
    assert out.tolist() == ["connectivity", None, None]
    assert rule_symptoms([]).tolist() == []
    assert rule_symptoms(["password"]).dtype == object


@pytest.fixture(scope="module")
def fitted(repo_root) -> OutageClassifier:
    frame = pd.read_csv(repo_root / "data/seed_posts.csv", keep_default_na=False)
    frame = frame.groupby("label", group_keys=False).sample(60, random_state=1)
    return OutageClassifier(calibration_folds=3).fit(
        frame.text.tolist(), frame.label.tolist(), symptom=frame.symptom.replace("", None).tolist()
    )


def test_rules_override_the_symptom_model(fitted: OutageClassifier) -> None:
    posts = ["can't log in to gmail at all", "no internet in the whole house", "zoom is so laggy"]
    assert fitted.predict_symptom(posts).tolist() == ["access", "connectivity", "performance"]
    frame = fitted.predict_frame(posts)
    chosen = frame.symptom[frame.is_positive].tolist()
    expected = np.array(["access", "connectivity", "performance"])[frame.is_positive.to_numpy()]
    assert chosen == expected.tolist()


def test_rules_can_be_switched_off(fitted: OutageClassifier) -> None:
    posts = ["can't log in to gmail at all", "zoom is so laggy", "is slack down?"]
    off = fitted.set_params(symptom_rules=False)
    try:
        expected = off.symptom_model_.predict(off.vectorizer_.transform(posts)).tolist()
        assert off.predict_symptom(posts).tolist() == expected
    finally:
        fitted.set_params(symptom_rules=True)


def test_models_without_symptoms_ignore_the_rules() -> None:
    texts = ["my parcel is late", "refund me now", "great lunch", "nice weather"] * 12
    labels = ["yes", "yes", "no", "no"] * 12
    clf = OutageClassifier(positive_label="yes", calibration_folds=2, min_df=1).fit(texts, labels)
    assert clf.predict_symptom(["can't log in, no internet"]).tolist() == ["other"]
