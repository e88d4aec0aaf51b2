"""The transform half of :class:`~detector.text.features.PostVectorizer`, without scikit-learn.

:class:`PostFeatures` turns normalised posts into the sparse matrix a fitted
``PostVectorizer`` describes (stemmed word n-grams by sublinear TF-IDF, L2-normalised,
plus one column per outage-lexicon group and a length column). ``PostVectorizer``
(which fits the vocabulary) inherits it; a model read without scikit-learn
(:mod:`detector.text.compact`) uses it directly, so scoring never imports
scikit-learn and both paths run the same code.

>>> feats = PostFeatures()
>>> feats.__dict__.update(ngram_range=(1, 2), lexicon_weight=1.0, length_weight=0.0,
...     vocabulary_terms_=np.array(["outlook", "down"]),
...     vocabulary_columns_=np.array([0, 1], dtype=np.int32),
...     idf_=np.array([1.0, 1.0]), n_features_out_=2 + len(LEXICON_GROUPS) + 1)
>>> X = feats.transform(["is outlook down?"])
>>> X.shape == (1, feats.n_features_out_), round(float(X[0, 0]), 4)
(True, 0.7071)
>>> feats.lexicon_counts(["is outlook down?"])[0, LEXICON_GROUPS.index("down")]
np.float64(2.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from detector.errors import NotFittedError
from detector.text import compiled
from detector.text.normalize import normalize_array, normalize_many, to_arrow

# scipy.sparse is imported where a matrix is built, not here: a process that only checks
# a model (score's own, which hands scoring to its workers) never needs it
if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["LEXICON", "LEXICON_GROUPS", "PostFeatures", "terms_of"]

#: Outage-phrase lexicon: group name -> phrases (normalised unigrams or bigrams).
# fmt: off
LEXICON: dict[str, tuple[str, ...]] = {
    "down": (
        "down", "outage", "outages", "offline", "unavailable", "unreachable", "interruption",
        "interruptions", "interrupted", "disruption", "disrupted", "blackout", "is down",
        "went down", "goes down", "still down", "down again", "down _q_", "are down", "be down",
        "server down", "servers down", "site down", "app down", "service down", "down for",
        "its down", "down right", "totally down", "completely down",
    ),
    "not_working": (
        "not neg_working", "neg_working", "neg_work", "stopped working", "quit working",
        "broken", "broke", "glitch", "glitching", "glitches", "bug", "buggy", "failed", "fails",
        "failing", "failure", "error", "errors", "issue", "issues", "problem", "problems",
        "trouble", "wrong with", "neg_functioning", "malfunction", "wont neg_work",
        "doesnt neg_work", "dont neg_work", "isnt neg_working", "works", "working",
    ),
    "cant_do": (
        "cant", "unable", "neg_login", "neg_signin", "neg_connect", "neg_access", "neg_load",
        "neg_send", "neg_receive", "neg_open", "neg_use", "neg_play", "neg_stream",
        "neg_download", "neg_update", "neg_sync", "neg_pay", "neg_transfer", "neg_loading",
        "neg_sending", "neg_receiving", "neg_responding", "neg_connecting", "neg_syncing",
        "neg_updating", "neg_opening", "neg_going", "neg_getting", "neg_showing",
        "neg_accepting", "neg_respond", "neg_launch", "neg_start", "neg_reach", "neg_call",
        "neg_get",
    ),
    "crash": (
        "crash", "crashes", "crashing", "crashed", "freezes", "freezing", "frozen", "froze",
        "keeps crashing", "blank screen", "black screen", "white screen", "blank page", "stuck",
        "spinning", "loading", "wont neg_load", "wont neg_open", "force close", "closes",
        "shuts", "reboot", "restarting", "hangs", "unresponsive",
    ),
    "connectivity": (
        "internet", "wifi", "signal", "connection", "connectivity", "network",
        "no neg_internet", "no neg_service", "no neg_signal", "no neg_power", "no neg_wifi",
        "no neg_connection", "no neg_network", "no neg_water", "no neg_gas", "no neg_heat",
        "no neg_electricity", "no neg_lights",
        "neg_internet", "neg_signal", "neg_power", "neg_service", "without neg_power",
        "without neg_internet", "power out", "power outage", "power cut", "power is",
        "lights out", "disconnected", "disconnecting", "disconnects", "dropped", "dropping",
        "drops", "keeps dropping", "modem", "router", "cell service", "phone service",
        "outage in", "the dark",
    ),
    "slow": (
        "slow", "slowly", "slower", "lag", "lagging", "laggy", "buffering", "buffer", "timeout",
        "timeouts", "timed out", "time out", "takes forever", "so slow", "latency", "speeds",
        "sluggish", "forever to", "speed",
    ),
    "messaging": (
        "email", "emails", "mail", "outbox", "inbox", "message", "messages", "texts", "text",
        "notifications", "notification", "not neg_sending", "not neg_receiving", "invites",
        "calendar", "bouncing", "bounced", "neg_delivered", "sms", "voicemail", "dms",
    ),
    "access": (
        "login", "signin", "password", "locked", "locked out", "authentication", "authenticate",
        "verification", "_num_ fa", "2fa", "credentials", "signed out", "logged out",
        "kicked out", "account", "username", "neg_verify", "otp",
    ),
    "payment": (
        "payment", "payments", "pay", "transfer", "transfers", "checkout", "declined",
        "deposit", "deposits", "transaction", "transactions", "card", "withdrawal", "withdraw",
        "purchase", "atm", "charge",
    ),
    "asking": (
        "anyone else", "else having", "just me", "for everyone", "everyone else",
        "anybody else", "else getting", "is it", "down _q_", "is _user_", "are you",
        "whats going", "going on", "whats up", "what happened", "is there",
    ),
    "news": (
        "reported", "reports", "customers", "crews", "restored", "restoration", "officials",
        "residents", "breaking", "were aware", "we are", "our team", "investigating",
        "working to", "estimated", "affected", "according", "update", "announced", "thousands",
        "_num_ customers", "power restored", "service restored", "says", "said", "county",
        "city", "police", "storm", "warning", "utility", "crew", "we apologize", "were working",
        "dm us", "please dm", "follow us", "resolved", "sorry for",
    ),
    "complaint": (
        "refund", "charged", "bill", "billing", "billed", "price", "fee", "fees", "overcharged",
        "customer service", "hold", "on hold", "delayed", "delay", "cancelled", "canceled",
        "late", "delivery", "shipping", "never arrived", "rude", "worst", "terrible",
        "horrible", "awful", "unacceptable", "wait", "waiting", "compensation", "damaged",
        "lost", "baggage", "luggage", "contract", "cancel", "money", "paid", "ridiculous",
        "scam", "agent", "representative", "manager", "support", "response", "reply",
    ),
    "first_person": (
        "i", "im", "my", "me", "we", "our", "us", "ive", "mine", "i cant", "my internet",
        "my phone", "my account", "my app", "my email", "our power", "my power",
    ),
    "chatter": (
        "down to", "calm down", "sit down", "down with", "slow down", "turn down", "back down",
        "crashed on", "car crash", "crash course", "upside down", "down the", "downtown",
        "let down", "breaking down", "feeling down", "down bad", "count down", "countdown",
        "crash into", "crashing on", "lol", "haha", "lmao", "game", "love",
    ),
    "resolved": (
        "back up", "working again", "back online", "fixed", "is back", "are back", "back on",
        "thanks", "thank", "thank you", "finally", "restored", "now working", "all good",
    ),
    # Added after measuring leave-one-source-out (pooled F1 0.554 -> 0.560, within noise;
    # PR-AUC up on three of four held-out sources): software/device failures, how long a
    # failure has lasted, requests for a fix, and the author's own place or equipment.
    "device": (
        "wont neg_turn", "neg_turn", "neg_boot", "boot", "booting", "stuck on", "restart",
        "reset", "reinstall", "reinstalled", "update", "updated", "updates", "driver",
        "drivers", "firmware", "no longer", "neg_longer", "neg_recognize", "neg_recognized",
        "neg_syncing", "neg_sync", "sync", "syncing", "printer", "laptop", "screen",
        "neg_charge", "neg_charging", "bluetooth",
    ),
    "persisting": (
        "still", "still not", "again", "since", "for _num_", "_num_ hours", "_num_ days",
        "past _num_", "all day", "since yesterday", "hours", "days", "this morning",
        "right now", "currently", "keeps", "keep", "constantly", "every time", "repeatedly",
        "intermittent",
    ),
    "help_request": (
        "help", "fix", "any idea", "what do", "how do", "what can", "what gives", "please help",
        "any update", "when will", "eta", "how long", "resolve", "resolved _q_",
    ),
    "personal": (
        "my internet", "our power", "we have", "i have", "lost power", "we lost", "i lost",
        "my power", "our internet", "my wifi", "my service", "at my", "here", "our house",
        "my house", "my area", "our area", "in my", "our street", "my phone", "my computer",
        "my laptop", "on my",
    ),
    "question": (
        "_q_",
    ),
    "excited": (
        "_excl_", "_emoji_",
    ),
}
# fmt: on
#: Lexicon group names, in column order.
LEXICON_GROUPS: tuple[str, ...] = tuple(LEXICON)


def terms_of(
    normalised: pa.Array | pa.ChunkedArray, bigrams: bool = True
) -> tuple[pa.Array, np.ndarray]:
    """Unigram and bigram terms of normalised posts, with the row index of each term.

    >>> terms, rows = terms_of(pa.array(["a b c", "d"]))
    >>> terms.to_pylist(), rows.tolist()
    (['a', 'b', 'c', 'd', 'a b', 'b c'], [0, 0, 0, 1, 0, 0])
    """
    terms, rows, _ = _terms(normalised, bigrams)
    return terms, rows


def _terms(
    normalised: pa.Array | pa.ChunkedArray, bigrams: bool
) -> tuple[pa.Array, np.ndarray, int]:
    if isinstance(normalised, pa.ChunkedArray):
        normalised = normalised.combine_chunks()
    tokens = pc.utf8_split_whitespace(normalised.cast(pa.large_string()))
    offsets = tokens.offsets.to_numpy()
    flat = tokens.flatten()
    rows = np.repeat(np.arange(len(normalised), dtype=np.int64), np.diff(offsets))
    empty = pc.equal(pc.binary_length(flat), 0)  # from leading/trailing/double spaces
    if pc.any(empty).as_py():
        keep = pc.invert(empty)
        flat = flat.filter(keep)
        rows = rows[keep.to_numpy(zero_copy_only=False)]
    if not bigrams or len(flat) < 2:
        return flat, rows, len(flat)
    pairs = np.flatnonzero(rows[:-1] == rows[1:])
    joined = pc.binary_join_element_wise(
        flat.take(pairs), flat.take(pairs + 1), pa.scalar(" ", flat.type)
    )
    return pa.concat_arrays([flat, joined]), np.concatenate([rows, rows[pairs]]), len(flat)


class PostFeatures:
    """Features of posts from a fitted vocabulary (the attributes ``PostVectorizer.fit``
    sets: ``ngram_range``, ``lexicon_weight``, ``length_weight``, ``vocabulary_terms_``,
    ``vocabulary_columns_``, ``idf_``, ``n_features_out_``)."""

    ngram_range: tuple[int, int]
    lexicon_weight: float
    length_weight: float

    def _require_fitted(self) -> None:
        NotFittedError.unless(self, "idf_")

    # -- transforming ------------------------------------------------------------------
    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        """Feature matrix of posts *X* (rows in the order of *X*)."""
        return self.transform_normalised(self.normalise(X))

    @staticmethod
    def normalise(X: Sequence[str]) -> pa.Array:
        """Normalised posts as a pyarrow array (the input of :meth:`transform_normalised`)."""
        if len(X) < 64:
            return pa.array(normalize_many(list(X)), type=pa.large_string())
        return normalize_array(to_arrow(X), tidy=False)

    def transform_normalised(self, normalised: pa.Array | Sequence[str]) -> sp.csr_matrix:
        """Feature matrix of already normalised posts (a pyarrow array or a list of str)."""
        self._require_fitted()
        bigrams = self.ngram_range[1] == 2
        if isinstance(normalised, pa.Array | pa.ChunkedArray) and len(normalised) >= 64:
            return self._batch(normalised, bigrams)
        else:  # a few posts
            if isinstance(normalised, pa.Array | pa.ChunkedArray):
                normalised = normalised.to_pylist()
            return self._small(list(normalised), bigrams)

    def _small(self, normalised: list[str], bigrams: bool) -> sp.csr_matrix:
        """:meth:`_batch` for a few posts, in plain Python (scipy's overhead dominates there)."""
        import scipy.sparse as sp

        word_rows, word_cols, lex_rows, lex_cols, n_tokens = self._hits_python(normalised, bigrams)
        n_words, n_groups = len(self.idf_), len(LEXICON_GROUPS)
        indptr, indices, values = [0], [], []
        idf, weight = self.idf_, self.lexicon_weight
        for i in range(len(normalised)):
            words: dict[int, int] = {}
            for c in word_cols[word_rows == i].tolist():
                words[c] = words.get(c, 0) + 1
            cols = sorted(words)
            data = [(1.0 + math.log(words[c])) * idf[c] for c in cols]
            norm = math.sqrt(sum(v * v for v in data)) or 1.0
            groups: dict[int, int] = {}
            for g in lex_cols[lex_rows == i].tolist():
                groups[g] = groups.get(g, 0) + 1
            gcols = sorted(groups)
            indices += cols + [n_words + g for g in gcols] + [n_words + n_groups]
            values += [v / norm for v in data]
            values += [math.log1p(groups[g]) * weight for g in gcols]
            values.append(math.log1p(int(n_tokens[i])) * self.length_weight)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.asarray(values), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(normalised), n_words + n_groups + 1),
        )

    def _batch(self, normalised: pa.Array | pa.ChunkedArray, bigrams: bool) -> sp.csr_matrix:
        """Features of many posts: one hash lookup per token, bigrams as integer pairs, and
        the term counts of each post summed straight into CSR form."""
        import scipy.sparse as sp

        n = len(normalised)
        if isinstance(normalised, pa.ChunkedArray):
            normalised = normalised.combine_chunks()
        lookup = self._table()
        # token ids (-1 for a token in no known term) and the post of each
        compiled = _compiled_token_ids(normalised, lookup) if n >= COMPILED_TOKENS else None
        if compiled is not None:  # the non-empty tokens only
            token, rows = compiled
            n_tokens = np.bincount(rows, minlength=n)
        else:  # also the empty strings at a post's ends, which name no term
            tokens = pc.utf8_split_whitespace(normalised.cast(pa.large_string()))
            rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(tokens.offsets.to_numpy()))
            flat = tokens.flatten()
            token = pc.fill_null(pc.index_in(flat, value_set=lookup.tokens), -1)
            token = token.to_numpy().astype(np.int64)
            n_tokens = np.bincount(rows[pc.binary_length(flat).to_numpy() > 0], minlength=n)
        hit_rows, hit_entries = [rows], [lookup.unigram_entry[token]]  # id -1 -> entry -1
        if bigrams and len(token) > 1:
            pair = (rows[:-1] == rows[1:]) & (token[:-1] >= 0) & (token[1:] >= 0)
            first = np.flatnonzero(pair)
            at = lookup.bigram_index.get_indexer(token[first] * lookup.n_tokens + token[first + 1])
            known = at >= 0
            hit_rows.append(rows[first[known]])
            hit_entries.append(lookup.bigram_entry[at[known]])
        entries = np.concatenate(hit_entries)
        found = entries >= 0
        entries, hit_row = entries[found], np.concatenate(hit_rows)[found]
        order = np.argsort(hit_row, kind="stable")  # unigrams, then bigrams: two sorted runs
        entries, hit_row = entries[order], hit_row[order]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(hit_row, minlength=n), out=indptr[1:])
        column = lookup.word_column[entries]
        words = _row_counts(column, indptr, len(self.idf_))
        words.data = (1.0 + np.log(words.data)) * self.idf_[words.indices]  # sublinear TF-IDF
        norms = np.sqrt(
            np.bincount(
                np.repeat(np.arange(n), np.diff(words.indptr)), weights=words.data**2, minlength=n
            )
        )
        norms[norms == 0] = 1.0
        words.data /= np.repeat(norms, np.diff(words.indptr))
        if self.lexicon_weight == 0 and self.length_weight == 0:  # all-zero columns: no hstack
            words.resize((n, len(self.idf_) + len(LEXICON_GROUPS) + 1))
            return words
        hits = sp.csr_matrix((np.ones(len(entries)), entries, indptr), shape=(n, lookup.n_entries))
        lex = sp.csr_matrix(hits @ lookup.to_groups)
        lex.data = np.log1p(lex.data) * self.lexicon_weight
        length = sp.csr_matrix(np.log1p(n_tokens)[:, None] * self.length_weight)
        return sp.hstack([words, lex, length], format="csr")

    def _table(self) -> _Lookup:
        """Known terms (vocabulary + lexicon) as token ids, and their maps to columns/groups."""
        if getattr(self, "_lookup", None) is None:
            self._lookup = _Lookup.build(self.vocabulary_terms_.tolist(), self.vocabulary_columns_)
        return self._lookup

    def _hits_python(self, normalised: list[str], bigrams: bool) -> tuple:
        vocab = getattr(self, "_vocab", None)
        if vocab is None:
            vocab = self._vocab = dict(
                zip(self.vocabulary_terms_.tolist(), self.vocabulary_columns_.tolist(), strict=True)
            )
        groups_of = _lexicon_groups_of()
        word_rows: list[int] = []
        word_cols: list[int] = []
        lex_rows: list[int] = []
        lex_cols: list[int] = []
        n_tokens = np.zeros(len(normalised), dtype=np.int64)
        for i, text in enumerate(normalised):
            tokens = text.split()
            n_tokens[i] = len(tokens)
            grams = tokens
            if bigrams:
                grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
            for gram in grams:
                col = vocab.get(gram)
                if col is not None:
                    word_rows.append(i)
                    word_cols.append(col)
                for group in groups_of.get(gram, ()):
                    lex_rows.append(i)
                    lex_cols.append(group)
        as_int = np.asarray
        return (
            as_int(word_rows, np.int64),
            as_int(word_cols, np.int64),
            as_int(lex_rows, np.int64),
            as_int(lex_cols, np.int64),
            n_tokens,
        )

    def lexicon_counts(self, X: Sequence[str]) -> sp.csr_matrix:
        """Raw counts of lexicon-group phrases per post (columns :data:`LEXICON_GROUPS`)."""
        import scipy.sparse as sp

        normalised = [str(t) for t in self.normalise(X).to_pylist()]
        _, _, rows, cols, _ = self._hits_python(normalised, True)
        shape = (len(normalised), len(LEXICON_GROUPS))
        counts = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=shape)
        counts.sum_duplicates()
        return counts


