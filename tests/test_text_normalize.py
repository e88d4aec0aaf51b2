"""Normalisation: exact outputs, and the batch (pyarrow/RE2) and per-post paths agree."""

from __future__ import annotations

import pytest

from detector.text.normalize import normalize, normalize_array, normalize_many, to_arrow


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can't log in", "cant neg_login"),
        ("Can't log into Outlook", "cant neg_login outlook"),
        ("Teams wont load", "teams wont neg_load"),
        ("is outlook down??", "is outlook down _q_"),
        (
            "emails stuck in outbox since 2pm #ExchangeOnline",
            "emails stuck in outbox since _num_ pm exchange online",
        ),
        ("@Comcast NO INTERNET!!!", "_user_ no neg_internet _excl_"),
        ("dooown again https://t.co/abc", "down again _url_"),
        ("unable to sign in", "cant neg_signin"),
        ("It’s not working 😡", "its not neg_working _emoji_"),
        ("zoom meeting in 5", "zoom meeting in _num_"),
        ("down to earth guy", "down to earth guy"),
        ("on hold for an hour &amp; a half", "on hold for an hour a half"),
        ("no WiFi at home, #WiFiDown", "no neg_wifi at home wifi down"),
        ("signed into Gmail", "signin gmail"),
        ("", ""),
    ],
)
def test_normalize_exact(text: str, expected: str) -> None:
    assert normalize(text) == expected


TRICKY = [
    "Is @Gmail down for anyone else??? #GmailDown",
    "café déjà vu — naïve ‘quotes’ … ok",
    "停電 断水 #台風被害 day 5",
    "sooooo sloooow, can not connect!!! 🙄🙄",
    "  tabs\tand\nnewlines  ",
    "_ __ ___ a_b",
    "24/7 support? 3.5GB at 10:30",
    "www.example.com/path and http://x.y/z?q=1",
]


def test_batch_and_single_paths_agree() -> None:
    many = TRICKY * 10  # above the small-batch cut-off: the pyarrow path
    batch = normalize_array(to_arrow(many)).to_pylist()
    assert batch == [normalize(t) for t in many]
    assert normalize_many(many) == batch
    assert normalize_many(TRICKY) == batch[: len(TRICKY)]


def test_missing_texts_become_empty() -> None:
    assert normalize_many([None, "ok", float("nan")]) == ["", "ok", ""]
    assert normalize_many([None, "ok", float("nan")] * 30)[:3] == ["", "ok", ""]
    assert normalize_array(to_arrow([None] * 70)).to_pylist() == [""] * 70
