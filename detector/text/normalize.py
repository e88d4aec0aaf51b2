"""Normalise social-media posts into space-separated tokens that travel across sources.

Every rule is a vectorised regular expression (pyarrow's RE2 kernels), so a
batch of 100,000 posts is normalised in C++ without a Python loop per post; the
single-post path runs the very same rules through the ``regex`` module (in ASCII mode, and
lower-casing each character as arrow does, so that both engines agree), so training,
batch scoring and the API can never disagree. Large batches run the same rules
compiled (:mod:`.fastnorm`, about 2.5 times faster) on their plain posts (ASCII,
emoji and punctuation: nearly all of them), with the same results.

What the rules do, in order:

- HTML entities (``&amp;``) dropped, URLs -> ``_url_``, handles -> ``_user_``;
- hashtags and CamelCase split (``#ExchangeOnline`` -> ``exchange online``, but
  ``WiFi`` stays ``wifi``);
- lower case; apostrophes dropped so contractions fold
  (``can't``/``cannot``/``unable to`` -> ``cant``, ``don't`` -> ``dont``);
- ``log in``/``log into``/``sign in`` -> ``login``/``signin``;
- numbers -> ``_num_``; elongations squeezed (``dooown`` -> ``down``);
- ``?`` -> ``_q_``, ``!`` -> ``_excl_``, emoji -> ``_emoji_``, other punctuation dropped;
- negation marked on the next word (``not working`` -> ``not neg_working``,
  ``cant log in`` -> ``cant neg_login``), the nltk ``mark_negation`` idea
  limited to one word so that it stays a regular expression.

>>> normalize("Can't log in to @Outlook since 2pm!!! #ExchangeOnline is dooown?")
'cant neg_login to _user_ since _num_ pm _excl_ exchange online is down _q_'
>>> normalize_many(["Teams wont load https://t.co/x", "zoom meeting in 5 😀"])
['teams wont neg_load _url_', 'zoom meeting in _num_ _emoji_']
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex

from detector.text import compiled

__all__ = [
    "NEGATORS",
    "normalize",
    "normalize_array",
    "normalize_many",
    "to_arrow",
    "warm_compiled",
]

#: Words after which the next word is marked with ``neg_``.
NEGATORS: tuple[str, ...] = (
    "not",
    "no",
    "never",
    "cant",
    "wont",
    "dont",
    "doesnt",
    "didnt",
    "isnt",
    "arent",
    "wasnt",
    "werent",
    "couldnt",
    "wouldnt",
    "hasnt",
    "havent",
    "aint",
    "nothing",
    "without",
)

_EMOJI = r"[\x{1F000}-\x{1FAFF}\x{2600}-\x{27BF}\x{2B00}-\x{2BFF}\x{FE0F}\x{200D}]+"

# (pattern, replacement) pairs applied in order before lower-casing ...
_CASED_RULES: tuple[tuple[str, str], ...] = (
    (r"&(?:[a-z]+|#[0-9]+);", " "),
    (r"https?://\S+|www\.\S+", " _url_ "),
    (r"@[0-9A-Za-z_]+", " _user_ "),
    # CamelCase and hashtags: split before a capital followed by 2+ lower-case letters,
    # so "ExchangeOnline" -> "Exchange Online" but "WiFi" stays one word.
    (r"([a-z])([A-Z][a-z]{2,})", r"\1 \2"),
)
# ... and after it. Few passes on purpose: each one is a scan of the whole batch.
_RULES: tuple[tuple[str, str], ...] = (
    (r"[’‘`´']", ""),  # can't -> cant, won't -> wont, don't -> dont
    (r"\bcan ?not\b|\bunable to\b|\bcnt\b", "cant"),
    (r"\b(log|sign)(?:ging|ged|ing|ed)? ?(?:in|on)(?:to)?\b", r"\1in"),
    (r"[0-9]+(?:[.,:][0-9]+)*", " _num_ "),
    # RE2 has no back-references in patterns: one group per letter that people stretch.
    (
        r"(o)o{2,}|(e)e{2,}|(a)a{2,}|(i)i{2,}|(u)u{2,}|(y)y{2,}|(s)s{2,}|(h)h{2,}|(l)l{2,}",
        r"\1\2\3\4\5\6\7\8\9",
    ),
    (r"\?+", " _q_ "),
    (r"!+", " _excl_ "),
    (_EMOJI, " _emoji_ "),
    (r"[^\p{L}\p{N}_\s]+", " "),
    (r"\b(" + "|".join(NEGATORS) + r")\s+([\p{L}\p{N}][0-9A-Za-z_]*)", r"\1 neg_\2"),
)
_SPACES = (r"\s{2,}|[\t\n\r\f\v]", " ")


def normalize_array(
    texts: pa.Array | pa.ChunkedArray, *, tidy: bool = True
) -> pa.Array | pa.ChunkedArray:
    """Normalise a pyarrow string array (nulls become empty strings).

    ``tidy=False`` leaves runs of spaces in place: the same tokens, one pass fewer,
    for callers that split on whitespace anyway (the vectoriser).

    >>> normalize_array(pa.array(["NO internet!!", None])).to_pylist()
    ['no neg_internet _excl_', '']
    """
    out = pc.fill_null(texts.cast(pa.large_string()), "")
    compiled = None
    if len(out) >= COMPILED_BATCH and _compiled_enabled():
        try:
            compiled = _compiled_then_regex(out)
        except Exception as exc:  # a damaged machine-code cache, say: the rules still run
            _compiled_failed(exc)
    out = compiled if compiled is not None else _regex_passes(out)
    if not tidy:
        return out
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(out, *_SPACES))


#: Batches of at least this many posts take the compiled path (:mod:`.fastnorm`) for their
#: plain posts: loading its machine code costs about half a second once per process.
COMPILED_BATCH = 2_000


def _compiled_enabled() -> bool:
    """The compiled path, unless ``OUTAGE_COMPILED=0`` (for measuring it against the
    regular expressions), it failed in this process, numba cannot be imported or cache
    here, or the rules above changed since :mod:`.fastnorm` was written for them."""
    return compiled.switched_on(_BROKEN) and _compiled_available()


def _compiled_failed(exc: Exception) -> None:
    """The compiled path raised: warn once, and keep to the regular expressions in this
    process (the text is the same, only slower)."""
    compiled.failed(
        _BROKEN,
        exc,
        "the compiled text normaliser failed, using the regular expressions instead "
        "(the same text, slower)",
        hint=", and deleting numba's cache files (*.nbi, *.nbc beside "
        "detector/text/fastnorm.py or under NUMBA_CACHE_DIR) rebuilds it",
    )


#: Why the compiled path failed in this process (it is not tried again once it has).
_BROKEN: list[str] = []


@functools.cache
def _compiled_available() -> bool:
    """Can numba be imported, and does :mod:`.fastnorm` implement these rules? (Once a
    process: the answer cannot change while it runs.)"""
    if not compiled.available():  # it would compile again in every process of every run
        return False
    from detector.text import fastnorm

    return fastnorm.rules_digest() == fastnorm.RULES_DIGEST  # rules it does not know: off


def warm_compiled() -> None:
    """Load the compiled path's machine code now (compiling it the first time), so that
    the first large batch does not wait for it; nothing when it is off."""
    if _compiled_enabled():
        from detector.text.fastnorm import normalize_plain

        normalize_plain(pa.array(["Warm up: can't log in?! 👍"], pa.large_string()))


def _compiled_then_regex(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The compiled passes for the plain posts, the regular expressions for the rest."""
    from detector.text.fastnorm import normalize_plain

    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    fast = normalize_plain(texts)
    if not fast.null_count:
        return fast
    rest = fast.is_null().to_numpy(zero_copy_only=False)
    others = np.flatnonzero(rest)
    slow = _regex_passes(texts.take(pa.array(others)))
    # the plain posts' results, then the others', put back in the order of *texts*
    order = np.concatenate([np.flatnonzero(~rest), others])
    merged = pa.concat_arrays([fast.drop_null(), slow.cast(pa.large_string())])
    return merged.take(pa.array(np.argsort(order, kind="stable")))


