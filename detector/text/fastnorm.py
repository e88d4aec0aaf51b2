"""The normalisation rules of :mod:`.normalize`, compiled, for the plain posts of a batch.

:func:`detector.text.normalize.normalize_array` runs thirteen regular-expression
passes over a batch (pyarrow's RE2 kernels): on a million posts, the largest single
cost of ``score``. On a plain post (printable ASCII, tabs, line breaks, emoji, and
punctuation or symbols that have no case; nearly every post) each rule is a simple
scan, so this module runs the same rules, with the same leftmost-first matching, as
machine code (numba), one post at a time in two scratch buffers, in four scans:

1. entities (``&amp;`` -> space), links (-> ``_url_``), handles (-> ``_user_``), each
   only where the post holds its trigger (``&``, ``://`` or ``www.``, ``@``);
2. CamelCase split, lower case, apostrophes dropped (:func:`_camel_lower_quotes`);
3. ``can not``/``unable to``/``cnt`` -> ``cant``, ``log in``/``signing on to`` ->
   ``login``/``signin``, numbers -> ``_num_``, stretched letters squeezed, ``?`` ->
   ``_q_``, ``!`` -> ``_excl_``, emoji -> ``_emoji_``, other punctuation -> space
   (:func:`_words_marks`, which says why one scan equals the passes in turn);
4. negation marked on the next word (:func:`_negation`).

Other posts (letters with accents or case outside ASCII, other scripts, control
characters) keep the regular expressions, where Unicode classes and case matter.
Both paths give the same text: ``tests/test_fastnorm.py`` compares them on generated
posts built to hit each rule's edges and on every real post of the shared data
(1,082,466 posts when this was written: no difference), and :data:`RULES_DIGEST`
ties this module to the rules it implements.

The first call in a process loads the machine code (about half a second; compiling it,
once per installation, takes a few seconds more and is cached beside this file, or
in numba's user cache; where neither can be written, :mod:`.normalize` does not use this
module: see :data:`CACHED`).

>>> out = normalize_plain(pa.array(["Can't log in to @Outlook!!", "naïve"], pa.large_string()))
>>> out.to_pylist()
['cant neg_login to  _user_  _excl_ ', None]
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from detector.text import jit
from detector.text.normalize import _CASED_RULES, _RULES, NEGATORS

__all__ = ["RULES_DIGEST", "normalize_plain", "plain_rows", "rules_digest"]

_F = TypeVar("_F", bound=Callable[..., Any])


def rules_digest() -> str:
    """A digest of :mod:`.normalize`'s rules as they are now.

    >>> len(rules_digest())
    16
    """
    text = repr((_CASED_RULES, _RULES, NEGATORS))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: :func:`rules_digest` of the rules this module implements: when the rules change,
#: :mod:`.normalize` stops using this module until it is brought in line (and a test
#: fails saying so).
RULES_DIGEST = "5ac60054de2dd9b8"


#: False when numba could not cache this module's machine code (see
#: :func:`detector.text.jit.compiled`): :mod:`.normalize` then keeps to the regular
#: expressions.
CACHED = True


def _compiled(function: _F) -> _F:
    """:func:`detector.text.jit.compiled`, noting in :data:`CACHED` when it cannot cache."""
    global CACHED
    out = jit.compiled(function)
    CACHED = CACHED and jit.CACHED
    return out


# -- character classes (ASCII) ----------------------------------------------------------


@_compiled
def _lower(c: int) -> bool:
    return 97 <= c <= 122


@_compiled
def _upper(c: int) -> bool:
    return 65 <= c <= 90


@_compiled
def _digit(c: int) -> bool:
    return 48 <= c <= 57


@_compiled
def _word(c: int) -> bool:  # RE2's \w and the side of a \b
    return _lower(c) or _upper(c) or _digit(c) or c == 95


@_compiled
def _space(c: int) -> bool:  # RE2's \s: [\t\n\f\r ]
    return c == 32 or c == 9 or c == 10 or c == 12 or c == 13


@_compiled
def _boundary(buf: np.ndarray, n: int, i: int) -> bool:
    """RE2's ``\\b`` before position *i* of ``buf[:n]``."""
    before = i > 0 and _word(buf[i - 1])
    after = i < n and _word(buf[i])
    return before != after


