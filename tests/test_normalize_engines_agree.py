"""The per-post path (``regex`` module: the API, batches under 64 posts) and the batch
path (arrow's RE2) normalise every text alike.

They differed on non-ASCII text: RE2's ``\\b`` and ``\\s`` are ASCII only ("odlično
funkcionira" held a negator "no" in RE2 and none in ``regex``), and Python's ``lower``
turns "İ" into "i" plus a combining dot ("i nternet") and a final "Σ" into "ς" where
arrow gives "i" and "σ". The real post "İnternet connection very weak" was ``other`` in
an 11-post file and ``outage`` in a 101-post one.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from detector.text.normalize import SMALL_BATCH, normalize, normalize_array, normalize_many

CASES = [
    "İnternet connection very weak",
    "Odlično funkcionira!",
    "ΣΑΣ ΟΔΟΣ down",
    "no\u00a0internet",
    "not\u2003working",
    "x\u000bno\u000binternet",
    "ǅemal is down",
    "niño no funciona",
    "can\u2019t log\u00a0in",
    "http://x.y/a\u00a0b is down",
]


@pytest.mark.parametrize("text", CASES)
def test_both_engines_agree_on_non_ascii_text(text: str) -> None:
    assert normalize(text) == normalize_array(pa.array([text])).to_pylist()[0]


def test_both_engines_agree_on_generated_posts() -> None:
    rng = random.Random(7)
    pool = [
        *"abcXYZ019 _-'’!?.,:#@/\t\n\r\u000b\u000c\u00a0\u2003İΣσßčé\u0301中ا😀👍🏽\u200d\ufe0f❤",
        *["no ", "not ", "cant ", "can't ", "log in", "http://x.y/z ", "@user ", "#HashTag"],
        *["ExchangeOnline", "dooown", "1,000.5", "&amp;", "İnternet", "ΟΔΟΣ", "odlično ", "NO"],
    ]
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 25))) for _ in range(5000)]
    batch = normalize_array(pa.array(texts)).to_pylist()
    assert [normalize(t) for t in texts] == batch


def test_a_small_batch_normalises_as_a_large_one() -> None:
    posts = ["İnternet connection very weak", "Odlično funkcionira!"]
    small = normalize_many(posts)
    large = normalize_many(posts * SMALL_BATCH)[:2]
    assert small == large == ["internet connection very weak", "odlično neg_funkcionira _excl_"]


def test_a_word_boundary_the_translation_cannot_mean_is_refused() -> None:
    from detector.text.normalize import _as_re2

    assert _as_re2(r"\bcan ?not\b") == r"(?<![0-9A-Za-z_])can ?not(?![0-9A-Za-z_])"
    with pytest.raises(ValueError, match="not next to an ASCII letter"):
        _as_re2(r"x \b ")


@pytest.mark.parametrize("pattern", [r"\d+", r"\D+", r"\w+", r"\W+", r"[\d\s]+", r"[^\w]+", r"\S+"])
def test_a_class_the_translation_spells_out_means_what_it_means_in_re2(pattern: str) -> None:
    # a rule written with \d or \w one day must keep both engines in agreement, as \s does
    import pyarrow.compute as pc
    import regex

    from detector.text.normalize import _as_re2

    text = "a٣é_9 x²\u00a0Ⅻ-ǅ\u2003中z"
    re2 = pc.replace_substring_regex(pa.array([text]), pattern, "#").to_pylist()[0]
    assert regex.compile(_as_re2(pattern)).sub("#", text) == re2


@pytest.mark.parametrize("pattern", [r"a\Bb", r"[\S]", r"[x\W]", r"[\D]"])
def test_a_class_the_translation_cannot_spell_is_refused(pattern: str) -> None:
    from detector.text.normalize import _as_re2

    with pytest.raises(ValueError, match="spell it out"):
        _as_re2(pattern)
