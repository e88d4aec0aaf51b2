"""``Catalog.match_many`` (one scan over a batch) equals ``match`` post by post.

The batch path scans ASCII and non-ASCII posts together and reads the case-sensitive
and common-word rules from that scan; these tests compare it with the per-post
reference, once with the batch scanned by the regular expression and once by the
compiled scan (:mod:`detector.text.fastscan`, forced on for every batch size), on
hand-picked posts (emoji, accents, "İ", the Kelvin sign, final sigma,
mixed scripts, NUL, non-strings), on seeded random posts built from every surface form
of the catalog, on simulated posts and on the shared real posts.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

import detector.text.catalog as catalog_module
from detector.text.catalog import Catalog

#: Non-ASCII posts and their neighbours; each case is checked alone and in a batch.
CASES = [
    "Gmail😡😡",
    "😡Gmail down😡",
    "LINEが落ちた",
    "LINEが落ちた LINE",
    "line が落ちた",
    "Teams 😩 keeps crashing at work",
    "Teams 😩",
    "teams 😩 won the match",
    "Microsoft Teams\u00a0down 🙄",
    "MS\u00a0Teams down",
    "ms\tteams down 😤",
    "Office\u2028365 email broken ✉️",
    "EE signal gone 📉, ee",
    "WA? IG? wa ig 😂",
    "WA 😂 IG",
    "Sky broadband down 📺, Sky at a gate",
    "Sky ☁️",
    "Exchange mailbox not syncing 📧",
    "crypto exchange 📉 down, EXCHANGE too",
    "see facebook.com/page/1 🙂 and status.slack.com/x",
    "youtu.be/abc 🎵 youtube down",
    "instagram.com/p/xyz 📸",
    "Pokémon GO servers down 😭",
    "POKÉMON GO down",
    "pokémon go",
    "Hydro-Québec panne 🔌",
    "HYDRO-QUÉBEC panne",
    "hydro québec 😡",
    "Telefónica caída 📵",
    "TELEFÓNICA",
    "Vivo Telefônica fora do ar",
    "İ Outlook",
    "İİİ teams İ Teams down",
    "İnstagram down 😡 instagram",
    "Gmail İ gmail",
    "\u212aakao down, Gmail fine",  # KELVIN SIGN lower-cases to ASCII "k"
    "\u212a Gmail",
    "ΟΔΟΣ Gmail ΣΑΣ",  # final sigma depends on the letters around it
    "Gmail ΣΑΣ",
    "ΣΑΣ",
    "ς gmail Σ",
    "Outlook\u0301 down",  # a combining accent right after a form
    "é gmail é",
    "Gmail—down—Outlook",
    "gmail\x00outlook 😡",  # NUL inside a post: the batch joins posts with it
    "\x00",
    "😡\x00Gmail",
    "",
    " ",
    "😀",
    "Zoom\U0001f4a5Slack",
    "@SlackHQ 🆘 status.slack.com",
    "#ExchangeOnline 😡 #exchangeonline",
    "Verizon Fios 📶 out",
    "Verizon\u3000Fios",
    "AA flight 🛫 delayed",
    "United 🛫 flight cancelled",
    "my google",
    "play store broken 😡",
    "Apple Music 🎶 down, apple pie 🍎",
    "WoW servers down 🎮",
    "wow 😮",
    "Rogers internet down 🇨🇦",
    "City Power outage ⚡",
    "city power",
    "City\tPower outage ⚡",  # a case-sensitive form with other whitespace
    "City  Power 😡",
    "Ｇｍａｉｌ down",  # full-width letters are not ASCII word characters
    "Gmail\ud800 lone surrogate",
    "Slack's down 😡",
]

#: Characters the random posts are sprinkled with.
ODD = list("😡😂🙂📉⚡🇨🇦éÉüÜçÇñÑßİıΣσςΟΔ\u212a\u212bが落ちたЖж\u0301\u00a0\u2028\u3000\t\n —'’./@#")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(autouse=True, params=["regex", "compiled"])
def scan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with each of ``match_many``'s scans: the regular expression, and
    the compiled scan for every batch however small."""
    if request.param == "regex":
        monkeypatch.setenv("OUTAGE_COMPILED", "0")
    else:
        monkeypatch.setenv("OUTAGE_COMPILED", "1")
        monkeypatch.setattr(catalog_module, "COMPILED_BATCH", 0)
        assert Catalog.load()._compiled() is not None
    return request.param


def reference(catalog: Catalog, texts: list) -> list[list[str]]:
    return [catalog.match(t) for t in texts]


def check(catalog: Catalog, texts: list) -> None:
    """match_many equals match on *texts*, and on them without the posts that make a
    batch set some aside ("İ", NUL, non-strings), so that both of its paths run."""
    assert catalog.match_many(texts) == reference(catalog, texts)
    plain = [t for t in texts if isinstance(t, str) and "\x00" not in t and "İ" not in t]
    assert catalog.match_many(plain) == reference(catalog, plain)


def test_hand_picked_non_ascii_posts(catalog: Catalog) -> None:
    for text in CASES:
        assert catalog.match_many([text]) == [catalog.match(text)], text
    texts = [*CASES, None, "Gmail down", *reversed(CASES), float("nan"), 3, "all good"]
    check(catalog, texts)
    assert catalog.match_many(iter(texts)) == reference(catalog, texts)
    ascii_only = [t for t in texts if isinstance(t, str) and t.isascii()]
    assert catalog.match_many(ascii_only) == reference(catalog, ascii_only)


