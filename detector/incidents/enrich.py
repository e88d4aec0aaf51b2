"""What an incident looks like from the posts: symptom shares, distinctive terms, samples.

For each incident, its *outage posts* are the posts of its service classified as
outages (``is_outage``) from ``started_at`` until ``resolved_at`` (the end of the data
while it is open). From them:

* ``symptoms``: ``{symptom: share}`` of those posts (missing symptoms count as
  ``other``), largest share first;
* ``top_terms``: the words most over-represented in them against the service's posts
  outside the incident (weighted log-odds with a uniform prior, Monroe et al. 2008,
  on document frequencies so that one repeated post cannot dominate), stop words
  removed. The stop list is our own: generic lists such as scikit-learn's drop
  "down", "not", "out", "no", "off", the very words of outage posts;
* ``sample_posts``: a few distinct texts, the most confidently classified first, with e-mail
  addresses, phone and account numbers redacted (:func:`detector.text.redact.redact`),
  preferring texts that contain the top terms; HTML entities, as X/Twitter exports write
  texts (``&amp;``, ``&lt;3``), shown as the characters they stand for.

>>> import pandas as pd
>>> from detector.incidents.incident import Incident
>>> t = pd.Timestamp("2026-01-05 10:00", tz="UTC")
>>> posts = pd.DataFrame({
...     "service": ["Gmail"] * 5,
...     "created_at": [t - pd.Timedelta("2h"), t, t + pd.Timedelta("5min"),
...                    t + pd.Timedelta("6min"), t + pd.Timedelta("7min")],
...     "text": ["love the new gmail theme", "gmail down, can't login",
...              "Gmail is down again!! can't login", "gmail down for everyone?",
...              "gmail down can't login"],
...     "is_outage": [False, True, True, True, True],
...     "outage_prob": [0.1, 0.9, 0.95, 0.8, 0.85],
...     "symptom": [None, "access", "access", "other", "access"],
... })
>>> inc = Incident(service="Gmail", started_at=t, detected_at=t + pd.Timedelta("5min"))
>>> enrich([inc], posts)
>>> inc.symptoms
{'access': 0.75, 'other': 0.25}
>>> inc.top_terms[:3]
['down', "can't", 'login']
>>> inc.sample_posts
["Gmail is down again!! can't login", "gmail down, can't login", 'gmail down for everyone?']
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from detector.errors import SchemaError
from detector.incidents.incident import Incident
from detector.text.redact import redact

REQUIRED = ("service", "created_at", "text", "is_outage")
#: Terms and samples kept per incident.
N_TERMS = 10
N_SAMPLES = 3
#: A term must occur in at least this many of the incident's outage posts.
MIN_DOCS = 2
#: Longest sample text kept (characters).
MAX_SAMPLE_CHARS = 280

#: Function words without outage meaning. Negations and particles of failure ("not",
#: "no", "down", "out", "off", "can't", "won't", "again") are deliberately absent.
_STOP_TEXT = """
    a about above after all also am an and any are as at be been before being below
    between both but by could did do does doing during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it
    it's its itself just let's me more most my myself now of on once only or other our
    ours ourselves over own same she should so some such than that that's the their
    theirs them themselves then there there's these they this those through to too
    under until very was we were what what's when where which while who whom why will
    with would you your yours yourself yourselves i'm i've i'd i'll you're you've we're
    they're he's she's im ive u ur get got getting still even really like just one
    today right via rt amp http https www com co lol pls please
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"[@#](\w+)")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` without URLs, stop words and bare numbers.

    >>> tokens("Outlook is DOWN again, can't send https://t.co/x @Outlook")
    ['outlook', 'down', 'again', "can't", 'send', 'outlook']
    """
    text = _URL.sub(" ", text.lower().replace("\u2019", "'"))
    text = _MENTION.sub(r"\1", text)
    return [t for t in _TOKEN.findall(text) if t not in STOP_WORDS and not t.isdigit()]


def _term_set(text: str, memo: dict[str, frozenset[str]] | None) -> frozenset[str]:
    """The distinct :func:`tokens` of *text*, remembered in *memo* when given (one
    :func:`enrich` call reads a post for each incident whose window holds it)."""
    if memo is None:
        return frozenset(tokens(text))
    found = memo.get(text)
    if found is None:
        found = memo[text] = frozenset(tokens(text))
    return found


def distinctive_terms(
    inside: Iterable[str],
    outside: Iterable[str],
    *,
    n: int = N_TERMS,
    min_docs: int = MIN_DOCS,
    memo: dict[str, frozenset[str]] | None = None,
) -> list[str]:
    """Terms over-represented in the ``inside`` texts against the ``outside`` texts
    (*memo*: a dict that keeps each text's terms across calls).

    >>> distinctive_terms(["app crash", "app crash again", "crash"], ["new app", "app update"])
    ['crash']
    """
    df_in: Counter[str] = Counter()
    n_in = 0
    for text in inside:
        df_in.update(_term_set(text, memo))
        n_in += 1
    df_out: Counter[str] = Counter()
    n_out = 0
    for text in outside:
        df_out.update(_term_set(text, memo))
        n_out += 1
    prior = 0.5
    scored = []
    for term, a in df_in.items():
        if a < min_docs:
            continue
        b = df_out.get(term, 0)
        # log-odds of a post containing the term, inside vs outside, with its variance
        delta = math.log((a + prior) / (n_in - a + prior)) - math.log(
            (b + prior) / (n_out - b + prior)
        )
        var = 1 / (a + prior) + 1 / (n_in - a + prior) + 1 / (b + prior) + 1 / (n_out - b + prior)
        z = delta / math.sqrt(var)
        if z > 0:
            scored.append((-z, -a, term))
    return [term for _, _, term in sorted(scored)[:n]]


def _normal_form(text: str) -> str:
    return " ".join(_TOKEN.findall(_URL.sub(" ", text.lower())))


def sample_texts(
    texts: Sequence[str],
    probs: Sequence[float],
    terms: Sequence[str],
    *,
    n: int = N_SAMPLES,
    memo: dict[str, frozenset[str]] | None = None,
    redact_posts: bool = True,
) -> list[str]:
    """Up to ``n`` distinct texts: most top terms covered, then most confident first
    (*memo* as in :func:`distinctive_terms`); HTML entities unescaped (``&amp;`` is
    shown as ``&``), e-mail addresses, phone and account numbers replaced unless
    *redact_posts* is false.

    >>> sample_texts(["down", "Down!", "down again"], [0.9, 0.8, 0.7], ["down", "again"])
    ['down again', 'down']
    >>> sample_texts(["AT&amp;T down &lt;3", "AT&T down <3"], [0.9, 0.8], [])
    ['AT&T down <3']
    """
    wanted = set(terms)
    order = sorted(
        range(len(texts)),
        key=lambda i: (-len(wanted & _term_set(texts[i], memo)), -float(probs[i]), i),
    )
    seen: set[str] = set()
    out: list[str] = []
    for i in order:
        shown = html.unescape(texts[i]).strip()
        key = _normal_form(shown)
        if not key or key in seen:
            continue
        seen.add(key)
        text = redact(shown) if redact_posts else shown
        out.append(text if len(text) <= MAX_SAMPLE_CHARS else text[: MAX_SAMPLE_CHARS - 1] + "…")
        if len(out) == n:
            break
    return out


def enrich(incidents: Sequence[Incident], posts: pd.DataFrame) -> None:
    """Fill ``symptoms``, ``top_terms`` and ``sample_posts`` of each incident in place.

    ``posts`` has the columns ``service, created_at, text, is_outage`` and optionally
    ``outage_prob`` and ``symptom`` (scored posts, as ``score`` writes them). The
    pseudo-service ``"all services"`` takes the rows whose service is ``"all services"``
    when there are any (``score`` loads them apart: every post once), else the posts of
    every service; so an incident's terms and samples never depend on which other
    incidents' posts share the frame.
    """
    if not incidents:
        return
    missing = [c for c in REQUIRED if c not in posts.columns]
    if missing:
        raise SchemaError(
            f"enrich needs the post columns {', '.join(REQUIRED)}; missing: {', '.join(missing)} "
            f"(found: {', '.join(map(str, posts.columns))})"
        )
    times = pd.to_datetime(posts["created_at"], utc=True)
    text = posts["text"].fillna("").astype(str)
    outage = posts["is_outage"].fillna(False).astype(bool).to_numpy()
    prob = (
        posts["outage_prob"].fillna(0.0).to_numpy(dtype=float)
        if "outage_prob" in posts.columns
        else np.ones(len(posts))
    )
    symptom = (
        posts["symptom"].astype(object).where(posts["symptom"].notna(), "other")
        if "symptom" in posts.columns
        else pd.Series("other", index=posts.index)
    )
    service = posts["service"].astype(object)
    overall = (service == "all services").to_numpy()
    if not overall.any():
        overall = np.ones(len(posts), bool)
    memo: dict[str, frozenset[str]] = {}  # each post's terms, for every incident reading it
    for inc in incidents:
        mine = overall if inc.service == "all services" else (service == inc.service).to_numpy()
        start = pd.Timestamp(inc.started_at)
        start = start.tz_localize("UTC") if start.tzinfo is None else start
        during = (times >= start).to_numpy()
        if inc.resolved_at is not None:
            end = pd.Timestamp(inc.resolved_at)
            end = end.tz_localize("UTC") if end.tzinfo is None else end
            during = during & (times < end).to_numpy()
        inside = mine & during & outage
        if not inside.any():
            inc.symptoms, inc.top_terms, inc.sample_posts = {}, [], []
            continue
        shares = symptom[inside].value_counts(normalize=True)
        inc.symptoms = {
            str(k): round(float(v), 4)
            for k, v in sorted(shares.items(), key=lambda kv: (-kv[1], str(kv[0])))
        }
        inc.top_terms = distinctive_terms(text[inside], text[mine & ~during], memo=memo)
        inc.sample_posts = sample_texts(
            text[inside].tolist(), prob[inside].tolist(), inc.top_terms, memo=memo
        )


__all__ = [
    "N_SAMPLES",
    "N_TERMS",
    "STOP_WORDS",
    "distinctive_terms",
    "enrich",
    "sample_texts",
    "tokens",
]