@_compiled
def _at(buf: np.ndarray, n: int, i: int, word: np.ndarray) -> bool:
    """Does ``buf[i:]`` start with the bytes *word*?"""
    if i + len(word) > n:
        return False
    for k in range(len(word)):  # noqa: SIM110 - no generators in compiled code
        if buf[i + k] != word[k]:
            return False
    return True


@_compiled
def _put(dst: np.ndarray, m: int, word: np.ndarray) -> int:
    for k in range(len(word)):
        dst[m + k] = word[k]
    return m + len(word)


def _b(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8).copy()


_SPACE = _b(" ")
_URL = _b(" _url_ ")
_USER = _b(" _user_ ")
_NUM = _b(" _num_ ")
_Q = _b(" _q_ ")
_EXCL = _b(" _excl_ ")
_EMOJI = _b(" _emoji_ ")
_CANT = _b("cant")
_NEG = _b(" neg_")
_HTTP = _b("http")
_SLASHES = _b("://")
_WWW = _b("www.")
_CAN = _b("can")
_NOT = _b("not")
_UNABLE_TO = _b("unable to")
_CNT = _b("cnt")
_LOG = _b("log")
_SIGN = _b("sign")
_IN = _b("in")
_ON = _b("on")
_TO = _b("to")
# (?:ging|ged|ing|ed), tried in this order
_SUFFIXES = (_b("ging"), _b("ged"), _b("ing"), _b("ed"))
# letters whose runs of three or more are squeezed
_STRETCHED = _b("oeaiuyshl")
# the negators, in their order (the alternation tries them so)
_NEGATORS = tuple(_b(word) for word in NEGATORS)
# what a word needs to be one of them (a lookup is a call that takes arrays: costly)
_NEG_SHORTEST = min(map(len, NEGATORS))
_NEG_LONGEST = max(map(len, NEGATORS))
_NEG_FIRST = np.zeros(256, dtype=np.bool_)
_NEG_FIRST[[ord(word[0]) for word in NEGATORS]] = True


# -- the passes: each reads src[:n], writes dst, returns the length written -------------


@_compiled
def _entities(src: np.ndarray, n: int, dst: np.ndarray) -> int:
    """``&(?:[a-z]+|#[0-9]+);`` -> space."""
    i = m = 0
    while i < n:
        if src[i] == 38 and i + 1 < n:  # &
            j = i + 1
            if _lower(src[j]):
                while j < n and _lower(src[j]):
                    j += 1
            elif src[j] == 35:  # #
                j += 1
                k = j
                while j < n and _digit(src[j]):
                    j += 1
                if j == k:
                    j = -1
            else:
                j = -1
            if j > 0 and j < n and src[j] == 59:  # ;
                dst[m] = 32
                m += 1
                i = j + 1
                continue
        dst[m] = src[i]
        m += 1
        i += 1
    return m


@_compiled
def _urls_users(src: np.ndarray, n: int, dst: np.ndarray, users: bool) -> int:
    """``https?://\\S+|www\\.\\S+`` -> `` _url_ `` (or ``@[0-9A-Za-z_]+`` -> `` _user_ ``)."""
    i = m = 0
    while i < n:
        end = -1
        if users:
            if src[i] == 64:  # @
                j = i + 1
                while j < n and _word(src[j]):
                    j += 1
                if j > i + 1:
                    end = j
        else:
            start = -1
            if _at(src, n, i, _HTTP):
                j = i + 4
                if j < n and src[j] == 115 and _at(src, n, j + 1, _SLASHES):  # https://
                    start = j + 4
                elif _at(src, n, j, _SLASHES):
                    start = j + 3
            elif _at(src, n, i, _WWW):
                start = i + 4
            if start >= 0:
                j = start
                while j < n and not _space(src[j]):
                    j += 1
                if j > start:
                    end = j
        if end > 0:
            m = _put(dst, m, _USER if users else _URL)
            i = end
            continue
        dst[m] = src[i]
        m += 1
        i += 1
    return m


