"""The batch term extraction of enrichment gives what the text-by-text logic gives.

``enrich`` and ``distinctive_terms`` tokenize all their distinct texts at once
(``_TermIndex``: the texts joined, one regex pass each) and count document frequencies
with numpy. The reference below is the plain logic they replaced, a text at a time;
both must agree exactly (same lists, same order) on seeded random texts full of what
tokenizing can trip on (non-ASCII letters that lower-case to ASCII, final sigma, URLs,
mentions, apostrophes, digits, whitespace controls, the join separator itself) and on
the shipped sample posts.
"""

from __future__ import annotations

import copy
import html
import math
import random
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from detector.incidents import enrich as E
from detector.incidents.incident import Incident
from detector.paths import SAMPLES, project_path
from detector.text.redact import redact

# -- the reference: the text-by-text implementation, written plainly ------------------

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"[@#](\w+)")


def ref_tokens(text: str) -> list[str]:
    text = _URL.sub(" ", text.lower().replace("\u2019", "'"))
    text = _MENTION.sub(r"\1", text)
    return [t for t in _TOKEN.findall(text) if t not in E.STOP_WORDS and not t.isdigit()]


def ref_distinctive_terms(
    inside: Sequence[str], outside: Sequence[str], n: int = 10, min_docs: int = 2
) -> list[str]:
    df_in: Counter[str] = Counter()
    for text in inside:
        df_in.update(set(ref_tokens(text)))
    df_out: Counter[str] = Counter()
    for text in outside:
        df_out.update(set(ref_tokens(text)))
    n_in, n_out, prior = len(inside), len(outside), 0.5
    scored = []
    for term, a in df_in.items():
        if a < min_docs:
            continue
        b = df_out.get(term, 0)
        delta = math.log((a + prior) / (n_in - a + prior)) - math.log(
            (b + prior) / (n_out - b + prior)
        )
        var = 1 / (a + prior) + 1 / (n_in - a + prior) + 1 / (b + prior) + 1 / (n_out - b + prior)
        z = delta / math.sqrt(var)
        if z > 0:
            scored.append((-z, -a, term))
    return [term for _, _, term in sorted(scored)[:n]]


def ref_sample_texts(
    texts: Sequence[str], probs: Sequence[float], terms: Sequence[str], n: int = 3
) -> list[str]:
    wanted = set(terms)
    order = sorted(
        range(len(texts)),
        key=lambda i: (-len(wanted & set(ref_tokens(texts[i]))), -float(probs[i]), i),
    )
    seen: set[str] = set()
    out: list[str] = []
    for i in order:
        shown = html.unescape(texts[i]).strip()
        key = " ".join(_TOKEN.findall(_URL.sub(" ", shown.lower())))
        if not key or key in seen:
            continue
        seen.add(key)
        text = redact(shown)
        out.append(text if len(text) <= 280 else text[:279] + "…")
        if len(out) == n:
            break
    return out


def ref_enrich(incidents: Sequence[Incident], posts: pd.DataFrame) -> None:
    times = pd.to_datetime(posts["created_at"], utc=True)
    text = posts["text"].fillna("").astype(str).tolist()
    outage = posts["is_outage"].fillna(False).astype(bool).to_numpy()
    prob = posts["outage_prob"].fillna(0.0).to_numpy(dtype=float)
    symptom = posts["symptom"].astype(object).where(posts["symptom"].notna(), "other")
    service = posts["service"].astype(object)
    overall = (service == "all services").to_numpy()
    if not overall.any():
        overall = np.ones(len(posts), bool)
    for inc in incidents:
        mine = overall if inc.service == "all services" else (service == inc.service).to_numpy()
        during = (times >= pd.Timestamp(inc.started_at)).to_numpy()
        if inc.resolved_at is not None:
            during = during & (times < pd.Timestamp(inc.resolved_at)).to_numpy()
        inside = mine & during & outage
        if not inside.any():
            inc.symptoms, inc.top_terms, inc.sample_posts = {}, [], []
            continue
        shares = symptom[inside].value_counts(normalize=True)
        inc.symptoms = {
            str(k): round(float(v), 4)
            for k, v in sorted(shares.items(), key=lambda kv: (-kv[1], str(kv[0])))
        }
        ins = [text[i] for i in np.flatnonzero(inside)]
        outs = [text[i] for i in np.flatnonzero(mine & ~during)]
        inc.top_terms = ref_distinctive_terms(ins, outs)
        inc.sample_posts = ref_sample_texts(ins, prob[inside].tolist(), inc.top_terms)


