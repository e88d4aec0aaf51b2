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

That reasoning needs every form to be free of leading, trailing and doubled spaces and
of other ASCII whitespace (:func:`supports`); a catalog with such a form keeps to the
regular expression. ``tests/test_fastscan.py`` compares both on generated and real
posts, ``tests/test_fastscan_fuzz.py`` on random catalogs and posts.

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
    """Whether the compiled scan equals the regular expression for *forms*: no form is
    empty, starts or ends with a space or holds two in a row, and none holds other ASCII
    whitespace (a catalog's forms never do: it rejects control characters).

    >>> supports(["apple tv"]), supports(["apple  tv"]), supports([" x"]), supports(["a\\tb"])
    (True, False, False, False)
    """
    return all(
        f and f[0] != " " and f[-1] != " " and "  " not in f and _OTHER_SPACE.isdisjoint(f)
        for f in forms
    )


#: ASCII whitespace other than the space: the regular expression matches it in a form
#: as itself, where the scan would read a run of whitespace.
_OTHER_SPACE = frozenset("\t\n\x0b\x0c\r")


class Trie(NamedTuple):
    """The forms as arrays: node ``n``'s children are ``chars[first[n]:first[n + 1]]``
    (code points, sorted) leading to ``children[...]``; ``form[n]`` is the form ending
    at ``n`` (-1: none) and ``bounded[n]`` says whether a word character may not follow
    it. Node 0 is the root. The nodes a walk mostly visits come first (the root, nodes
    with children up to :data:`DENSE_DEPTH` characters deep, nodes with at least
    :data:`DENSE_CHILDREN` children): a node ``n < dense`` has a row ``ascii[n]``, its
    child by each ASCII character (-1: none; one lookup instead of a search).

    A row for every node costs 512 bytes a node: 9 MB for the shipped catalog's 18,000
    nodes (most of which have one child), 157 MB for a catalog of 40,000 forms; these
    rows take 0.65 MB and 9 MB, for the same speed on real posts."""

    first: np.ndarray
    chars: np.ndarray
    children: np.ndarray
    dense: int
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
        depth = [0] * len(nodes)
        for n, edges in enumerate(nodes):  # a child is always numbered after its parent
            for child in edges.values():
                depth[child] = depth[n] + 1
        fanout = list(map(len, nodes))
        dense = [
            n
            for n in range(1, len(nodes))
            if fanout[n] >= DENSE_CHILDREN or (fanout[n] and depth[n] <= DENSE_DEPTH)
        ]
        order = [0, *dense, *sorted(set(range(1, len(nodes))).difference(dense))]
        number = {n: i for i, n in enumerate(order)}  # renumbered: the dense nodes first
        first = np.zeros(len(order) + 1, dtype=np.int64)
        chars: list[int] = []
        children: list[int] = []
        ascii = np.full((1 + len(dense), 128), -1, dtype=np.int32)
        for i, n in enumerate(order):
            for char in sorted(nodes[n], key=ord):
                chars.append(ord(char))
                children.append(number[nodes[n][char]])
                if i < len(ascii) and ord(char) < 128:
                    ascii[i, ord(char)] = children[-1]
            first[i + 1] = len(chars)
        form = np.array([ends[n] for n in order], dtype=np.int64)
        bounded = np.array([e >= 0 and _is_word_char(forms[e][-1]) for e in form], dtype=np.bool_)
        return cls(
            first,
            np.array(chars, dtype=np.int64),
            np.array(children, dtype=np.int64),
            len(ascii),
            ascii,
            form,
            bounded,
            list(forms),
        )


#: The nodes of a :class:`Trie` with a row of :attr:`Trie.ascii`: the root, those with
#: children up to this depth (most walks end there) and those with at least this many
#: children; the others look through their few children.
DENSE_DEPTH = 3
DENSE_CHILDREN = 4


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
            trie.dense,
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
def _search(first: np.ndarray, chars: np.ndarray, children: np.ndarray, node: int, c: int) -> int:
    """The child of *node* by the character *c* (a binary search), or -1."""
    at = jit.find_sorted(chars, first[node], first[node + 1], c)
    return children[at] if at >= 0 else -1


@jit.compiled
def _scan(
    text: np.ndarray,
    p: int,
    first: np.ndarray,
    chars: np.ndarray,
    children: np.ndarray,
    dense: int,
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
            # the child by c, inline (a call a character would take 3x as long): the
            # node's row of ascii, else a look through its few (< 4) children
            if node < dense and c < 128:
                child = ascii[node, c]
            elif node < dense:
                child = _search(first, chars, children, node, c)
            else:
                child = -1
                for k in range(first[node], first[node + 1]):
                    if chars[k] == c:
                        child = children[k]
                        break
            if child < 0:
                if not 9 <= c <= 13:  # (a space has just been looked up)
                    break
                child = _search(first, chars, children, node, 32)  # \s+ for a space
                if child < 0:
                    break
                plain = False
            q += 1
            if c == 32 or 9 <= c <= 13:  # the rest of the run of whitespace
                while q < n and (text[q] == 32 or 9 <= text[q] <= 13):
                    plain = False
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


#: False when numba could not cache this module's machine code (read once its functions
#: are defined): :func:`~detector.text.catalog.compiled_scan_enabled` then keeps to the
#: regular expression.
CACHED = jit.CACHED
