"""The compiled normaliser gives exactly what the regular expressions give.

:mod:`detector.text.fastnorm` reimplements :mod:`detector.text.normalize`'s thirteen
passes as four compiled scans; a difference would change every model's features. The
regular-expression path (pyarrow's RE2 kernels, ``OUTAGE_COMPILED=0``) is the reference.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.text import fastnorm
from detector.text.normalize import _regex_passes, normalize_array, normalize_many


def reference(texts: list[str]) -> list[str]:
    """The regular-expression passes, untidy (what the vectoriser reads)."""
    return _regex_passes(pa.array(texts, pa.large_string())).to_pylist()


def compiled(texts: list[str]) -> list[str | None]:
    return fastnorm.normalize_plain(pa.array(texts, pa.large_string())).to_pylist()


def assert_same(texts: list[str]) -> int:
    """Every plain post of *texts* normalises the same on both paths; returns how many."""
    fast, slow = compiled(texts), reference(texts)
    wrong = [
        (t, f, s) for t, f, s in zip(texts, fast, slow, strict=True) if f is not None and f != s
    ]
    assert not wrong, f"{len(wrong)} differ, e.g. {wrong[:3]}"
    return sum(f is not None for f in fast)


#: Pieces that hit each rule and its edges: where a match starts and ends (word
#: boundaries, greedy runs, alternation order), and what sits beside it.
PIECES = [
    "can not",
    "cannot",
    "can  not",
    "cannot2",
    "xcannot",
    "can nothing",
    "unable to",
    "unable tox",
    "cnt",
    "cnts",
    "Can't",
    "CANNOT",
    "can’t",
    "can`t",
    "can´t",
    "log in",
    "login",
    "logging in",
    "logged on to",
    "loginto",
    "log into",
    "signin",
    "signing on",
    "signed into",
    "sign-in",
    "Log In",
    "log  in",
    "logon",
    "log in2",
    "slog in",
    "sign ined",
    "logingto",
    "log ining",
    "12",
    "1.5",
    "1,000.50",
    "3:45pm",
    "1.",
    ".5",
    "1..2",
    "v2",
    "2fa",
    "a1b2",
    "&amp;",
    "&#39;",
    "&Amp;",
    "&#;",
    "& amp;",
    "&x",
    "&",
    "&&amp;",
    "http://t.co/x",
    "https://a.b/c?d=1",
    "http://",
    "https:// x",
    "HTTP://x",
    "www.x.y",
    "www.",
    "wwww.x",
    "ahttp://x",
    "@User_1",
    "@",
    "@@x",
    "a@b",
    "@x!",
    "ExchangeOnline",
    "aBcdEfgh",
    "iPhone",
    "WiFi",
    "McDonald",
    "aBcd",
    "aBc",
    "sooo",
    "dooown",
    "looool",
    "hhhh",
    "ssss",
    "zzz",
    "oo",
    "OOOoo",
    "o'oo",
    "?",
    "???",
    "!",
    "!!!",
    "?!",
    "?!?",
    "!?",
    "...",
    "--",
    "(",
    ")",
    "#Tag",
    "#",
    "😀",
    "😀😀",
    "❤️",
    "👍🏽",
    "✅",
    "⬆",
    "👨‍👩‍👧",
    "😀?😀",
    "—",
    "…",
    "“",
    "”",
    "‘",
    "’",
    "´",
    "\u00a0",
    "·",
    "•",
    "€",
    "£",
    "©",
    "®",
    "™",
    "°",
    "§",
    "«",
    "»",
    "¿",
    "¡",
    "not working",
    "not  working",
    "not\tworking",
    "no internet",
    "no\n2",
    "nothing works",
    "never _x",
    "dont go",
    "isnt up",
    "notworking",
    "not",
    "no",
    "without power",
    "not not",
    "wont neg_x",
    "aint",
    "no.",
    "not?",
    "cant log in",
    "dont 2fa",
    "_",
    "__",
    "a_b",
    "x",
    "Y",
    "word",
    "UPPER",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
]
# fmt: on


def generated_posts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    glue = ["", " ", " ", "  ", ".", ",", "\n", "!", "?", "'", "😀"]
    return [
        "".join(rng.choice(PIECES) + rng.choice(glue) for _ in range(rng.randint(1, 9)))
        for _ in range(n)
    ]


def test_generated_posts_normalise_the_same() -> None:
    posts = generated_posts(30_000, seed=7)
    assert assert_same(posts) == len(posts)  # every piece above is plain


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(
                list("abcdegilnostuwxyABCLNOST0123456789_ .,:;'`!?@#&/-\t\n")
                + ["😀", "’", "…", "\u00a0", "é", "ß", "İ", "\x0b", "\x0c"]
            ),
            max_size=40,
        ),
        min_size=1,
        max_size=30,
    )
)
def test_fuzzed_posts_normalise_the_same(texts: list[str]) -> None:
    assert_same(texts)


def test_posts_the_compiled_path_leaves_to_the_regular_expressions() -> None:
    assert fastnorm.plain_rows(
        pa.array(["ok 👍", "déjà vu", "İstanbul", "a\x0bb", "a\x0cb", "\x7f", "日本", "ok"])
    ).tolist() == [True, False, False, False, False, False, False, True]


def test_large_batches_mix_both_paths_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    posts = generated_posts(3_000, seed=1)
    posts[::7] = ["Déjà vu: İstanbul can't log in!!"] * len(posts[::7])
    posts[5] = None  # type: ignore[call-overload]
    mixed = normalize_array(pa.array(posts, pa.large_string())).to_pylist()
    monkeypatch.setenv("OUTAGE_COMPILED", "0")
    assert mixed == normalize_array(pa.array(posts, pa.large_string())).to_pylist()
    assert mixed[0] == "déjà vu istanbul cant neg_login _excl_"
    assert mixed[5] == ""
    assert normalize_many(posts) == mixed


def test_the_compiled_path_knows_the_rules_it_implements() -> None:
    """Changing a rule in normalize.py turns the compiled path off until this module is
    brought in line (then update ``RULES_DIGEST``)."""
    assert fastnorm.rules_digest() == fastnorm.RULES_DIGEST


def test_every_real_post_normalises_the_same(shared_data: Path) -> None:
    columns = {
        "posts/labeled_posts.csv": "text",
        "posts/labeled_posts_extra.csv": "text",
        "unlabeled/app_reviews_and_support.csv": "text",
        "streams/airline_tweets_feb2015.csv": "text",
        "streams/comcast_fcc_complaints_2015.csv": "Customer Complaint",
    }
    texts: list[str] = []
    for name, column in columns.items():
        texts += pd.read_csv(shared_data / name, usecols=[column])[column].dropna().tolist()
    for path in sorted((shared_data / "streams" / "power_outage_tweets_2019").glob("*.csv")):
        frame = pd.read_csv(path)
        column = "Text" if "Text" in frame else "text"
        texts += frame[column].dropna().astype(str).tolist()
    plain = assert_same(texts)
    assert len(texts) > 80_000
    assert plain / len(texts) > 0.98  # nearly every real post takes the compiled path


def test_arrow_reads_the_compiled_texts_as_its_own() -> None:
    """Arrow's string kernels may read a little past a buffer's last string (its own
    buffers are padded): the compiled text is followed by zeros, so that splitting it into
    tokens never depends on the memory behind it (it kept a trailing space in the last
    token of a batch, now and then, before)."""
    import pyarrow.compute as pc

    posts = ["they keep calling me about it 💯", "Is it down?"] * 1_500
    for _ in range(20):
        fast = fastnorm.normalize_plain(pa.array(posts, pa.large_string()))
        data = fast.buffers()[2].to_pybytes()
        end = int(np.frombuffer(fast.buffers()[1], dtype=np.int64)[len(fast)])
        assert data[end : end + 64] == bytes(64)
        assert (
            pc.utf8_split_whitespace(fast).to_pylist()
            == pc.utf8_split_whitespace(pa.array(reference(posts), pa.large_string())).to_pylist()
        )