def test_hand_picked_results(catalog: Catalog) -> None:
    got = dict(zip(CASES, catalog.match_many(CASES), strict=True))
    assert got["Gmail😡😡"] == ["Gmail"]
    assert got["LINEが落ちた"] == ["LINE"]
    assert got["Pokémon GO servers down 😭"] == ["Pokémon GO"]
    assert got["HYDRO-QUÉBEC panne"] == ["Hydro-Québec"]
    assert got["WA? IG? wa ig 😂"] == ["WhatsApp", "Instagram"]
    assert got["İİİ teams İ Teams down"] == ["Microsoft Teams"]
    assert got["gmail\x00outlook 😡"] == ["Gmail", "Outlook"]
    assert got["see facebook.com/page/1 🙂 and status.slack.com/x"] == ["Slack"]
    assert got["City\tPower outage ⚡"] == ["City Power"]


def _random_post(rng: random.Random, forms: list[str], words: list[str]) -> str:
    parts = []
    for _ in range(rng.randint(0, 9)):
        roll = rng.random()
        if roll < 0.3:
            form = rng.choice(forms)
            case = rng.random()
            if case < 0.25:
                form = form.upper()
            elif case < 0.5:
                form = form.title()
            elif case < 0.6:
                form = form.replace(" ", rng.choice(["  ", "\t", "\n", "\u00a0"]))
            parts.append(form)
        elif roll < 0.75:
            parts.append(rng.choice(words))
        else:
            parts.append("".join(rng.choice(ODD) for _ in range(rng.randint(1, 3))))
    glue = [rng.choice([" ", " ", " ", "", ", ", "/", "'s ", "! ", rng.choice(ODD)]) for _ in parts]
    text = "".join(p + g for p, g in zip(parts, glue, strict=True))
    if rng.random() < 0.01:
        text = text.replace(" ", "\x00", 1)
    return text


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_posts_from_every_form(catalog: Catalog, seed: int) -> None:
    rng = random.Random(seed)
    forms = [form for service in catalog for form in _forms(service)]
    words = ["down", "outage", "app", "email", "flight", "crypto", "stock", "in", "the"]
    words += ["is", "not", "working", "again", "lol", "bank", "card", "game", "mailbox"]
    texts: list = [_random_post(rng, forms, words) for _ in range(3000)]
    texts[::97] = [None] * len(texts[::97])
    check(catalog, texts)
    # every post as a batch of its own, and the batch reversed
    assert [catalog.match_many([t])[0] for t in texts[:500]] == reference(catalog, texts[:500])
    assert catalog.match_many(texts[::-1]) == reference(catalog, texts[::-1])


def _forms(service) -> list[str]:
    return [
        service.name,
        *service.aliases,
        *service.handles,
        *service.hashtags,
        *service.case_sensitive_aliases,
        *service.negative_context,
    ]


def test_a_catalog_with_non_ascii_and_case_sensitive_forms() -> None:
    catalog = Catalog.from_records(
        [
            {"name": "Café Net", "aliases": ["cafénet"], "category": "telco"},
            {"name": "Ωmega", "case_sensitive_aliases": ["ΩM"], "category": "chat"},
            {"name": "Sky", "case_sensitive_aliases": ["Sky"], "category": "telco"},
            {"name": "Tube", "aliases": ["tube.example"], "category": "streaming"},
            {"name": "Sigma", "aliases": ["ας"], "category": "telco"},  # a final sigma
            {"name": "Vid", "case_sensitive_aliases": ["VID.tv"], "category": "streaming"},
        ]
    )
    texts = [
        "CAFÉ NET down 😡",
        "café net",
        "ΩM down, ωm fine",
        "ΩM",
        "Sky 📺 broadband down",
        "Sky ☁️",
        "tube.example/v/1 😂",
        "tube.example down",
        "İ café net",
        "VID.tv/watch/1 😂",  # a shared link, with a case-sensitive form
        "VID.tv down",
        "vid.tv down",
        "ΑΣ",  # lower-cases to the final sigma, as at the end of every post in a batch
        "ΒΑΣ",
        "Βήτα",
        "ΑΣ 😡",
        "ΑΣΑ",
        "ΑΣ'",
    ]
    check(catalog, texts)
    assert catalog.match_many(texts)[:3] == [["Café Net"], ["Café Net"], ["Ωmega"]]
    assert catalog.match_many(texts)[-6:] == [["Sigma"], ["Sigma"], [], ["Sigma"], [], ["Sigma"]]


def test_simulated_posts(catalog: Catalog) -> None:
    from detector.simulate.posts import generate_posts
    from detector.simulate.scenarios import build_plan

    plan = build_plan("load", seed=3, posts=20_000)
    texts = pd.concat(generate_posts(plan, 3), ignore_index=True)["text"].tolist()
    assert sum(not t.isascii() for t in texts) > 1000  # emoji: the batch scans them too
    check(catalog, texts)


def _real_texts(root: Path) -> list[str]:
    files = {
        root / "streams" / "airline_tweets_feb2015.csv": "text",
        root / "streams" / "comcast_fcc_complaints_2015.csv": "Customer Complaint",
        root / "unlabeled" / "app_reviews_and_support.csv": "text",
    }
    files.update(
        {f: "Text" for f in sorted((root / "streams" / "power_outage_tweets_2019").glob("*.csv"))}
    )
    texts: list[str] = []
    for file, column in files.items():
        if file.is_file():
            frame = pd.read_csv(file, usecols=[column], dtype=str, keep_default_na=False)
            texts += frame[column].tolist()
    return texts


@pytest.mark.shared_data
def test_shared_real_posts(shared_data: Path, catalog: Catalog) -> None:
    texts = _real_texts(shared_data)
    assert len(texts) > 10_000
    assert any(not t.isascii() for t in texts)
    check(catalog, texts)
