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
#: Joins the texts that :class:`_TermIndex` tokenizes together.
_SEP = "\x1e"
_TOKEN_OR_SEP = re.compile(_TOKEN.pattern + "|" + _SEP)
#: The mark of a mention: removed, the same as :data:`_MENTION` replaced by its word.
_MENTION_MARK = re.compile(r"[@#](?=\w)")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` without URLs, stop words and bare numbers.

    >>> tokens("Outlook is DOWN again, can't send https://t.co/x @Outlook")
    ['outlook', 'down', 'again', "can't", 'send', 'outlook']
    """
    text = _URL.sub(" ", text.lower().replace("\u2019", "'"))
    text = _MENTION.sub(r"\1", text)
    return [t for t in _TOKEN.findall(text) if t not in STOP_WORDS and not t.isdigit()]


class _TermIndex:
    """The distinct :func:`tokens` of each of *texts*, worked out for all of them at once.

    ``text_of[k]`` and ``term_of[k]`` (each pair once) say that the
    text ``texts[text_of[k]]`` holds the term ``vocab[term_of[k]]``: what
    ``frozenset(tokens(texts[i]))`` says of each text, without a Python call per text.
    The texts are joined with :data:`_SEP` and lower-cased, stripped of URLs and
    mention marks and split into tokens in one pass each; the same as text by text:

    * :data:`_SEP` is whitespace (it ends a URL's ``\\S+``), not a word character (it
      ends a mention's ``\\w+``) and no token character, and the prefixes ``http(s)://``
      and ``www.`` hold no whitespace, so no match runs over it, and each text's matches
      start from its own start as they would alone;
    * ``str.lower`` maps character by character but for the Greek final sigma, which
      looks at the letters around it; :data:`_SEP` is neither cased nor case-ignorable,
      so it bounds that look as a string's ends do (and both sigmas are outside the
      tokens' ``[a-z0-9]`` anyway);
    * a mention ``[@#](\\w+)`` replaced by its word is its mark dropped where a word
      character follows (:data:`_MENTION_MARK`: no Python call per match).

    Texts holding :data:`_SEP` themselves are tokenized one by one with :func:`tokens`.

    >>> index = _TermIndex(["Down again, down!", "", "#down @x https://t.co/a \\x1e b"])
    >>> [sorted(index.vocab[t] for t, i in zip(index.term_of, index.text_of) if i == k)
    ...  for k in range(3)]
    [['again', 'down'], [], ['b', 'down', 'x']]
    """

    def __init__(self, texts: Sequence[str]) -> None:
        texts = list(texts)
        joined = _SEP.join(texts)
        together: Sequence[int] = range(len(texts))
        if joined.count(_SEP) != max(len(texts) - 1, 0):  # some texts hold the separator
            together = [i for i, text in enumerate(texts) if _SEP not in text]
            joined = _SEP.join(texts[i] for i in together)
        found = _TOKEN_OR_SEP.findall(
            _MENTION_MARK.sub("", _URL.sub(" ", joined.lower().replace("\u2019", "'")))
        )
        codes, uniques = pd.factorize(np.array(found, dtype=object))
        vocab: list[str] = uniques.tolist()
        is_sep = codes == (vocab.index(_SEP) if _SEP in vocab else -1)
        if int(is_sep.sum()) != max(len(together) - 1, 0):  # cannot be: see the docstring
            raise AssertionError("tokenizing the joined texts lost or added a separator")
        keep = np.array(
            [t != _SEP and t not in STOP_WORDS and not t.isdigit() for t in vocab], dtype=bool
        )[codes]
        text_of = np.asarray(together, dtype=np.int64)[np.cumsum(is_sep)[keep]]
        term_of = codes[keep].astype(np.int64)
        if len(together) < len(texts):  # the texts holding the separator, one by one
            known = {term: k for k, term in enumerate(vocab)}
            extra: list[tuple[int, int]] = []
            for i in sorted(set(range(len(texts))) - set(together)):
                for term in set(tokens(texts[i])):
                    extra.append((i, known.setdefault(term, len(known))))
            vocab = list(known)
            more = np.array(extra, dtype=np.int64).reshape(-1, 2)
            text_of = np.concatenate([text_of, more[:, 0]])
            term_of = np.concatenate([term_of, more[:, 1]])
        width = max(len(vocab), 1)
        pairs = pd.unique(text_of * width + term_of)  # hashed: numpy's unique sorts
        self.n_texts = len(texts)
        self.vocab = vocab
        self.text_of = pairs // width
        self.term_of = pairs % width
        self._ids: dict[str, int] | None = None

    def doc_freq(self, rows_per_text: np.ndarray) -> np.ndarray:
        """Of each term, the rows holding it, given the rows of each text."""
        weights = rows_per_text[self.text_of].astype(np.float64)  # exact: counts < 2**53
        counts = np.bincount(self.term_of, weights=weights, minlength=len(self.vocab))
        return counts.astype(np.int64)

    def hits(self, terms: Iterable[str]) -> np.ndarray:
        """Of each text, how many of the distinct *terms* it holds."""
        if self._ids is None:
            self._ids = {term: k for k, term in enumerate(self.vocab)}
        wanted = np.zeros(len(self.vocab), dtype=bool)
        wanted[[self._ids[t] for t in set(terms) if t in self._ids]] = True
        return np.bincount(self.text_of[wanted[self.term_of]], minlength=self.n_texts)


def _rank_terms(
    df_in: Sequence[int],
    n_in: int,
    df_out: Sequence[int],
    n_out: int,
    vocab: Sequence[str],
    *,
    n: int,
    min_docs: int,
) -> list[str]:
    """The *n* terms of *vocab* with the largest positive weighted log-odds, inside
    (document frequencies *df_in* of *n_in* posts) against outside; terms in fewer than
    *min_docs* inside posts (or none) left out."""
    prior = 0.5
    scored = []
    for term, a, b in zip(vocab, df_in, df_out, strict=True):
        if a < min_docs or a == 0:
            continue
        # log-odds of a post containing the term, inside vs outside, with its variance
        delta = math.log((a + prior) / (n_in - a + prior)) - math.log(
            (b + prior) / (n_out - b + prior)
        )
        var = 1 / (a + prior) + 1 / (n_in - a + prior) + 1 / (b + prior) + 1 / (n_out - b + prior)
        z = delta / math.sqrt(var)
        if z > 0:
            scored.append((-z, -a, term))
    return [term for _, _, term in sorted(scored)[:n]]


def distinctive_terms(
    inside: Iterable[str],
    outside: Iterable[str],
    *,
    n: int = N_TERMS,
    min_docs: int = MIN_DOCS,
) -> list[str]:
    """Terms over-represented in the ``inside`` texts against the ``outside`` texts (the
    texts tokenized together: :class:`_TermIndex`).

    >>> distinctive_terms(["app crash", "app crash again", "crash"], ["new app", "app update"])
    ['crash']
    """
    inside, outside = _as_list(inside), _as_list(outside)
    codes, uniques = pd.factorize(np.array(inside + outside, dtype=object))
    index = _TermIndex(uniques.tolist())
    n_in = len(inside)
    df_in = index.doc_freq(np.bincount(codes[:n_in], minlength=index.n_texts))
    df_out = index.doc_freq(np.bincount(codes[n_in:], minlength=index.n_texts))
    return _rank_terms(
        df_in.tolist(), n_in, df_out.tolist(), len(outside), index.vocab, n=n, min_docs=min_docs
    )


def _as_list(texts: Iterable[str]) -> list[str]:
    """*texts* as a list of ``str``, a pandas Series converted at once (not element by
    element)."""
    if isinstance(texts, pd.Series | pd.Index):
        return texts.tolist()
    return list(texts)


def _normal_form(text: str) -> str:
    return " ".join(_TOKEN.findall(_URL.sub(" ", text.lower())))


def sample_texts(
    texts: Sequence[str],
    probs: Sequence[float],
    terms: Sequence[str],
    *,
    n: int = N_SAMPLES,
    redact_posts: bool = True,
) -> list[str]:
    """Up to ``n`` distinct texts: most top terms covered, then most confident first;
    HTML entities unescaped (``&amp;`` is
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
        key=lambda i: (-len(wanted & set(tokens(texts[i]))), -float(probs[i]), i),
    )
    return _pick_samples((texts[i] for i in order), n=n, redact_posts=redact_posts)


def _pick_samples(texts: Iterable[str], *, n: int, redact_posts: bool) -> list[str]:
    """The first *n* distinct of *texts* (read no further), shown as :func:`sample_texts`
    says."""
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        shown = html.unescape(text).strip()
        key = _normal_form(shown)
        if not key or key in seen:
            continue
        seen.add(key)
        kept = redact(shown) if redact_posts else shown
        out.append(kept if len(kept) <= MAX_SAMPLE_CHARS else kept[: MAX_SAMPLE_CHARS - 1] + "…")
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
    # each distinct text tokenized once, for every incident reading it (:class:`_TermIndex`)
    codes, uniques = pd.factorize(text)
    distinct: list[str] = uniques.tolist()
    index = _TermIndex(distinct)
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
        outside = mine & ~during
        df_in = index.doc_freq(np.bincount(codes[inside], minlength=index.n_texts))
        df_out = index.doc_freq(np.bincount(codes[outside], minlength=index.n_texts))
        inc.top_terms = _rank_terms(
            df_in.tolist(),
            int(inside.sum()),
            df_out.tolist(),
            int(outside.sum()),
            index.vocab,
            n=N_TERMS,
            min_docs=MIN_DOCS,
        )
        # as sample_texts orders them: most top terms held, most confident, first read
        mine_codes = codes[inside]
        order = np.lexsort(
            (np.arange(len(mine_codes)), -prob[inside], -index.hits(inc.top_terms)[mine_codes])
        )
        inc.sample_posts = _pick_samples(
            (distinct[k] for k in mine_codes[order].tolist()), n=N_SAMPLES, redact_posts=True
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
