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

import numpy as np
import pandas as pd


def hash_strings(values: pd.Series, *, few_distinct: bool = False) -> np.ndarray:
    """One uint64 hash per value (as text; missing values share one hash).

    Python's own string hash is used: about five times faster than
    ``pd.util.hash_pandas_object`` here, and stable within one process, which is
    all a run needs (it is salted per process, so never store these hashes).

    >>> h = hash_strings(pd.Series(["x", "y", "x", None]))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1])
    (True, False)
    >>> bool((hash_strings(pd.Series(["x", "y", "x", None]), few_distinct=True) == h).all())
    True
    """
    if few_distinct and len(values):  # e.g. authors: hash each distinct value once
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return hash_strings(pd.Series(uniques, dtype=values.dtype))[codes]
    objects = values.to_numpy(dtype=object, na_value=None)
    return np.fromiter(map(hash, objects), dtype=np.int64, count=len(objects)).view(np.uint64)


def mix(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: spreads every input bit over the whole 64-bit word."""
    h = np.asarray(h, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def hash_columns(*columns: pd.Series) -> np.ndarray:
    """One uint64 hash per row of the given columns (order matters).

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
            h = hash_strings(column)
        combined = h if combined is None else mix(combined) ^ h
    if combined is None:
        raise ValueError("hash_columns needs at least one column")
    return combined


def _find(levels: list[np.ndarray], keys: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
    """Whether each key is in some level, and where (level number, positions)."""
    found = np.zeros(len(keys), dtype=bool)
    where = []
    for li, level in enumerate(levels):
        pos = np.searchsorted(level, keys)
        pos_c = np.minimum(pos, len(level) - 1)
        hit = (level[pos_c] == keys) & ~found
        found |= hit
        where.append((li, hit, pos_c))
    return found, where


class HashSet:
    """A growing set of uint64 keys; :meth:`add` tells which keys were already there."""

    def __init__(self) -> None:
        self._levels: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(level) for level in self._levels)

    def add(self, keys: np.ndarray) -> np.ndarray:
        """Add *keys*; return True where a key was seen before (earlier or in this call)."""
        keys = np.asarray(keys, dtype=np.uint64)
        uniq, first = np.unique(keys, return_index=True)
        seen_before = np.zeros(len(keys), dtype=bool)
        if len(uniq):
            found, _ = _find(self._levels, uniq)
            dup = np.ones(len(keys), dtype=bool)
            dup[first[~found]] = False
            seen_before = dup
            self._push(uniq[~found])
        return seen_before

    def _push(self, new: np.ndarray) -> None:
        if len(new):
            self._levels.append(new)
        while len(self._levels) > 1 and len(self._levels[-2]) <= 2 * len(self._levels[-1]):
            top = self._levels.pop()
            merged = np.concatenate((self._levels.pop(), top))
            merged.sort(kind="stable")
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
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        stored = values[first].copy()
        found = np.zeros(len(uniq), dtype=bool)
        for level_keys, level_values in zip(self._keys, self._values, strict=True):
            pos = np.minimum(np.searchsorted(level_keys, uniq), len(level_keys) - 1)
            hit = (level_keys[pos] == uniq) & ~found
            stored[hit] = level_values[pos[hit]]
            found |= hit
        self._push(uniq[~found], stored[~found])
        return stored[inverse.reshape(-1)]

    def _push(self, keys: np.ndarray, values: np.ndarray) -> None:
        if len(keys):
            self._keys.append(keys)
            self._values.append(values)
        while len(self._keys) > 1 and len(self._keys[-2]) <= 2 * len(self._keys[-1]):
            k = np.concatenate((self._keys.pop(-2), self._keys.pop()))
            v = np.concatenate((self._values.pop(-2), self._values.pop()))
            order = np.argsort(k, kind="stable")
            self._keys.append(k[order])
            self._values.append(v[order])
