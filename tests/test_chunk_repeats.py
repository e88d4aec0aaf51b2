"""A chunk's repeated texts are classified and matched once, with the same result."""

from __future__ import annotations

import pandas as pd
import pytest

from detector.batch import chunks
from detector.batch.chunks import ChunkScorer, ScorerSpec, repeated_texts


def _chunk(texts: list[str]) -> pd.DataFrame:
    n = len(texts)
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "created_at": pd.date_range("2025-03-03 14:00", periods=n, freq="min", tz="UTC"),
            "text": texts,
            "author": [f"u{i % 3}" for i in range(n)],
            "is_repost": [False] * n,
            "source_file": ["posts.csv"] * n,
            "line": list(range(2, n + 2)),
        }
    )


@pytest.fixture(scope="module")
def scorer() -> ChunkScorer:
    return ScorerSpec().build()


def test_repeated_texts_fold_only_when_worth_it() -> None:
    codes, distinct = repeated_texts(["a", "b", "a", "a"])
    assert codes is not None
    assert codes.tolist() == [0, 1, 0, 0]
    assert distinct == ["a", "b"]
    assert repeated_texts([str(i) for i in range(20)]) == (None, [str(i) for i in range(20)])


def test_folded_chunk_equals_unfolded(scorer: ChunkScorer, monkeypatch) -> None:
    texts = [
        "is outlook down?",
        "Can't log in to Gmail since 2pm",
        "is outlook down?",
        "lovely weather today",
        "is outlook down?",
        "Can't log in to Gmail since 2pm",
        "Teams keeps crashing, anyone else?",
        "is outlook down?",
    ]
    chunk = _chunk(texts)
    folded = scorer(chunk)
    assert repeated_texts(texts)[0] is not None  # the folding path ran
    monkeypatch.setattr(chunks, "REPEATS_WORTH_FOLDING", -1.0)
    assert repeated_texts(texts)[0] is None
    pd.testing.assert_frame_equal(folded, scorer(chunk))
    assert folded["service"].tolist()[:3] == ["Outlook", "Gmail", "Outlook"]
    assert folded["id"].tolist() == [f"p{i}" for i in range(8)]