@_compiled
def _camel_lower_quotes(src: np.ndarray, n: int, dst: np.ndarray) -> int:
    """``([a-z])([A-Z][a-z]{2,})`` -> ``\\1 \\2``, then lower case, then ``[’‘`´']``
    dropped (ASCII ``'`` and backtick, U+2018, U+2019, U+00B4), in one scan: the CamelCase
    rule decides on the text before the other two (a match is skipped over whole, as a
    global replace does), and those two change one character at a time."""
    m = i = 0
    camel_end = 0  # CamelCase matches start only at or after the end of the last one
    while i < n:
        c = src[i]
        if (
            i >= camel_end
            and i + 3 < n
            and _lower(c)
            and _upper(src[i + 1])
            and _lower(src[i + 2])
            and _lower(src[i + 3])
        ):
            j = i + 4
            while j < n and _lower(src[j]):
                j += 1
            camel_end = j
            dst[m] = c
            dst[m + 1] = 32
            m += 2
            i += 1
            continue
        if c == 39 or c == 96:
            i += 1
            continue
        if (
            c == 0xE2
            and i + 2 < n
            and src[i + 1] == 0x80
            and (src[i + 2] == 0x98 or src[i + 2] == 0x99)
        ):
            i += 3
            continue
        if c == 0xC2 and i + 1 < n and src[i + 1] == 0xB4:
            i += 2
            continue
        dst[m] = c + 32 if _upper(c) else c
        m += 1
        i += 1
    return m


@_compiled
def _login_end(src: np.ndarray, n: int, j: int) -> int:
    """End of ``(?:ging|ged|ing|ed)? ?(?:in|on)(?:to)?\\b`` from *j*, or -1 (the first
    match in the order a backtracking engine tries the alternatives)."""
    for s in range(len(_SUFFIXES) + 1):
        a = j
        if s < len(_SUFFIXES):
            if not _at(src, n, j, _SUFFIXES[s]):
                continue
            a = j + len(_SUFFIXES[s])
        for gap in (1, 0):
            b = a
            if gap:
                if not (b < n and src[b] == 32):
                    continue
                b += 1
            if not (_at(src, n, b, _IN) or _at(src, n, b, _ON)):
                continue
            c = b + 2
            if _at(src, n, c, _TO) and _boundary(src, n, c + 2):
                return c + 2
            if _boundary(src, n, c):
                return c
    return -1


@_compiled
def _char(src: np.ndarray, n: int, i: int) -> tuple[int, int]:
    """The code point starting at byte *i* (valid UTF-8) and its length in bytes."""
    c = src[i]
    if c < 0x80:
        return c, 1
    if c < 0xE0:
        return ((c & 0x1F) << 6) | (src[i + 1] & 0x3F), 2
    if c < 0xF0:
        return ((c & 0x0F) << 12) | ((src[i + 1] & 0x3F) << 6) | (src[i + 2] & 0x3F), 3
    return (
        ((c & 0x07) << 18)
        | ((src[i + 1] & 0x3F) << 12)
        | ((src[i + 2] & 0x3F) << 6)
        | (src[i + 3] & 0x3F),
        4,
    )


@_compiled
def _emoji(cp: int) -> bool:
    """The emoji class of :mod:`.normalize`."""
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2B00 <= cp <= 0x2BFF
        or cp == 0xFE0F
        or cp == 0x200D
    )