@lru_cache(maxsize=1)
def _lexicon_table() -> tuple[list[str], sp.csr_matrix]:
    import scipy.sparse as sp

    phrases = sorted({p for group in LEXICON.values() for p in group})
    index = {p: i for i, p in enumerate(phrases)}
    pairs = [(index[p], g) for g, group in enumerate(LEXICON.values()) for p in set(group)]
    r, c = zip(*pairs, strict=True)
    membership = sp.csr_matrix(
        (np.ones(len(pairs)), (r, c)), shape=(len(phrases), len(LEXICON_GROUPS))
    )
    return phrases, membership


@lru_cache(maxsize=1)
def _lexicon_groups_of() -> dict[str, tuple[int, ...]]:
    return {
        phrase: tuple(g for g, group in enumerate(LEXICON.values()) if phrase in group)
        for group in LEXICON.values()
        for phrase in group
    }


#: Batches of at least this many posts find their token ids with compiled code
#: (:mod:`.fasttokens`), as the compiled normaliser's batches (2,000 posts).
COMPILED_TOKENS = 2_000

#: Why the compiled token ids failed in this process (they are not tried again).
_TOKENS_BROKEN: list[str] = []


def _compiled_token_ids(
    normalised: pa.Array, lookup: _Lookup
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`detector.text.fasttokens.token_ids` of *normalised* against *lookup*'s
    tokens; ``None`` where the compiled path is off (``OUTAGE_COMPILED=0``, numba unable
    to cache its machine code) or failed (warned once a process): the caller then splits
    and looks up with pyarrow, which gives the same ids."""
    if not (compiled.switched_on(_TOKENS_BROKEN) and compiled.available()):
        return None
    from detector.text import fasttokens

    try:
        if lookup.table is None:
            lookup.table = fasttokens.TokenTable.build(lookup.tokens.to_pylist())
        return fasttokens.token_ids(normalised.cast(pa.large_string()), lookup.table)
    except Exception as exc:  # a damaged machine-code cache, say: pyarrow still splits
        compiled.failed(
            _TOKENS_BROKEN,
            exc,
            "the compiled tokeniser failed, splitting with pyarrow instead (the same "
            "features, slower)",
        )
        return None


def _row_counts(columns: np.ndarray, indptr: np.ndarray, width: int) -> sp.csr_matrix:
    """CSR counts of *columns* (grouped by row as *indptr* says; -1 = no column), summed
    per (row, column).

    >>> _row_counts(np.array([2, 0, 2, -1]), np.array([0, 3, 4]), 3).toarray().tolist()
    [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]]
    """
    import scipy.sparse as sp

    keep = columns >= 0
    if not keep.all():
        kept = np.concatenate(([0], np.cumsum(keep)))
        indptr, columns = kept[indptr], columns[keep]
    counts = sp.csr_matrix((np.ones(len(columns)), columns, indptr), shape=(len(indptr) - 1, width))
    counts.sum_duplicates()
    return counts


@dataclass
class _Lookup:
    """Terms a fitted vectorizer knows, addressed by token ids (built once, cached)."""

    tokens: pa.Array  # every token that occurs in a known term
    n_tokens: int
    unigram_entry: np.ndarray  # token id -> entry (or -1); id -1 (unknown) -> -1 too
    bigram_index: pd.Index  # first_id * n_tokens + second_id of each known bigram
    bigram_entry: np.ndarray  # entry of each key
    n_entries: int
    word_column: np.ndarray  # entry -> word column (or -1: a lexicon phrase only)
    to_groups: sp.csr_matrix  # entry -> lexicon groups
    table: Any = None  # the tokens as a fasttokens.TokenTable, built on first use

    @classmethod
    def build(cls, vocab: list[str], columns: np.ndarray) -> _Lookup:
        import scipy.sparse as sp

        phrases, membership = _lexicon_table()
        known = set(vocab)
        entries = vocab + [p for p in phrases if p not in known]
        position = {term: i for i, term in enumerate(entries)}
        token_list = sorted({t for term in entries for t in term.split(" ")})
        token_id = {t: i for i, t in enumerate(token_list)}
        unigram_entry = np.full(len(token_list) + 1, -1, dtype=np.int64)  # last: id -1
        keys, bigram_entry = [], []
        for i, term in enumerate(entries):
            parts = term.split(" ")
            if len(parts) == 1:
                unigram_entry[token_id[parts[0]]] = i
            elif len(parts) == 2:
                keys.append(token_id[parts[0]] * len(token_list) + token_id[parts[1]])
                bigram_entry.append(i)
        word_column = np.full(len(entries), -1, dtype=np.int64)
        word_column[: len(vocab)] = columns
        member = membership.tocoo()
        return cls(
            tokens=pa.array(token_list, type=pa.large_string()),
            n_tokens=len(token_list),
            unigram_entry=unigram_entry,
            bigram_index=pd.Index(np.asarray(keys, dtype=np.int64)),
            bigram_entry=np.asarray(bigram_entry, dtype=np.int64),
            n_entries=len(entries),
            word_column=word_column,
            to_groups=sp.csr_matrix(
                (
                    member.data,
                    ([position[phrases[r]] for r in member.row.tolist()], member.col),
                ),
                shape=(len(entries), len(LEXICON_GROUPS)),
            ),
        )
