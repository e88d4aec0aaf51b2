"""Token ids of normalised posts in one compiled pass, for the vectoriser's batches.

:meth:`PostFeatures._batch <detector.text.postfeatures.PostFeatures._batch>` splits a
batch's normalised posts on whitespace (``pyarrow.compute.utf8_split_whitespace``) and
looks each token up among the known ones (``index_in``): half of its time. This module
does both in one numba pass over the strings' UTF-8 bytes, with the same result:

- a token is a maximal run of characters that are not whitespace, whitespace being what
  ``utf8_split_whitespace`` splits on (:data:`WHITESPACE`: ASCII tab to carriage return,
  the four ASCII separators, space, next line, and Unicode's space, line and paragraph
  separators); ``utf8_split_whitespace`` also yields an empty string where a post
  starts or ends with whitespace, which names no term and is left out here;
- a token's id is its index in the known tokens (a hash table of their UTF-8 bytes,
  compared byte for byte on a hit), -1 when it is none of them.

``tests/test_fasttokens.py`` checks :data:`WHITESPACE` against pyarrow over every code
point and compares both paths' feature matrices on generated and real posts.

>>> table = TokenTable.build(["cant", "login", "_q_"])
>>> texts = pa.array(["cant  login _q_", " x\\u3000login", ""], pa.large_string())
>>> ids, rows = token_ids(texts, table)
>>> ids.tolist(), rows.tolist()
([0, 1, 2, -1, 1], [0, 0, 0, 1, 1])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa

from detector.text import jit

__all__ = ["WHITESPACE", "TokenTable", "token_ids"]

#: The code points ``pyarrow.compute.utf8_split_whitespace`` splits on (pyarrow 15-26).
WHITESPACE = np.array(
    [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680]
    + list(range(0x2000, 0x200B))
    + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000],
    dtype=np.int64,
)


class TokenTable(NamedTuple):
    """Known tokens as a hash table: ``slots`` (a power of two of them) hold a token's
    index + 1 (0: empty), found by the FNV-1a hash of its UTF-8 bytes
    ``data[offsets[i]:offsets[i + 1]]``."""

    data: np.ndarray
    offsets: np.ndarray
    slots: np.ndarray

    @classmethod
    def build(cls, tokens: list[str]) -> TokenTable:
        """The table of *tokens* (distinct strings; their indices are their ids)."""
        encoded = [t.encode("utf-8") for t in tokens]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
        size = 1 << max(4, (2 * len(encoded)).bit_length())
        slots = np.zeros(size, dtype=np.int64)
        _fill(data, offsets, slots)
        return cls(data, offsets, slots)


def token_ids(texts: pa.Array, table: TokenTable) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, rows)`` of every non-empty token of *texts* (a large_string array without
    nulls), in order: its id in *table* (-1: unknown) and the post it is in."""
    data, offsets = jit.string_buffers(texts)
    count = _count(data, offsets, WHITESPACE)
    ids = np.empty(count, dtype=np.int64)
    rows = np.empty(count, dtype=np.int64)
    _tokens(data, offsets, WHITESPACE, table.data, table.offsets, table.slots, ids, rows)
    return ids, rows


@jit.compiled
def _hash(data: np.ndarray, start: int, end: int) -> np.uint64:
    h = np.uint64(0xCBF29CE484222325)
    for i in range(start, end):
        h = (h ^ np.uint64(data[i])) * np.uint64(0x100000001B3)
    return h


@jit.compiled
def _fill(data: np.ndarray, offsets: np.ndarray, slots: np.ndarray) -> None:
    mask = np.uint64(len(slots) - 1)
    for t in range(len(offsets) - 1):
        at = _hash(data, offsets[t], offsets[t + 1]) & mask
        while slots[at] != 0:
            at = (at + np.uint64(1)) & mask
        slots[at] = t + 1


@jit.compiled
def _space_at(data: np.ndarray, i: int, end: int, spaces: np.ndarray) -> int:
    """The length in bytes of the whitespace character at byte *i*, or 0 if it is none."""
    b = data[i]
    if b < 0x80:
        return 1 if (9 <= b <= 13) or (28 <= b <= 32) else 0
    if b < 0xC0:
        return 0  # a continuation byte (never at a character's start here)
    if b < 0xE0:
        n, c = 2, b & 0x1F
    elif b < 0xF0:
        n, c = 3, b & 0x0F
    else:
        n, c = 4, b & 0x07
    if i + n > end:
        return 0
    for k in range(1, n):
        c = (c << 6) | (data[i + k] & 0x3F)
    return n if jit.find_sorted(spaces, 0, len(spaces), c) >= 0 else 0


@jit.compiled
def _width(b: int) -> int:
    """Bytes of the UTF-8 character whose first byte is *b*."""
    if b < 0xC0:
        return 1
    if b < 0xE0:
        return 2
    if b < 0xF0:
        return 3
    return 4


@jit.compiled
def _count(data: np.ndarray, offsets: np.ndarray, spaces: np.ndarray) -> int:
    count = 0
    for r in range(len(offsets) - 1):
        i, end = offsets[r], offsets[r + 1]
        inside = False
        while i < end:
            b = data[i]
            if b < 0x80:
                if (9 <= b <= 13) or (28 <= b <= 32):
                    inside = False
                elif not inside:
                    count += 1
                    inside = True
                i += 1
                continue
            w = _space_at(data, i, end, spaces)
            if w:
                inside = False
                i += w
            else:
                if not inside:
                    count += 1
                    inside = True
                i += _width(b)
    return count


@jit.compiled
def _tokens(
    data: np.ndarray,
    offsets: np.ndarray,
    spaces: np.ndarray,
    known: np.ndarray,
    known_offsets: np.ndarray,
    slots: np.ndarray,
    ids: np.ndarray,
    rows: np.ndarray,
) -> None:
    mask = np.uint64(len(slots) - 1)
    prime = np.uint64(0x100000001B3)
    out = 0
    for r in range(len(offsets) - 1):
        i, end = offsets[r], offsets[r + 1]
        while i < end:
            b = data[i]
            if b < 0x80:
                if (9 <= b <= 13) or (28 <= b <= 32):
                    i += 1
                    continue
            elif _space_at(data, i, end, spaces):
                i += _space_at(data, i, end, spaces)
                continue
            start = i
            h = np.uint64(0xCBF29CE484222325)  # FNV-1a of the token's bytes, as it is read
            while i < end:
                b = data[i]
                if b < 0x80:
                    if (9 <= b <= 13) or (28 <= b <= 32):
                        break
                    h = (h ^ np.uint64(b)) * prime
                    i += 1
                else:
                    if _space_at(data, i, end, spaces):
                        break
                    w = _width(b)
                    for k in range(w):
                        h = (h ^ np.uint64(data[i + k])) * prime
                    i += w
            length = i - start
            found = -1
            at = h & mask
            while slots[at] != 0:
                t = slots[at] - 1
                a = known_offsets[t]
                if known_offsets[t + 1] - a == length:
                    same = True
                    for k in range(length):
                        if known[a + k] != data[start + k]:
                            same = False
                            break
                    if same:
                        found = t
                        break
                at = (at + np.uint64(1)) & mask
            ids[out] = found
            rows[out] = r
            out += 1


def warm() -> None:
    """Load (the first time: compile and cache) this module's machine code now, so that
    the first large batch does not wait for it.

    >>> warm()
    """
    token_ids(pa.array(["warm up"], pa.large_string()), TokenTable.build(["warm"]))