@_compiled
def _words_marks(src: np.ndarray, n: int, dst: np.ndarray) -> int:
    """The passes from ``cant`` to punctuation in one scan: ``cant``, ``login``, numbers,
    stretched letters, then ``?``/``!``/emoji/punctuation (:func:`_cant`, :func:`_login`,
    :func:`_numbers`, :func:`_squeeze`, :func:`_marks_punctuation`).

    One scan gives what the passes give one after the other because no match of one can
    touch a match of another: ``cant``/``login`` matches start and end at a word boundary
    with a word character on their edge before and after their replacement, so the
    letters, digits and punctuation beside them are the same to every later pass;
    numbers are runs of digits, stretched letters runs of letters, punctuation runs of
    neither, and each later replacement only holds letters, ``_`` and spaces."""
    i = m = 0
    while i < n:
        c = src[i]
        if 97 <= c <= 122:  # a-z (upper case is gone)
            if (c == 99 or c == 117) and _boundary(src, n, i):  # c, u: cant
                end = -1
                if _at(src, n, i, _CAN):
                    j = i + 3
                    if (
                        j < n
                        and src[j] == 32
                        and _at(src, n, j + 1, _NOT)
                        and _boundary(src, n, j + 4)
                    ):
                        end = j + 4
                    elif _at(src, n, j, _NOT) and _boundary(src, n, j + 3):
                        end = j + 3
                if end < 0 and _at(src, n, i, _UNABLE_TO) and _boundary(src, n, i + 9):
                    end = i + 9
                if end < 0 and _at(src, n, i, _CNT) and _boundary(src, n, i + 3):
                    end = i + 3
                if end > 0:
                    m = _put(dst, m, _CANT)
                    i = end
                    continue
            elif (c == 108 or c == 115) and _boundary(src, n, i):  # l, s: login
                verb = 3 if _at(src, n, i, _LOG) else 4 if _at(src, n, i, _SIGN) else 0
                if verb:
                    end = _login_end(src, n, i + verb)
                    if end > 0:
                        for k in range(verb):
                            dst[m + k] = src[i + k]
                        m = _put(dst, m + verb, _IN)
                        i = end
                        continue
            if i + 2 < n and src[i + 1] == c and src[i + 2] == c:
                stretched = False
                for k in range(len(_STRETCHED)):
                    if _STRETCHED[k] == c:
                        stretched = True
                if stretched:
                    j = i + 3
                    while j < n and src[j] == c:
                        j += 1
                    dst[m] = c
                    m += 1
                    i = j
                    continue
            dst[m] = c
            m += 1
            i += 1
            continue
        if 48 <= c <= 57:  # a number
            j = i + 1
            while True:
                while j < n and _digit(src[j]):
                    j += 1
                d = src[j] if j < n else 0
                if (d == 46 or d == 44 or d == 58) and j + 1 < n and _digit(src[j + 1]):
                    j += 1
                    continue
                break
            m = _put(dst, m, _NUM)
            i = j
            continue
        if c == 95 or _space(c):
            dst[m] = c
            m += 1
            i += 1
            continue
        if c == 63 or c == 33:  # ? or !
            j = i + 1
            while j < n and src[j] == c:
                j += 1
            m = _put(dst, m, _Q if c == 63 else _EXCL)
            i = j
            continue
        if c < 0x80:
            emoji, j = False, i + 1
        else:
            cp, size = _char(src, n, i)
            emoji, j = _emoji(cp), i + size
        while j < n:  # the run of emoji, or of other punctuation
            d = src[j]
            if d < 0x80:
                if emoji or _word(d) or _space(d) or d == 63 or d == 33:
                    break
                j += 1
                continue
            cp, size = _char(src, n, j)
            if _emoji(cp) != emoji:
                break
            j += size
        m = _put(dst, m, _EMOJI if emoji else _SPACE)
        i = j
    return m


@_compiled
def _negator(src: np.ndarray, i: int, j: int) -> int:
    """Index in :data:`_NEGATORS` of the word ``src[i:j]``, or -1."""
    for w in range(len(_NEGATORS)):
        word = _NEGATORS[w]
        if len(word) == j - i and _at(src, j, i, word):
            return w
    return -1


