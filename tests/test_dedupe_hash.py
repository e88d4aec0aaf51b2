"""Dedupe keys (:func:`detector.ingest.dedupe.hash_strings`): polars over the Arrow
buffers, or Python's hash where polars cannot be imported; both give the same equalities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.ingest import dedupe
from detector.ingest.dedupe import hash_strings

VALUES = ["x", "y", "x", None, "", "ünï 🙂", "12", "ünï 🙂"]


def _classes(hashes: np.ndarray) -> list[int]:
    """Each value's first position among equal hashes (what dedupe compares)."""
    first: dict[int, int] = {}
    return [first.setdefault(int(h), i) for i, h in enumerate(hashes)]


@pytest.mark.parametrize("polars", [True, False])
@pytest.mark.parametrize("dtype", ["string[pyarrow]", "str", object])
@pytest.mark.parametrize("few_distinct", [True, False])
def test_equal_values_share_a_hash_and_others_do_not(
    monkeypatch: pytest.MonkeyPatch, polars: bool, dtype: object, few_distinct: bool
) -> None:
    if not polars:
        monkeypatch.setattr(dedupe, "_polars", lambda: None)
    hashes = hash_strings(pd.Series(VALUES, dtype=dtype), few_distinct=few_distinct)
    assert hashes.dtype == np.uint64
    assert _classes(hashes) == [0, 1, 0, 3, 4, 5, 6, 5]
    number = hash_strings(pd.Series([12, None], dtype=object))
    assert number[0] == hashes[6] and number[1] == hashes[3]  # as text; missing alike


def test_a_run_finds_the_same_duplicates_without_polars(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from detector.ingest import ColumnMapping, read_posts

    rows = [
        ("1", "2025-01-01T00:00:00Z", "a", "gmail down"),
        ("1", "2025-01-01T00:00:00Z", "a", "gmail down"),  # the same id
        ("", "2025-01-01T00:00:30Z", "b", "outlook down"),
        ("", "2025-01-01T00:00:40Z", "b", "outlook down"),  # author, text and minute
        ("3", "2025-01-01T00:01:00Z", "c", "RT @b: outlook down"),
    ]
    path = tmp_path / "posts.csv"
    pd.DataFrame(rows, columns=["id", "created_at", "author", "text"]).to_csv(path, index=False)

    def scored() -> tuple[list[int], list[bool]]:
        run = read_posts([path], ColumnMapping(), dedupe="id")
        frame = pd.concat(list(run))
        return frame["line"].tolist(), frame["is_repost"].tolist()

    with_polars = scored()
    monkeypatch.setattr(dedupe, "_polars", lambda: None)
    assert scored() == with_polars == ([2, 4, 6], [False, False, True])
