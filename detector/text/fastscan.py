"""The service catalog's scan, compiled, for :meth:`Catalog.match_many`'s batches.

:class:`~detector.text.catalog.Catalog` finds surface forms with one trie-shaped regular
expression, ``[^0-9A-Za-z_](TRIE)`` in ``re.ASCII`` mode, run by ``finditer`` over a
batch's lower-cased posts joined by ``NUL`` (:func:`~detector.text.catalog._trie_pattern`).
On a million posts that scan is the largest part of service matching. This module runs
the same scan as machine code (numba) over the batch's code points (UTF-32), with the
same results:

- a match starts at a character that is not an ASCII word character (``[0-9A-Za-z_]``);
  the form begins right after it;
- the trie is walked from there: a space in a form matches a run of ASCII whitespace
  (``\\s+``: space, tab, line feed, carriage return, form feed, vertical tab), any other
  character itself;
- of the forms ending along that walk, the longest whose end is a word boundary wins
  (a form whose last character is a word character must not be followed by one): the
  regular expression's alternatives are ordered longest first, and at each node of the
  trie at most one branch can go on, so its backtracking finds exactly that form;
- the scan resumes where the match ended, else one character further.

That reasoning needs every form to be free of leading, trailing and doubled spaces
(:func:`supports`); a catalog with such a form keeps to the regular expression.
``tests/test_fastscan.py`` compares both on generated and real posts.

>>> trie = Trie.build(["gmail", "apple", "apple tv", "@gmail"])
>>> text = np.frombuffer(" apple\\ttv; @gmail".encode("utf-32-le"), dtype=np.uint32)
>>> starts, ends, forms, exact = scan(text, trie)
>>> starts.tolist(), ends.tolist(), [trie.forms[i] for i in forms], exact.tolist()
([1, 11], [9, 17], ['apple tv', '@gmail'], [False, True])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from detector.text import jit

__all__ = ["Trie", "scan", "supports"]


def supports(forms: list[str]) -> bool:
    """Whether the compiled scan equals the regular expression for *forms*: no form
    starts or ends with a space or holds two in a row.

    >>> supports(["apple tv"]), supports(["apple  tv"]), supports([" x"])
    (True, False, False)
    """
    return all(f and f[0] != " " and f[-1] != " " and "  " not in f for f in forms)


class Trie(NamedTuple):
    """The forms as arrays: node ``n``'s children are ``chars[first[n]:first[n + 1]]``
    (code points, sorted) leading to ``children[...]``, and for ASCII characters also
    ``ascii[n, c]`` (-1: none; one lookup instead of a search); ``form[n]`` is the form
    ending at ``n`` (-1: none) and ``bounded[n]`` says whether a word character may not
    follow it. Node 0 is the root."""

    first: np.ndarray
    chars: np.ndarray
    children: np.ndarray
    ascii: np.ndarray
    form: np.ndarray
    bounded: np.ndarray
    forms: list[str]

    @classmethod
    def build(cls, forms: list[str]) -> Trie:
        """The trie of *forms* (lower-cased, as the catalog's table keys are)."""
        nodes: list[dict[str, int]] = [{}]
        ends = [-1]
        for index, text in enumerate(forms):
            node = 0
            for char in text:
                child = nodes[node].get(char)
                if child is None:
                    child = len(nodes)
                    nodes[node][char] = child
                    nodes.append({})
                    ends.append(-1)
                node = child
            ends[node] = index
        first = np.zeros(len(nodes) + 1, dtype=np.int64)
        chars: list[int] = []
        children: list[int] = []
        for n, edges in enumerate(nodes):
            for char in sorted(edges, key=ord):
                chars.append(ord(char))
                children.append(edges[char])
            first[n + 1] = len(chars)
        bounded = np.array([e >= 0 and _is_word_char(forms[e][-1]) for e in ends], dtype=np.bool_)
        ascii = np.full((len(nodes), 128), -1, dtype=np.int32)
        for n, edges in enumerate(nodes):
            for char, child in edges.items():
                if ord(char) < 128:
                    ascii[n, ord(char)] = child
        return cls(
            first,
            np.array(chars, dtype=np.int64),
            np.array(children, dtype=np.int64),
            ascii,
            np.array(ends, dtype=np.int64),
            bounded,
            list(forms),
        )


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


#: Matches the compiled scan collects before handing them over (a batch with more is
#: scanned in several calls, resuming where the last one stopped).
BATCH_MATCHES = 1 << 16


def scan(text: np.ndarray, trie: Trie) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every match in *text* (code points, ``uint32``): where each form starts and ends,
    which form (an index of ``trie.forms``), and whether the text there is the form
    itself (``False`` when its spaces are other or more whitespace)."""
    cap = min(BATCH_MATCHES, len(text) // 2 + 1)  # a match covers two characters at least
    parts: list[tuple[np.ndarray, ...]] = []
    at = 0
    while True:
        out = (
            np.empty(cap, dtype=np.int64),
            np.empty(cap, dtype=np.int64),
            np.empty(cap, dtype=np.int64),
            np.empty(cap, dtype=np.bool_),
        )
        found, at = _scan(
            text,
            at,
            trie.first,
            trie.chars,
            trie.children,
            trie.ascii,
            trie.form,
            trie.bounded,
            *out,
        )
        parts.append(tuple(column[:found] for column in out))
        if found < cap:
            break
    if len(parts) == 1:
        return parts[0]  # type: ignore[return-value]
    return tuple(np.concatenate(columns) for columns in zip(*parts, strict=True))  # type: ignore[return-value]


@jit.compiled
def _word(c: int) -> bool:
    return (97 <= c <= 122) or (65 <= c <= 90) or (48 <= c <= 57) or c == 95


@jit.compiled
def _wide_child(
    first: np.ndarray, chars: np.ndarray, children: np.ndarray, node: int, c: int
) -> int:
    """The child of *node* by the non-ASCII character *c* (a binary search), or -1."""
    lo = first[node]
    hi = first[node + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if chars[mid] < c:
            lo = mid + 1
        else:
            hi = mid
    if lo < first[node + 1] and chars[lo] == c:
        return children[lo]
    return -1


@jit.compiled
def _scan(
    text: np.ndarray,
    p: int,
    first: np.ndarray,
    chars: np.ndarray,
    children: np.ndarray,
    ascii: np.ndarray,
    form: np.ndarray,
    bounded: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    forms: np.ndarray,
    exact: np.ndarray,
) -> tuple[int, int]:
    """The matches from position *p* on, into the output arrays until they are full:
    how many, and where to resume."""
    n = len(text)
    cap = len(starts)
    found = 0
    while p + 1 < n and found < cap:
        if _word(text[p]):
            p += 1
            continue
        node = 0
        q = p + 1
        best_end = -1
        best_form = -1
        best_exact = True
        plain = True
        while q < n:
            c = text[q]
            if c < 128:
                child = ascii[node, c]
                if child < 0:
                    if c == 32 or 9 <= c <= 13:  # \s+ where the form has a space
                        child = ascii[node, 32]
                    if child < 0:
                        break
                    plain = False
                q += 1
                if c == 32 or 9 <= c <= 13:  # the rest of the run of whitespace
                    while q < n and (text[q] == 32 or 9 <= text[q] <= 13):
                        plain = False
                        q += 1
            else:
                child = _wide_child(first, chars, children, node, c)
                if child < 0:
                    break
                q += 1
            node = child
            if form[node] >= 0 and not (bounded[node] and q < n and _word(text[q])):
                best_end = q
                best_form = form[node]
                best_exact = plain
        if best_end < 0:
            p += 1
            continue
        starts[found] = p + 1
        ends[found] = best_end
        forms[found] = best_form
        exact[found] = best_exact
        found += 1
        p = best_end
    return found, p