@_compiled
def _negation(src: np.ndarray, n: int, dst: np.ndarray) -> int:
    """``\\b(not|no|...)\\s+([\\p{L}\\p{N}][0-9A-Za-z_]*)`` -> ``\\1 neg_\\2``, a word at a
    time: the negator must be followed by white space, so it is a whole word."""
    i = m = 0
    while i < n:
        c = src[i]
        if not _word(c):
            dst[m] = c
            m += 1
            i += 1
            continue
        j = i + 1  # a word starts at i (whole words are consumed): where does it end?
        while j < n and _word(src[j]):
            j += 1
        k = j
        while k < n and _space(src[k]):
            k += 1
        if (
            k > j
            and k < n
            and (_lower(src[k]) or _upper(src[k]) or _digit(src[k]))
            and _NEG_SHORTEST <= j - i <= _NEG_LONGEST  # a negator's length, first letter
            and _NEG_FIRST[c]
        ):
            w = _negator(src, i, j)
            if w >= 0:
                end = k + 1
                while end < n and _word(src[end]):
                    end += 1
                m = _put(dst, m, _NEGATORS[w])
                m = _put(dst, m, _NEG)
                for q in range(k, end):
                    dst[m] = src[q]
                    m += 1
                i = end
                continue
        for q in range(i, j):
            dst[m] = src[q]
            m += 1
        i = j
    return m


#: Flags of :func:`_scan`: which optional passes a post needs (their triggers cannot be
#: made by an earlier pass, which only write spaces and lower case).
_AMP, _LINK, _AT = 1, 2, 4


@_compiled
def _normalise_one(a: np.ndarray, n: int, b: np.ndarray, flags: int) -> tuple[int, bool]:
    """All passes over ``a[:n]``, ping-ponging between *a* and *b*, skipping the entity,
    link and handle passes where *flags* say they cannot match; returns the length and
    whether the result is in *b*."""
    src, dst, swapped = a, b, False
    if flags & _AMP:
        n = _entities(src, n, dst)
        src, dst, swapped = dst, src, not swapped
    if flags & _LINK:
        n = _urls_users(src, n, dst, False)
        src, dst, swapped = dst, src, not swapped
    if flags & _AT:
        n = _urls_users(src, n, dst, True)
        src, dst, swapped = dst, src, not swapped
    n = _camel_lower_quotes(src, n, dst)
    src, dst, swapped = dst, src, not swapped
    n = _words_marks(src, n, dst)
    src, dst, swapped = dst, src, not swapped
    n = _negation(src, n, dst)
    return n, not swapped


#: Zero bytes after the text: arrow's string kernels may read a little past the last string
#: of a buffer (as arrow's own buffers allow: they are padded to 64 bytes); without them
#: ``utf8_split_whitespace`` read whatever memory followed and, now and then, kept a
#: post's trailing space in its last token.
_PADDING = 64

#: Growth bound of one post through all passes: a one-byte ``!`` becomes eight bytes,
#: and a negation adds four (`` neg_``) to a word of at least one letter.
_GROWTH = 16


def _plain_table() -> np.ndarray:
    """``table[cp]``: may a plain post hold the code point *cp*? Printable ASCII, tab and
    line breaks; the emoji class; U+2018, U+2019 and U+00B4 (dropped with ``'``); and the
    punctuation, symbols and spaces below U+3000 that have no case (every rule treats them
    as the punctuation they are, and lower-casing leaves them alone)."""
    import unicodedata

    table = np.zeros(0x20000, dtype=np.bool_)
    table[32:127] = True
    table[[9, 10, 13]] = True
    for cp in range(0x80, 0x3000):
        char = chr(cp)
        if unicodedata.category(char)[0] in "PSZ" and char.lower() == char and char.upper() == char:
            table[cp] = True
    table[0x1F000:0x1FB00] = True
    table[0x2600:0x27C0] = True
    table[0x2B00:0x2C00] = True
    table[[0xFE0F, 0x200D, 0x2018, 0x2019, 0xB4]] = True
    return table