# -- seeded texts ----------------------------------------------------------------------

# fmt: off
_PIECES = [
    "down", "not", "working", "outage", "again", "login", "app", "crash", "error", "slow",
    "messages", "send", "stuck", "the", "a", "is", "it's", "i'm", "can't", "won't", "don't",
    "and", "to", "of", "in", "404", "500", "2025", "10/10", "x1", "3g", "5g",
    "can\u2019t", "won\u2019t", "it\u2019s", "don'", "'tis", "rock'n'roll", "o''clock", "''",
    "https://t.co/AbC", "http://x.io/a?b=1", "www.Example.com/x", "https://a.b/\u2019s",
    "http://", "www.", "wwwx", "@Gmail", "#Outage", "@@double", "#", "@", "#1", "@_x",
    "#can't", "@\u0130stanbul", "\u0130STANBUL", "\u0130", "D\u0130SK", "\u0131", "I",
    "\u03a3", "\u039f\u0394\u039f\u03a3", "\u03c3\u03bf\u03c6\u03bf\u03c3", "A\u03a3", "\u03a3A",
    "\u212a", "\u212aelvin", "\u017f", "\u00df", "STRA\u00dfE", "\u1e9e", "\ufb01le", "\ufb00",
    "caf\u00e9", "cafe\u0301", "na\u00efve", "\u00c9CHEC", "\u0627\u0644\u062e\u062f\u0645\u0629",
    "\u670d\u52a1", "\u30c0\u30a6\u30f3", "\ud55c\uad6d\uc5b4", "\u0968\u0966",
    "\uff11\uff12", "\u00b2", "\u0663", "\u2460", "\U0001f600", "\U0001f525\U0001f525",
    "\u2764\ufe0f", "\U0001f1fa\U0001f1f8", "\u200b", "\u200d", "\u00a0", "\u2028",
    "\x0b", "\x1c", "\x1e", "\x1f", "\x85", "\t", "\n", "\r\n", "&amp;", "&lt;3", "AT&T",
    "e-mail", "me@x.com", "+1 555 0100", "DOWN!!!", "Down?", "NOT", "LoGiN", "...", "\u2014",
    "'", "\u2019", "`", "k'", "'k", "x'y'z",
]
# fmt: on


def random_text(rng: random.Random) -> str:
    """A text of a few pieces, joined by spaces or glued together."""
    parts = [rng.choice(_PIECES) for _ in range(rng.randint(0, 12))]
    out = ""
    for part in parts:
        out += rng.choice([" ", " ", " ", "", ",", "\u00a0", "\n", "'"]) + part
    return out