def _regex_passes(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Every rule, one regular-expression pass each (untidy: runs of spaces kept)."""
    out = texts
    for pattern, repl in _CASED_RULES:
        out = pc.replace_substring_regex(out, pattern, repl)
    out = pc.utf8_lower(out)
    for pattern, repl in _RULES:
        out = pc.replace_substring_regex(out, pattern, repl)
    return out


def normalize_many(texts: Sequence[str | None]) -> list[str]:
    """Normalise many posts; same length and order as *texts*.

    Small batches take the per-post path (pyarrow compiles each pattern per call,
    which costs more than the work on a handful of posts).

    >>> normalize_many(["It's not working", "calendar invites not sending"])
    ['its not neg_working', 'calendar invites not neg_sending']
    """
    if len(texts) < SMALL_BATCH:
        return [normalize(t if isinstance(t, str) else _missing_or_str(t)) for t in texts]
    return normalize_array(to_arrow(texts)).to_pylist()


def normalize(text: str) -> str:
    """Normalise one post (the same rules, run by the ``regex`` module that nltk uses).

    >>> normalize("Is @Gmail down for anyone else??? #GmailDown")
    'is _user_ down for anyone else _q_ gmail down'
    """
    for pattern, repl in _PY_CASED:
        text = pattern.sub(repl, text)
    text = _lower(text)
    for pattern, repl in _PY_RULES:
        text = pattern.sub(repl, text)
    return " ".join(text.split())


def _missing_or_str(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return ""
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return str(value)


#: Below this many posts :func:`normalize_many` runs the per-post path.
SMALL_BATCH = 64


def _compile(rules: tuple[tuple[str, str], ...]) -> list[tuple[regex.Pattern[str], str]]:
    return [(regex.compile(_as_re2(p)), r) for p, r in rules]


#: RE2's word characters and white space: ASCII only (``\\p{L}`` and ``\\p{N}`` are Unicode
#: in both engines).
_WORD = "0-9A-Za-z_"
_SPACE = "\\t\\n\\f\\r "


#: RE2's (ASCII) classes spelled out for the ``regex`` module (Unicode): outside a class
#: and inside one (None: a negated class inside a class, refused).
_ASCII_CLASSES = {
    "\\s": (f"[{_SPACE}]", _SPACE),
    "\\S": (f"[^{_SPACE}]", None),
    "\\d": ("[0-9]", "0-9"),
    "\\D": ("[^0-9]", None),
    "\\w": (f"[{_WORD}]", _WORD),
    "\\W": (f"[^{_WORD}]", None),
}


def _as_re2(pattern: str) -> str:
    """*pattern* for the ``regex`` module with RE2's meaning: ``\\x{...}`` written out,
    and ``\\b``, ``\\s``, ``\\S`` (and ``\\d``, ``\\w``, their negations) ASCII only, as
    RE2 has them (in Unicode mode "odlično funkcionira" held no negator "no" here and held
    one in RE2); what cannot be spelled so is refused (``\\B``, ``[\\S]``).

    >>> _as_re2(r"\\bno\\s[^\\p{L}\\s]")
    '(?<![0-9A-Za-z_])no[\\\\t\\\\n\\\\f\\\\r ][^\\\\p{L}\\\\t\\\\n\\\\f\\\\r ]'
    """
    pattern = _HEX.sub(lambda m: f"\\U{int(m[1], 16):08X}", pattern)
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            pair = pattern[i : i + 2]
            if pair in _ASCII_CLASSES:
                outside, inside = _ASCII_CLASSES[pair]
                if in_class and inside is None:
                    raise ValueError(f"{pair} inside a class of {pattern!r}: spell it out")
                out.append(inside if in_class else outside)
            elif pair == "\\b" and not in_class:
                out.append(_boundary(pattern, i))
            elif pair == "\\B":
                raise ValueError(f"\\B in {pattern!r}: RE2's is ASCII, spell it out")
            else:
                out.append(pair)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


def _boundary(pattern: str, at: int) -> str:
    """RE2's ASCII ``\\b`` at *at* in *pattern*, as one look-around: before a word (at the
    start, after ``|`` or ``(``, before a letter) nothing of ``[0-9A-Za-z_]`` may precede,
    after one (before ``|``, ``)`` or the end, after a letter) nothing may follow. Every
    ``\\b`` of these rules sits next to an ASCII letter, which is what makes one side
    enough; anything else is refused (a new rule must keep it so, or extend this)."""
    before = pattern[at - 1] if at else ""
    after = pattern[at + 2] if at + 2 < len(pattern) else ""
    if after.isascii() and after.isalpha() and before in ("", "|", "(", ")"):
        return f"(?<![{_WORD}])"
    if (before.isascii() and before.isalpha() or before in (")", "?")) and after in ("", "|", ")"):
        return f"(?![{_WORD}])"
    if after == "(" and before in ("", "|"):  # \\b(log|sign): a group of words follows
        return f"(?<![{_WORD}])"
    raise ValueError(f"\\b at {at} of {pattern!r} is not next to an ASCII letter")


def _lower(text: str) -> str:
    """Lower case as arrow's ``utf8_lower`` does it: each character's simple mapping.

    Python's ``str.lower`` applies two full mappings arrow does not: "İ" becomes "i" and a
    combining dot (which the punctuation rule then made a space: "i nternet"), and a final
    "Σ" becomes "ς".

    >>> _lower("İnternet ΟΔΟΣ"), "İnternet ΟΔΟΣ".lower()
    ('internet οδοσ', 'i̇nternet οδος')
    """
    if "İ" in text or "Σ" in text:
        text = text.replace("İ", "i").replace("Σ", "σ")
    return text.lower()


_HEX = regex.compile(r"\\x\{([0-9A-Fa-f]+)\}")


_PY_CASED = _compile(_CASED_RULES)
_PY_RULES = _compile(_RULES)


def to_arrow(texts: Sequence[str | None]) -> pa.Array | pa.ChunkedArray:
    """Turn a list, numpy array or pandas Series of posts into a pyarrow string array.

    >>> to_arrow(["a", None]).null_count
    1
    """
    if isinstance(texts, pa.Array | pa.ChunkedArray):
        return texts
    try:  # pandas Series (arrow-backed or object)
        import pandas as pd

        if isinstance(texts, pd.Series):
            try:  # arrow-backed strings convert without a copy
                return pa.array(texts, from_pandas=True).cast(pa.large_string())
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                values = texts.astype(object).where(texts.notna(), None)
                return pa.array([None if v is None else str(v) for v in values], pa.large_string())
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    try:
        return pa.array(list(texts), type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or other objects among the posts
        return pa.array([_missing_or_str(t) for t in texts], type=pa.large_string())