_PLAIN = _plain_table()


@_compiled
def _scan(data: np.ndarray, offsets: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per post: -1 if it is not plain (:func:`plain_rows`), else the flags of the
    optional passes it needs (``&``; ``://`` or ``www.``; ``@``)."""
    rows = len(offsets) - 1
    flags = np.zeros(rows, dtype=np.int8)
    for r in range(rows):
        i, stop = offsets[r], offsets[r + 1]
        f = 0
        while i < stop:
            c = data[i]
            if c < 0x80:
                if not (32 <= c <= 126 or c == 9 or c == 10 or c == 13):
                    f = -1
                    break
                if c == 38:
                    f |= _AMP
                elif c == 64:
                    f |= _AT
                elif (c == 58 and _at(data, stop, i, _SLASHES)) or (
                    c == 119 and _at(data, stop, i, _WWW)
                ):
                    f |= _LINK
                i += 1
                continue
            cp, size = _char(data, stop, i)
            if cp >= len(table) or not table[cp]:
                f = -1
                break
            i += size
        flags[r] = f
    return flags


@_compiled
def _normalise_rows(
    data: np.ndarray, offsets: np.ndarray, flags: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The plain posts (``flags >= 0``) normalised: their bytes and offsets (a post that is
    not plain is empty there)."""
    rows = len(flags)
    out_offsets = np.zeros(rows + 1, dtype=np.int64)
    out = np.empty(max(64, 2 * (offsets[-1] - offsets[0])), dtype=np.uint8)
    longest = 0
    for r in range(rows):
        longest = max(longest, offsets[r + 1] - offsets[r])
    a = np.empty(_GROWTH * longest + 64, dtype=np.uint8)
    b = np.empty_like(a)
    m = 0
    for r in range(rows):
        if flags[r] >= 0:
            start, stop = offsets[r], offsets[r + 1]
            n = stop - start
            a[:n] = data[start:stop]
            n, in_b = _normalise_one(a, n, b, flags[r])
            if m + n > len(out):
                grown = np.empty(2 * (m + n), dtype=np.uint8)
                grown[:m] = out[:m]
                out = grown
            out[m : m + n] = b[:n] if in_b else a[:n]
            m += n
        out_offsets[r + 1] = m
    if len(out) < m + _PADDING:
        grown = np.empty(m + _PADDING, dtype=np.uint8)
        grown[:m] = out[:m]
        out = grown
    out[m : m + _PADDING] = 0
    return out[: m + _PADDING], out_offsets


def plain_rows(texts: pa.Array) -> np.ndarray:
    """Which posts of *texts* (no nulls) the compiled path takes: printable ASCII, tabs and
    line breaks, emoji, and punctuation or symbols without case (:func:`_plain_table`).

    >>> plain_rows(pa.array(["is it down?", "déjà vu", "a\\vb", "ok 👍"])).tolist()
    [True, False, False, True]
    """
    data, offsets = jit.string_buffers(texts)
    return _scan(data, offsets, _PLAIN) >= 0


def normalize_plain(texts: pa.Array) -> pa.LargeStringArray:
    """:func:`~detector.text.normalize.normalize_array` with ``tidy=False`` for the plain
    posts of *texts* (:func:`plain_rows`, no nulls); null for the others.
    """
    data, offsets = jit.string_buffers(texts)
    flags = _scan(data, offsets, _PLAIN)
    out, out_offsets = _normalise_rows(data, offsets, flags)
    plain = flags >= 0
    valid = None if plain.all() else pa.array(plain).buffers()[1]
    return pa.LargeStringArray.from_buffers(
        len(texts),
        pa.py_buffer(out_offsets),
        pa.py_buffer(out),
        valid,
        int(len(plain) - plain.sum()),
    )
