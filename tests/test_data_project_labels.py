"""``data/project_labels.csv``: the project's labels of shared posts, without their texts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from detector.text.training import TextsById

SYMPTOMS = {"access", "connectivity", "messaging", "app", "performance", "payments", "other"}


def test_labels_follow_the_labelling_guide_and_hold_no_post_text(repo_root: Path) -> None:
    labels = pd.read_csv(repo_root / "data" / "project_labels.csv")
    assert list(labels.columns) == ["uid", "source", "label", "symptom"]  # no text column
    assert labels.uid.is_unique and len(labels) == 790
    assert labels.label.value_counts().to_dict() == {"outage": 555, "complaint": 178, "other": 57}
    outage = labels.label == "outage"
    assert set(labels.symptom[outage]) <= SYMPTOMS and labels.symptom[outage].notna().all()
    assert labels.symptom[~outage].isna().all()


def test_every_labelled_uid_is_a_shared_unlabelled_post_of_its_source(
    repo_root: Path, shared_data: Path
) -> None:
    labels = pd.read_csv(repo_root / "data" / "project_labels.csv")
    shared = shared_data / "unlabeled" / "app_reviews_and_support.csv"
    joined = TextsById.read([shared]).attach(labels, "project_labels.csv", "text")
    assert joined.text.str.len().gt(0).all()
    posts = pd.read_csv(shared, usecols=["uid", "source"]).set_index("uid").source
    assert (posts[labels.uid].to_numpy() == labels.source.to_numpy()).all()
    labelled = pd.read_csv(shared_data / "posts" / "labeled_posts_extra.csv", usecols=["text"])
    assert not joined.text.isin(set(labelled.text)).any()  # none is a shared labelled post