def random_texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    pool = [random_text(rng) for _ in range(max(1, n // 3))]
    # repeats, as real posts repeat
    return [rng.choice(pool) if rng.random() < 0.4 else random_text(rng) for _ in range(n)]


def sample_posts_texts() -> list[str]:
    texts: list[str] = []
    for name in SAMPLES:
        frame = pd.read_csv(project_path("data", "samples", f"{name}.csv"), dtype=str)
        texts.extend(frame["text"].fillna("").tolist())
    return texts


# -- tests -----------------------------------------------------------------------------


def _index_sets(texts: list[str]) -> list[set[str]]:
    index = E._TermIndex(texts)
    sets: list[set[str]] = [set() for _ in texts]
    for i, t in zip(index.text_of.tolist(), index.term_of.tolist(), strict=True):
        term = index.vocab[t]
        assert term not in sets[i]  # each pair once
        sets[i].add(term)
    return sets


@pytest.mark.parametrize("seed", range(6))
def test_term_index_is_the_set_of_tokens_of_each_text(seed: int) -> None:
    texts = random_texts(seed, 1500)
    if seed % 2:  # without the texts holding the separator: the one-pass path only
        texts = [t for t in texts if E._SEP not in t]
    assert [E.tokens(t) for t in texts] == [ref_tokens(t) for t in texts]
    assert _index_sets(texts) == [set(ref_tokens(t)) for t in texts]


def test_term_index_on_sample_posts_and_edge_cases() -> None:
    texts = sample_posts_texts()
    assert len(texts) > 1000
    assert _index_sets(texts) == [set(ref_tokens(t)) for t in texts]
    edge = ["", "\x1e", "\x1e\x1e", "a\x1eb", "down\x1e", "\x1edown", " ", "the", "12 34"]
    for k in range(len(edge) + 1):
        assert _index_sets(edge[:k]) == [set(ref_tokens(t)) for t in edge[:k]]
    assert _index_sets([]) == []


@pytest.mark.parametrize("seed", range(8))
def test_distinctive_terms_match_the_reference(seed: int) -> None:
    rng = random.Random(100 + seed)
    texts = random_texts(seed, 2000)
    cut = rng.randint(0, len(texts))
    inside, outside = texts[:cut], texts[cut:]
    min_docs = rng.choice([0, 1, 2, 3])
    n = rng.choice([0, 3, 10, 50])
    want = ref_distinctive_terms(inside, outside, n=n, min_docs=min_docs)
    assert E.distinctive_terms(inside, outside, n=n, min_docs=min_docs) == want
    assert E.distinctive_terms(iter(inside), pd.Series(outside), n=n, min_docs=min_docs) == want


def test_distinctive_terms_on_sample_posts() -> None:
    texts = sample_posts_texts()
    for cut in (0, 1, 500, len(texts) // 2, len(texts)):
        inside, outside = texts[:cut], texts[cut:]
        assert E.distinctive_terms(inside, outside) == ref_distinctive_terms(inside, outside)
        assert E.distinctive_terms(outside, inside, n=40) == ref_distinctive_terms(
            outside, inside, n=40
        )


@pytest.mark.parametrize("seed", range(4))
def test_sample_texts_match_the_reference(seed: int) -> None:
    rng = random.Random(200 + seed)
    texts = random_texts(seed, 300)
    probs = [rng.choice([0.0, -0.0, 0.5, 1.0, rng.random()]) for _ in texts]
    terms = ref_distinctive_terms(texts[:150], texts[150:]) + ["down", "not-a-term"]
    assert E.sample_texts(texts, probs, terms) == ref_sample_texts(texts, probs, terms)


def _frame(texts: list[str], seed: int) -> tuple[pd.DataFrame, list[Incident]]:
    """Posts of three services (and "all services" rows) over two days, and incidents."""
    rng = np.random.default_rng(seed)
    n = len(texts)
    start = pd.Timestamp("2025-03-01", tz="UTC")
    services = rng.choice(["Gmail", "Slack", "X", "all services"], size=n)
    frame = pd.DataFrame(
        {
            "service": services,
            "created_at": start + pd.to_timedelta(np.sort(rng.integers(0, 2 * 86400, n)), "s"),
            "text": pd.Series(texts, dtype="str"),
            "is_outage": rng.random(n) < 0.5,
            "outage_prob": np.round(rng.random(n), 2).astype(np.float32),
            "symptom": rng.choice(np.array(["access", "app", None], dtype=object), size=n),
        }
    )
    incidents = []
    for service in ["Gmail", "Slack", "X", "all services", "Nobody"]:
        for hours, length in [(5, 3), (20, 10), (40, None)]:
            began = start + pd.Timedelta(hours=hours)
            end = None if length is None else began + pd.Timedelta(hours=length)
            incidents.append(Incident(service, began, began, resolved_at=end))
    return frame, incidents


def _same_enrichment(frame: pd.DataFrame, incidents: list[Incident]) -> None:
    got, want = copy.deepcopy(incidents), copy.deepcopy(incidents)
    E.enrich(got, frame)
    ref_enrich(want, frame)
    assert [(i.symptoms, i.top_terms, i.sample_posts) for i in got] == [
        (i.symptoms, i.top_terms, i.sample_posts) for i in want
    ]
    assert any(i.top_terms for i in got) and any(i.sample_posts for i in got)


@pytest.mark.parametrize("seed", range(3))
def test_enrich_matches_the_reference(seed: int) -> None:
    frame, incidents = _frame(random_texts(seed, 4000), seed)
    _same_enrichment(frame, incidents)
    _same_enrichment(frame.astype({"text": object}), incidents)


def test_enrich_on_sample_posts_matches_the_reference() -> None:
    texts = sample_posts_texts()
    frame, incidents = _frame(texts, 7)
    _same_enrichment(frame, incidents)
