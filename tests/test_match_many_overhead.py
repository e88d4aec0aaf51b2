"""``Catalog.match_many``'s batch preparation (one ``lower()`` of the joined batch, posts
found by the ``NUL`` between them) equals the per-post preparation it replaced, and the
batch's matches equal ``match`` post by post.

The reference :func:`per_post` is the former ``_batchable``: every post lower-cased on its
own, lengths by ``len``, then joined. Both scans (the regular expression, the compiled
scan for every batch size) run on seeded mixes of None, NaN, non-ASCII text, "İ", final
sigma, emoji, case-sensitive and common-word aliases, links and odd whitespace, and on the
shared real posts when they exist.
"""

from __future__ import annotations

import glob
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import detector.text.catalog as catalog_module
from detector.text.catalog import Catalog, _batchable

DATA = Path("/work/shared/data")

#: Pieces the seeded posts are made of.
WORDS = [
    "Gmail", "gmail", "GMAIL", "down", "Teams", "teams", "Exchange", "exchange", "crypto",
    "Sky", "sky", "EE", "ee", "Chase", "chase", "Outlook", "Office 365", "office\t365",
    "MS\u00a0Teams", "ms  teams", "status.slack.com", "facebook.com/page/1", "youtu.be/x",
    "@SlackHQ", "#ExchangeOnline", "City Power", "City\tPower", "Verizon Fios", "mailbox",
    "outage", "İ", "İnstagram", "ΣΑΣ", "ΟΔΟΣ", "ς", "σ", "Σ", "\u212aakao", "😡", "🇨🇦",
    "が落ちた", "é", "\u0301", "\x00", "\u2028", "\u3000", "\n", "\t", " ", "—", "'s", ".",
]  # fmt: skip


def per_post(texts: list[Any]) -> tuple[list[str], list[int] | None, str, np.ndarray]:
    """The former ``_batchable``: posts, rows, the scanned string, where each post begins."""
    try:
        lowered = list(map(str.lower, texts))
    except TypeError:
        rows: list[int] | None = [i for i, t in enumerate(texts) if isinstance(t, str)]
        posts = [texts[i] for i in rows]
        lowered = list(map(str.lower, posts))
    else:
        rows, posts = None, texts
    lengths = np.fromiter(map(len, posts), dtype=np.int64, count=len(posts))
    joined = "\x00" + "\x00".join(lowered)
    if len(joined) != int(lengths.sum()) + len(posts):
        keep = [k for k, post in enumerate(posts) if len(lowered[k]) == len(post)]
        posts = [posts[k] for k in keep]
        rows = keep if rows is None else [rows[k] for k in keep]
        lengths = lengths[keep]
        joined = "\x00" + "\x00".join([lowered[k] for k in keep])
    return posts, rows, joined, np.cumsum(lengths + 1) - lengths


def seeded(seed: int, count: int, *, odd: bool = True) -> list[Any]:
    """*count* posts of random :data:`WORDS` (with None and NaN unless not *odd*)."""
    rng = random.Random(seed)
    words = WORDS if odd else [w for w in WORDS if w not in ("İ", "İnstagram", "\x00")]
    posts: list[Any] = []
    for _ in range(count):
        roll = rng.random()
        if odd and roll < 0.02:
            posts.append(None if roll < 0.01 else math.nan)
            continue
        parts = rng.choices(words, k=rng.randint(0, 8))
        posts.append("".join(p + rng.choice(["", " ", " ", ", "]) for p in parts))
    return posts


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(params=["regex", "compiled"])
def scan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The regular expression, or the compiled scan for every batch however small."""
    if request.param == "regex":
        monkeypatch.setenv("OUTAGE_COMPILED", "0")
    else:
        monkeypatch.setenv("OUTAGE_COMPILED", "1")
        monkeypatch.setattr(catalog_module, "COMPILED_BATCH", 0)
        if Catalog.load()._compiled() is None:
            pytest.skip("the compiled scan is not available here")
    return request.param


def same_preparation(texts: list[Any]) -> None:
    posts, rows, lowered, starts, codes = _batchable(texts)
    want_posts, want_rows, want_lowered, want_starts = per_post(texts)
    every = list(range(len(texts)))  # rows None: all of them (the former gave [] for none)
    assert posts == want_posts
    assert (every if rows is None else rows) == (every if want_rows is None else want_rows)
    assert lowered == want_lowered
    assert starts.tolist() == want_starts.tolist()
    assert codes.tolist() == [ord(c) for c in lowered]


@pytest.mark.parametrize("seed", range(6))
def test_batch_preparation_equals_per_post_lowering(seed: int) -> None:
    same_preparation(seeded(seed, 400))
    same_preparation(seeded(seed, 400, odd=False))  # no post set aside: the fast path
    same_preparation([])
    same_preparation([None, math.nan])


@pytest.mark.parametrize("seed", range(4))
def test_match_many_equals_match_on_seeded_mixes(catalog: Catalog, scan: str, seed: int) -> None:
    for texts in (seeded(seed, 600), seeded(seed, 600, odd=False)):
        got = catalog.match_many(texts)
        assert got == [catalog.match(t) for t in texts]
        assert len({id(found) for found in got}) == len(got)  # every post its own list


def test_final_sigma_ends_at_each_post(scan: str) -> None:
    """A capital sigma lowers by its neighbours: the NUL between posts is a boundary,
    as the end of a post alone is ("ΑΣ" then "Βeta": ς, not σ)."""
    greek = Catalog.from_records([{"name": "Ας"}, {"name": "Ασβ"}, {"name": "Σα"}])
    texts = ["ΑΣ", "Βeta", "ΑΣ", "ΣΑ", "ΑΣΒ", "x ΑΣ", "ΑΣ\x00Β", "ΑΣ😀", "ΑΣ'", "ΑΣ'Β"] * 3
    assert greek.match_many(texts) == [greek.match(t) for t in texts]
    same_preparation(texts)


def test_a_nul_inside_a_post_keeps_the_offsets(catalog: Catalog, scan: str) -> None:
    texts = ["gmail\x00outlook", "\x00", "Teams down", "\x00\x00Sky broadband down", "x"]
    assert catalog.match_many(texts) == [catalog.match(t) for t in texts]
    same_preparation(texts)


def _real_posts() -> list[Any]:
    files = sorted(glob.glob(str(DATA / "posts" / "*.csv")))
    files += sorted(glob.glob(str(DATA / "streams" / "**" / "*.csv"), recursive=True))
    texts: list[Any] = []
    for file in files:
        frame = pd.read_csv(file, dtype=str, usecols=lambda c: c in ("text", "subject"))
        for column in frame.columns:
            texts.extend(frame[column].tolist())
    return texts


@pytest.mark.skipif(not DATA.is_dir(), reason=f"the shared real posts ({DATA}) are not here")
def test_match_many_equals_match_on_real_posts(catalog: Catalog, scan: str) -> None:
    texts = _real_posts()
    if not texts:
        pytest.skip(f"no posts with a text column under {DATA}")
    got = catalog.match_many(texts)
    assert got == [catalog.match(t) for t in texts]
    assert sum(map(bool, got)) > 0
    distinct = list(dict.fromkeys(t for t in texts if isinstance(t, str)))
    same_preparation(distinct)
    assert catalog.match_many(distinct) == [catalog.match(t) for t in distinct]
