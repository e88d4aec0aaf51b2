"""Memory-lean sets and maps of 64-bit hashes, for duplicates and reposts across chunks.

Keys are 64-bit hashes (``pd.util.hash_pandas_object``), kept in a few sorted
numpy arrays of geometrically growing size (merged like an LSM tree): 8 bytes per
key for :class:`HashSet`, 16 for :class:`FirstSeen`, so ten million posts take
about 80 MB + 160 MB. Two different keys collide with probability about
n^2 / 2^65 (3e-6 for ten million posts).

>>> seen = HashSet()
>>> seen.add(np.array([5, 7, 5], dtype=np.uint64)).tolist()
[False, False, True]
>>> seen.add(np.array([7, 9], dtype=np.uint64)).tolist()
[True, False]
>>> len(seen)
3
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from detector.ingest.textclean import is_rt, repost_key


def hash_strings(values: pd.Series, *, few_distinct: bool = False) -> np.ndarray:
    """One uint64 hash per value, as text (missing values share one hash).

    polars hashes the column's Arrow buffers in native code (about 20 times faster than
    making a Python string of each value for Python's own hash, which is the fallback
    where polars cannot be imported). Either way the hashes are stable within one
    process, which is all a run needs: never store them (:func:`stable_hash_strings`
    is the same in every process).

    >>> h = hash_strings(pd.Series(["x", "y", "x", None]))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1]), h.dtype.name
    (True, False, 'uint64')
    >>> bool((hash_strings(pd.Series(["x", "y", "x", None]), few_distinct=True) == h).all())
    True
    >>> number, text = pd.Series([12, None], dtype=object), pd.Series(["12"])
    >>> bool(hash_strings(number)[0] == hash_strings(text)[0])
    True
    """
    polars = _polars()
    if few_distinct and len(values) and polars is None:  # e.g. authors: each distinct once
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return hash_strings(pd.Series(uniques, dtype=values.dtype))[codes]
    if polars is not None:  # (faster over every value than factorising first)
        return polars.Series(_arrow_text(values)).hash(seed=_SEED).to_numpy().astype(np.uint64)
    objects = values.astype("string").to_numpy(dtype=object, na_value=None)
    return np.fromiter(map(hash, objects), dtype=np.int64, count=len(objects)).view(np.uint64)


#: Seed of polars' hash (any fixed value: the hashes only meet within a process).
_SEED = 0x5EED


@functools.cache
def _polars() -> Any:
    """The polars module, or ``None`` where it cannot be imported (decided once a
    process, so that every hash of a run comes from the same function)."""
    try:
        import polars
    except ImportError:  # pragma: no cover - polars is a dependency
        return None
    return polars


def _arrow_text(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """*values* as an Arrow string array (no copy for an Arrow-backed string column;
    numbers and other objects as their text, missing values null)."""
    try:
        arrow = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        arrow = None
    if arrow is None or arrow.type not in (pa.string(), pa.large_string()):
        arrow = pa.array(values.astype("string"), from_pandas=True)
    return arrow


def stable_hash_strings(values: pd.Series, *, few_distinct: bool = False) -> np.ndarray:
    """Like :func:`hash_strings` but the same in every process (SipHash with pandas'
    fixed key): for keys compared across Dask workers. About five times slower.

    >>> h = stable_hash_strings(pd.Series(["x", "y", "x", None]))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1]), int(stable_hash_strings(pd.Series(["x"]))[0])
    (True, False, 7869353157402288317)
    """
    del few_distinct  # pandas factorises object columns itself
    objects = pd.Series(values.to_numpy(dtype=object, na_value=None), dtype=object)
    return np.array(pd.util.hash_pandas_object(objects, index=False), dtype=np.uint64)


def mix(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: spreads every input bit over the whole 64-bit word."""
    h = np.asarray(h, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def hash_columns(*columns: pd.Series, strings: Any = hash_strings) -> np.ndarray:
    """One uint64 hash per row of the given columns (order matters); *strings* hashes
    a text column (:func:`stable_hash_strings` for keys shared between processes).

    >>> a = hash_columns(pd.Series(["x", "y"]), pd.Series([1, 1]))
    >>> b = hash_columns(pd.Series(["x", "z"]), pd.Series([1, 1]))
    >>> bool(a[0] == b[0]), bool(a[1] == b[1])
    (True, False)
    """
    combined: np.ndarray | None = None
    for column in columns:
        if pd.api.types.is_integer_dtype(column):
            h = mix(column.to_numpy(dtype=np.int64).view(np.uint64))
        else:
            h = strings(column)
        combined = h if combined is None else mix(combined) ^ h
    if combined is None:
        raise ValueError("hash_columns needs at least one column")
    return combined


def unique_first(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted unique keys, the first position of each, and each key's index in them.

    Like ``np.unique(keys, return_index=True, return_inverse=True)`` but about
    three times faster: an unstable argsort plus a ``minimum.reduceat`` for the
    first positions.

    >>> u, first, inv = unique_first(np.array([7, 5, 7, 5, 9], dtype=np.uint64))
    >>> u.tolist(), first.tolist(), inv.tolist()
    ([5, 7, 9], [1, 0, 4], [1, 0, 1, 0, 2])
    """
    order = np.argsort(keys)
    ordered = keys[order]
    is_start = np.empty(len(keys), dtype=bool)
    is_start[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=is_start[1:])
    starts = np.flatnonzero(is_start)
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[order] = np.cumsum(is_start) - 1
    first = np.minimum.reduceat(order, starts) if len(keys) else order
    return ordered[starts], first, inverse


def _lookup(levels: list[np.ndarray], keys: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per level, (hit mask, positions) of sorted *keys* (sorted queries are cache friendly)."""
    out = []
    for level in levels:
        pos = np.minimum(np.searchsorted(level, keys), len(level) - 1)
        out.append((level[pos] == keys, pos))
    return out


class HashSet:
    """A growing set of uint64 keys; :meth:`add` tells which keys were already there."""

    def __init__(self) -> None:
        self._levels: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(level) for level in self._levels)

    def add(self, keys: np.ndarray) -> np.ndarray:
        """Add *keys*; return True where a key was seen before (earlier or in this call)."""
        keys = np.asarray(keys, dtype=np.uint64)
        if len(keys) == 0:
            return np.zeros(0, dtype=bool)
        uniq, first, _ = unique_first(keys)
        found = np.zeros(len(uniq), dtype=bool)
        for hit, _ in _lookup(self._levels, uniq):
            found |= hit
        seen_before = np.ones(len(keys), dtype=bool)
        seen_before[first[~found]] = False
        self._push(uniq[~found])
        return seen_before

    def _push(self, new: np.ndarray) -> None:
        if len(new):
            self._levels.append(new)
        while len(self._levels) > 1 and len(self._levels[-2]) <= 2 * len(self._levels[-1]):
            top = self._levels.pop()
            merged = np.concatenate((self._levels.pop(), top))
            merged.sort()
            self._levels.append(merged)


class FirstSeen:
    """A growing map uint64 key -> uint64 value that keeps the first value of each key.

    >>> m = FirstSeen()
    >>> m.first(np.array([1, 1, 2], dtype=np.uint64), np.array([10, 11, 20], dtype=np.uint64))
    array([10, 10, 20], dtype=uint64)
    >>> m.first(np.array([2], dtype=np.uint64), np.array([21], dtype=np.uint64))
    array([20], dtype=uint64)
    """

    def __init__(self) -> None:
        self._keys: list[np.ndarray] = []
        self._values: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(k) for k in self._keys)

    def first(self, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Record *values* for unseen keys; return the first value ever seen for each key."""
        keys = np.asarray(keys, dtype=np.uint64)
        values = np.asarray(values, dtype=np.uint64)
        if len(keys) == 0:
            return np.zeros(0, dtype=np.uint64)
        uniq, first, inverse = unique_first(keys)
        stored = values[first].copy()
        found = np.zeros(len(uniq), dtype=bool)
        for (hit, pos), level_values in zip(_lookup(self._keys, uniq), self._values, strict=True):
            hit &= ~found
            stored[hit] = level_values[pos[hit]]
            found |= hit
        self._push(uniq[~found], stored[~found])
        return stored[inverse]

    def _push(self, keys: np.ndarray, values: np.ndarray) -> None:
        if len(keys):
            self._keys.append(keys)
            self._values.append(values)
        while len(self._keys) > 1 and len(self._keys[-2]) <= 2 * len(self._keys[-1]):
            k = np.concatenate((self._keys.pop(-2), self._keys.pop()))
            v = np.concatenate((self._values.pop(-2), self._values.pop()))
            order = np.argsort(k)  # keys are unique across levels: stability is moot
            self._keys.append(k[order])
            self._values.append(v[order])


_NO_AUTHOR = np.uint64(0)
_NONE = np.uint64(np.iinfo(np.uint64).max)  # no origin
_CONTENT_SALT = np.uint64(0x9E3779B97F4A7C15)  # keeps content keys apart from id keys
_ROW_SALT = np.uint64(0x632BE59BD9B4E019)  # keeps whole-row keys apart from the others

#: ``--dedupe`` modes: ``id`` (the id; without one, or with one that lost digits in
#: scientific notation, the author, text and minute; without an author too, the whole
#: row), ``text`` (author, text and minute, ids ignored), ``none`` (nothing is dropped).
DEDUPE_MODES = ("id", "text", "none")
#: Names of the keys a duplicate can be found by (``key`` in duplicates.csv);
#: ``text+time``: a post without id and author and a post with them holding the same text
#: at the same time (the same second; the same minute with ``--dedupe text``), one the
#: copy of the other (:class:`Pairing`).
KEY_NAMES = ("id", "author+text+minute", "text+minute", "row", "text+time")
#: Code of ``text+time`` in :data:`KEY_NAMES`.
PAIRED = 4
#: Set in the ``first`` origin a reducer gives a ``text+time`` duplicate (origins use
#: the low 63 bits), so that a duplicate by its own key takes precedence.
PAIRED_MARK = np.uint64(1 << 63)
_PAIR_SALT = np.uint64(0xD1B54A32D192ED03)  # keeps text+time keys apart from the others

#: An id in scientific notation (``1.08677E+18``, ``1,08677E+18``): a number that went
#: through floating point, as Excel shows long numbers and saves them.
_SCIENTIFIC = r"^\s*[-+]?(\d)(?:[.,](\d*))?[eE]\+?(\d+)\s*$"


def lossy_ids(ids: pd.Series) -> np.ndarray:
    """Which *ids* are numbers in scientific notation that lost digits (fewer significant
    digits than the number has: ``1.08677E+18`` stands for any id from
    1086765000000000000 to 1086774999999999999). Such an id is no key: posts by
    different authors would share it.

    >>> lossy_ids(pd.Series(["1.08677E+18", "1086774295781654531", None, "1.23E+2", "9e5"]))
    array([ True, False, False, False,  True])
    """
    out = np.zeros(len(ids), dtype=bool)
    if not len(ids) or not (pd.api.types.is_string_dtype(ids) or pd.api.types.is_object_dtype(ids)):
        return out
    try:
        array = pa.array(ids, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # an object column holding numbers
        array = pa.array(ids.astype("str"), type=pa.large_string(), from_pandas=True)
    maybe = pc.match_substring(array, "e", ignore_case=True).fill_null(False)
    if not pc.any(maybe).as_py():
        return out
    where = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    parts = pd.Series(array.take(pa.array(where)).to_pylist(), dtype=object).str.extract(
        _SCIENTIFIC
    )
    found = parts[0].notna().to_numpy()
    digits = 1 + parts[1].fillna("").str.rstrip("0").str.len().to_numpy()
    exponent = pd.to_numeric(parts[2], errors="coerce").fillna(0).to_numpy()
    out[where[found & (digits <= exponent)]] = True
    return out


class PostIndex:
    """What a run has seen so far: post keys (for duplicates) and each text's first author.

    >>> index = PostIndex()
    >>> posts = pd.DataFrame({
    ...     "id": ["1", "2", "1", None],
    ...     "text": ["down", "Down", "down", "RT @a: x"],
    ...     "author": ["a", "b", "a", "c"],
    ...     "created_at": pd.to_datetime(["2024-01-01"] * 4, utc=True),
    ... })
    >>> index.duplicates(posts).tolist()
    [False, False, True, False]
    >>> index.reposts(posts).tolist()
    [False, True, False, True]
    """

    def __init__(self, mode: str = "id", *, stable: bool = False, pairing: bool = True) -> None:
        if mode not in DEDUPE_MODES:
            raise ValueError(f"dedupe mode must be one of {', '.join(DEDUPE_MODES)}; got {mode!r}")
        self.mode = mode
        #: pair posts without id and author with the posts they copy (:class:`Pairing`):
        #: only a run with a file that has no author column needs it (:func:`needs_pairing`)
        self.pairing = pairing
        #: hash strings the same way in every process (keys shared by Dask workers)
        self.stable = stable
        self._strings = stable_hash_strings if stable else hash_strings
        self._origins = FirstSeen()
        self._next = 0
        self._first_author = FirstSeen()
        self._pairing = Pairing()

    def row_hash(self, frame: pd.DataFrame) -> np.ndarray:
        """One hash per row of every column of *frame* (the ``row`` duplicate key)."""
        return hash_columns(*(frame[c].astype("str") for c in frame.columns), strings=self._strings)

    def duplicates(self, posts: pd.DataFrame) -> np.ndarray:
        """True for posts already seen (see :meth:`find`; origins made up here)."""
        origins = np.arange(self._next, self._next + len(posts), dtype=np.uint64) | np.uint64(
            1 << 63
        )
        self._next += len(posts)
        return self.find(posts, origins)[0]

    #: Whether :meth:`find` needs a hash of each whole row (see :meth:`keys`).
    needs_row_hash = True

    def key_codes(self, posts: pd.DataFrame, by_id: np.ndarray | None = None) -> np.ndarray:
        """The code of each post's duplicate key (an index of :data:`KEY_NAMES`), unhashed
        (*by_id*: :meth:`_by_id` of *posts*, when known)."""
        n = len(posts)
        codes = np.zeros(n, dtype=np.int8)
        if n == 0 or self.mode == "none":
            return codes
        has_author = posts["author"].notna().to_numpy()
        by_id = self._by_id(posts) if by_id is None else by_id
        content = ~by_id & (has_author | (self.mode == "text"))
        codes[content] = np.where(has_author[content], 1, 2)
        codes[~by_id & ~content] = 3
        return codes

    def _by_id(self, posts: pd.DataFrame, lossy: np.ndarray | None = None) -> np.ndarray:
        """Which posts are keyed by their id: those with one, in ``id`` mode, unless it
        lost digits in scientific notation (*lossy*: :func:`lossy_ids` of the ids, when
        the caller has it)."""
        if self.mode != "id":
            return np.zeros(len(posts), dtype=bool)
        lossy = lossy_ids(posts["id"]) if lossy is None else lossy
        return posts["id"].notna().to_numpy() & ~lossy

    def anonymous(self, posts: pd.DataFrame, by_id: np.ndarray | None = None) -> np.ndarray:
        """Which posts have nothing that tells them apart but their text and time: no
        author, and no id that is a key (``id`` mode; *by_id*: :meth:`_by_id`, if known)."""
        anonymous = posts["author"].isna().to_numpy()
        if self.mode == "id":
            anonymous = anonymous & ~(self._by_id(posts) if by_id is None else by_id)
        return anonymous

    def pair_keys(self, posts: pd.DataFrame, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(text_time_key, pair_key)`` of each post, for :class:`Pairing`: its text and
        time (the minute with ``--dedupe text``, as its keys; the exact time with ``id``)
        and that with its own duplicate key *keys* (one post met twice is one post)."""
        at = posts["created_at"]
        when = (at.dt.floor("min") if self.mode == "text" else at).astype("int64")
        text_time = hash_columns(posts["text"], when, strings=self._strings) ^ _PAIR_SALT
        return text_time, mix(text_time) ^ keys

    def keys(
        self,
        posts: pd.DataFrame,
        row_hash: np.ndarray | None = None,
        by_id: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The duplicate key of each post and its code (an index of :data:`KEY_NAMES`);
        *by_id*: :meth:`_by_id` of *posts*, when known."""
        n = len(posts)
        keys = np.empty(n, dtype=np.uint64)
        if n == 0 or self.mode == "none":
            return keys, np.zeros(n, dtype=np.int8)
        by_id = self._by_id(posts) if by_id is None else by_id
        codes = self.key_codes(posts, by_id)
        has_author = posts["author"].notna().to_numpy()
        if by_id.any():
            keys[by_id] = self._strings(posts["id"][by_id])
        content = ~by_id & (has_author | (self.mode == "text"))
        if content.any():
            rest = posts[content]
            minute = rest["created_at"].dt.floor("min").astype("int64")
            keys[content] = (
                hash_columns(rest["author"], rest["text"], minute, strings=self._strings)
                ^ _CONTENT_SALT
            )
        whole = ~by_id & ~content
        if whole.any():
            if row_hash is not None:
                keys[whole] = np.asarray(row_hash, dtype=np.uint64)[whole] ^ _ROW_SALT
            else:
                rest = posts[whole]
                exact = rest["created_at"].astype("int64")
                keys[whole] = (
                    hash_columns(rest["text"], exact, rest["service"], strings=self._strings)
                    ^ _ROW_SALT
                )
        return keys, codes

    def find(
        self,
        posts: pd.DataFrame,
        origins: np.ndarray,
        row_hash: np.ndarray | None = None,
        lossy: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Duplicates among *posts*: ``(is_duplicate, origin_of_first, key_code)``.

        *origins* is a unique uint64 per post (where it is in the input); for a
        duplicate, ``origin_of_first`` is the origin of the post it repeats and
        ``key_code`` indexes :data:`KEY_NAMES`. *row_hash* (one hash per post of
        every column of its row) is the key of posts without id and author in
        ``id`` mode; without it the text, exact time and service are used. *lossy*:
        :func:`lossy_ids` of the posts' ids, when the caller has counted them already.
        """
        n = len(posts)
        origins = np.asarray(origins, dtype=np.uint64)
        if n == 0 or self.mode == "none":
            return np.zeros(n, dtype=bool), origins, np.zeros(n, dtype=np.int8)
        by_id = self._by_id(posts, lossy)
        keys, codes = self.keys(posts, row_hash, by_id)
        first = self._origins.first(keys, origins)
        dup = first != origins
        if not self.pairing:
            return dup, first, codes
        text_time, pair = self.pair_keys(posts, keys)
        anonymous = self.anonymous(posts, by_id)
        paired, partner = self._pairing.add(text_time, pair, anonymous, origins)
        paired &= ~dup
        first[paired], codes[paired] = partner[paired], PAIRED
        return dup | paired, first, codes

    def repost_keys(self, posts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(text_key, author_key, is_rt)`` of each post: the repost judgement's inputs
        (author key :data:`_NO_AUTHOR` when the author is unknown)."""
        author_hash, rt = self.author_keys(posts)
        text_hash = self._strings(repost_key(posts["text"], rt))
        return text_hash, author_hash, rt

    def author_keys(self, posts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(author_key, is_rt)`` of each post (:meth:`repost_keys` without the text)."""
        author = posts["author"]
        known = author.notna().to_numpy()
        author_hash = self._strings(author, few_distinct=True)
        author_hash[~known] = _NO_AUTHOR
        return author_hash, np.asarray(is_rt(posts["text"]), dtype=bool)

    def reposts(self, posts: pd.DataFrame, flag: np.ndarray | None = None) -> np.ndarray:
        """True for an ``RT @user:`` text, a *flag* set by the export, or the same
        normalised text first seen from another (known) author."""
        if len(posts) == 0:
            return np.zeros(0, dtype=bool)
        text_hash, author_hash, rt = self.repost_keys(posts)
        first = self._first_author.first(text_hash, author_hash)
        return judge_reposts(author_hash, first, rt, flag)


def needs_pairing(columns: Iterable[tuple[bool, str | None]]) -> bool:
    """Whether a run pairs posts without id and author with the posts they copy: when one
    of its files (*columns*: whether each is empty, and its author column) has no author
    column. Otherwise every post without one has an empty author cell in a file that
    names authors, which is no copy in another layout; the pairing's hashing and memory
    (about 40 bytes a post) are spared.

    >>> needs_pairing([(False, "user"), (True, None)]), needs_pairing([(False, None)])
    (False, True)
    """
    return any(not empty and author is None for empty, author in columns)


class Pairing:
    """Posts without id and author matched to the posts with them that they copy (an
    export of the same posts in another layout): one post each.

    Posts are grouped by text and time; in a group every anonymous post is paired with
    one post with an identity, in reading order, and the later of the two is the
    duplicate (of the group's first post of the other kind). A group of *a* anonymous
    posts and *k* others keeps max(a, k) of them whatever the order of the files: two
    authors posting the same text in the same second stay two posts, and so do their
    two copies without author. A post counts once per group (*pair* keys: its text
    and time with its own duplicate key).

    >>> p = Pairing()
    >>> anon = np.array([False, False, True, True, True])
    >>> dup, first = p.add(np.array([7, 7, 7, 7, 7], dtype=np.uint64),
    ...                    np.array([1, 2, 3, 4, 5], dtype=np.uint64), anon,
    ...                    np.array([10, 11, 12, 13, 14], dtype=np.uint64))
    >>> dup.tolist(), first[dup].tolist()
    ([False, False, True, True, False], [10, 10])
    >>> dup, first = p.add(np.array([7], dtype=np.uint64), np.array([6], dtype=np.uint64),
    ...                    np.array([False]), np.array([15], dtype=np.uint64))
    >>> dup.tolist(), first.tolist()
    ([True], [12])
    """

    def __init__(self) -> None:
        self._pairs = HashSet()
        self._keys: list[np.ndarray] = []
        self._balance: list[np.ndarray] = []  #: posts with an identity minus anonymous ones
        self._first: list[np.ndarray] = []  #: origin of the first post, per kind (2 cols)

    def add(
        self, keys: np.ndarray, pairs: np.ndarray, anonymous: np.ndarray, origins: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(is_copy, first)`` of each post: whether it copies an earlier post of the
        other kind, and the origin of its group's first post of that kind."""
        n = len(keys)
        dup = np.zeros(n, dtype=bool)
        first = np.asarray(origins, dtype=np.uint64).copy()
        counted = np.flatnonzero(~self._pairs.add(np.asarray(pairs, dtype=np.uint64)))
        if not len(counted):
            return dup, first
        key = np.asarray(keys, dtype=np.uint64)[counted]
        kind = np.where(np.asarray(anonymous, dtype=bool)[counted], -1, 1)
        uniq, _, inverse = unique_first(key)
        balance = np.zeros(len(uniq), dtype=np.int64)
        firsts = np.full((len(uniq), 2), _NONE, dtype=np.uint64)
        where = []
        for level_keys, level_balance, level_first in zip(
            self._keys, self._balance, self._first, strict=True
        ):
            pos = np.minimum(np.searchsorted(level_keys, uniq), len(level_keys) - 1)
            hit = level_keys[pos] == uniq
            balance[hit], firsts[hit] = level_balance[pos[hit]], level_first[pos[hit]]
            where.append((hit, pos))
        order = np.argsort(inverse, kind="stable")  # by group, in reading order
        group, step = inverse[order], kind[order]
        before = np.cumsum(step) - step
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        before -= np.repeat(before[starts], np.diff(np.r_[starts, len(group)]))
        before += balance[group]
        copy = np.where(step > 0, before < 0, before > 0)
        post_origin = first[counted][order]
        for column, sign in ((0, 1), (1, -1)):  # the first origin of each kind per group
            mine = step == sign
            earliest = np.full(len(uniq), _NONE, dtype=np.uint64)
            np.minimum.at(earliest, group[mine], post_origin[mine])
            firsts[:, column] = np.minimum(firsts[:, column], earliest)
        partner = firsts[group, np.where(step > 0, 1, 0)]
        rows = counted[order][copy]
        dup[rows], first[rows] = True, partner[copy]
        balance += np.bincount(group, weights=step, minlength=len(uniq)).astype(np.int64)
        found = np.zeros(len(uniq), dtype=bool)
        for (hit, pos), level_balance, level_first in zip(
            where, self._balance, self._first, strict=True
        ):
            level_balance[pos[hit]], level_first[pos[hit]] = balance[hit], firsts[hit]
            found |= hit
        self._push(uniq[~found], balance[~found], firsts[~found])
        return dup, first

    def _push(self, keys: np.ndarray, balance: np.ndarray, firsts: np.ndarray) -> None:
        if len(keys):
            self._keys.append(keys)
            self._balance.append(balance)
            self._first.append(firsts)
        while len(self._keys) > 1 and len(self._keys[-2]) <= 2 * len(self._keys[-1]):
            k = np.concatenate((self._keys.pop(-2), self._keys.pop()))
            b = np.concatenate((self._balance.pop(-2), self._balance.pop()))
            f = np.concatenate((self._first.pop(-2), self._first.pop()))
            order = np.argsort(k)
            self._keys.append(k[order])
            self._balance.append(b[order])
            self._first.append(f[order])


def pair_reduce(
    keys: np.ndarray, pairs: np.ndarray, kinds: np.ndarray, origins: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What :class:`Pairing` finds, for all posts at once (a reducer of the Dask engine):
    ``(origin, first)`` of each copy (*kinds*: -1 anonymous, 1 with an identity).

    >>> o, f = pair_reduce(np.array([7, 7, 7, 7, 7, 7], dtype=np.uint64),
    ...                    np.array([1, 2, 3, 4, 5, 6], dtype=np.uint64),
    ...                    np.array([1, 1, -1, -1, -1, 1]),
    ...                    np.array([10, 11, 12, 13, 14, 15], dtype=np.uint64))
    >>> o.tolist(), f.tolist()
    ([12, 13, 15], [10, 10, 12])
    """
    if not len(keys):
        empty = np.empty(0, dtype=np.uint64)
        return empty, empty
    order = np.lexsort((origins, keys))
    keys, pairs, kinds, origins = keys[order], pairs[order], kinds[order], origins[order]
    seen = HashSet()
    counted = ~seen.add(pairs)  # in origin order within each group: first of each pair
    keys, kinds, origins = keys[counted], kinds[counted].astype(np.int64), origins[counted]
    is_start = np.r_[True, keys[1:] != keys[:-1]]
    starts = np.flatnonzero(is_start)
    group = np.cumsum(is_start) - 1
    before = np.cumsum(kinds) - kinds
    before -= np.repeat(before[starts], np.diff(np.r_[starts, len(keys)]))
    copy = np.where(kinds > 0, before < 0, before > 0)
    firsts = np.full((len(starts), 2), _NONE, dtype=np.uint64)
    for column, sign in ((0, 1), (1, -1)):
        mine = kinds == sign
        np.minimum.at(firsts[:, column], group[mine], origins[mine])
    partner = firsts[group, np.where(kinds > 0, 1, 0)]
    return origins[copy], partner[copy]


def judge_reposts(
    author: np.ndarray, first_author: np.ndarray, rt: np.ndarray, flag: np.ndarray | None
) -> np.ndarray:
    """Reposts: another known author wrote the text first, an RT, or the export says so.

    >>> judge_reposts(np.array([1, 2, 0], dtype=np.uint64), np.array([1, 1, 1], dtype=np.uint64),
    ...               np.array([False, False, False]), None).tolist()
    [False, True, False]
    """
    known = author != _NO_AUTHOR
    repost = known & (first_author != _NO_AUTHOR) & (first_author != author)
    repost |= rt
    if flag is not None:
        repost |= flag
    return repost
