"""The compiled tokeniser (:mod:`detector.text.fasttokens`) gives the vectoriser the same
features as splitting with pyarrow and looking the tokens up with ``index_in``."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from detector.text import fasttokens, postfeatures
from detector.text.fasttokens import WHITESPACE, TokenTable, token_ids
from detector.text.modelstore import load_model


def test_whitespace_is_what_pyarrow_splits_on() -> None:
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    parts = pc.list_value_length(
        pc.utf8_split_whitespace(pa.array([f"a{chr(c)}b" for c in points]))
    )
    splits = [c for c, n in zip(points, parts.to_numpy().tolist(), strict=True) if n != 1]
    assert splits == WHITESPACE.tolist()


def reference(texts: pa.Array, tokens: list[str]) -> tuple[list[int], list[int]]:
    """pyarrow's split and lookup, the empty strings at the posts' ends left out."""
    split = pc.utf8_split_whitespace(texts)
    ids, rows = [], []
    for r, words in enumerate(split.to_pylist()):
        for word in words:
            if word:
                ids.append(tokens.index(word) if word in tokens else -1)
                rows.append(r)
    return ids, rows


ODD = ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f", " ", "  ", "\x85", "\xa0", "\u1680"]
ODD += ["\u2000", "\u200a", "\u200b", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_token_ids_equal_pyarrow_on_generated_posts(seed: int) -> None:
    rng = random.Random(seed)
    tokens = ["cant", "login", "_q_", "é", "naïve", "😡", "日本", "a\u200bb", "x", "neg_work"]
    words = [*tokens, "other", "Ünïcode", "😡😡", "\u0301", "tail_"]
    texts = [
        "".join(rng.choice([rng.choice(words), rng.choice(ODD)]) for _ in range(rng.randint(0, 12)))
        for _ in range(2000)
    ]
    table = TokenTable.build(tokens)
    array = pa.array(texts, pa.large_string())
    for sliced in (array, array.slice(7, 1500)):  # an array that starts at an offset too
        ids, rows = token_ids(sliced, table)
        assert (ids.tolist(), rows.tolist()) == reference(sliced, tokens)


def test_a_table_of_many_tokens_finds_each_and_only_them() -> None:
    tokens = [f"t{i}" for i in range(5000)] + ["", "t"]
    table = TokenTable.build(tokens)
    texts = pa.array([" ".join(tokens[::7]), "t5000 t49999 t t0"], pa.large_string())
    ids, rows = token_ids(texts, table)
    assert ids.tolist() == [*range(0, 5000, 7), -1, -1, 5001, 0]  # the empty token is none
    assert rows.tolist() == [0] * len(range(0, 5000, 7)) + [1] * 4


def features(
    vectorizer: object, texts: list[str], monkeypatch: pytest.MonkeyPatch, on: bool
) -> object:
    monkeypatch.setenv("OUTAGE_COMPILED", "1" if on else "0")
    normalised = vectorizer.normalise(texts)  # type: ignore[attr-defined]
    monkeypatch.setenv("OUTAGE_COMPILED", "1" if on else "0")
    return vectorizer.transform_normalised(normalised)  # type: ignore[attr-defined]


def assert_same_matrix(a: object, b: object) -> None:
    assert a.shape == b.shape  # type: ignore[attr-defined]
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(a, part), getattr(b, part)), part


def shipped_vectorizer() -> object:
    return load_model(compact=True).estimator.vectorizer_


def test_the_shipped_features_are_the_same_on_simulated_posts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pandas as pd

    from detector.simulate.posts import generate_posts
    from detector.simulate.scenarios import build_plan

    plan = build_plan("load", seed=5, posts=8000)
    texts = pd.concat(generate_posts(plan, 5), ignore_index=True)["text"].tolist()
    vectorizer = shipped_vectorizer()
    compiled = features(vectorizer, texts, monkeypatch, on=True)
    assert vectorizer._lookup.table is not None  # the compiled path ran
    assert_same_matrix(compiled, features(vectorizer, texts, monkeypatch, on=False))


@pytest.mark.shared_data
def test_the_shipped_features_are_the_same_on_real_posts(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    texts: list[str] = []
    for file in sorted((shared_data / "posts").glob("*.csv")):
        texts += pd.read_csv(file, usecols=["text"], dtype=str)["text"].dropna().tolist()
    assert len(texts) > 10_000
    vectorizer = shipped_vectorizer()
    for start in range(0, len(texts), 20_000):
        batch = texts[start : start + 20_000]
        assert_same_matrix(
            features(vectorizer, batch, monkeypatch, on=True),
            features(vectorizer, batch, monkeypatch, on=False),
        )


def test_a_failing_tokeniser_warns_and_pyarrow_takes_over(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["can't log in to outlook", "is gmail down?", "lunch"] * 1000
    vectorizer = shipped_vectorizer()
    expected = features(vectorizer, texts, monkeypatch, on=False)
    monkeypatch.setattr(postfeatures, "_TOKENS_BROKEN", [])

    def broken(*args: object) -> object:
        raise ValueError("bad machine code")

    monkeypatch.setattr(fasttokens, "token_ids", broken)
    with pytest.warns(RuntimeWarning, match="compiled tokeniser failed.*bad machine code"):
        got = features(vectorizer, texts, monkeypatch, on=True)
    assert_same_matrix(got, expected)
    assert postfeatures._TOKENS_BROKEN  # not tried again in this process


def test_where_numba_cannot_cache_no_compiled_path_runs() -> None:
    """``compiled.available()`` must know before any compiled module is imported (it read
    ``jit.CACHED`` while still true, and each process then compiled in memory)."""
    import subprocess
    import sys

    code = (
        "from numba.core import caching\n"
        "caching.CacheImpl._locator_classes = []\n"
        "from detector.text import compiled, normalize\n"
        "from detector.text.catalog import compiled_scan_enabled\n"
        "print(compiled.available(), normalize._compiled_enabled(), compiled_scan_enabled())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]
