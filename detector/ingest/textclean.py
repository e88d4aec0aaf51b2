"""Text clean-up at ingest: HTML to plain text (Mastodon) and the repost comparison key.

>>> html_to_text(pd.Series(["<p>Mail is down &amp; slow<br>again</p><p>:(</p>"])).tolist()
['Mail is down & slow\\nagain\\n:(']
>>> repost_key(pd.Series(["RT @bob: Outlook  is DOWN", "outlook is down"])).nunique()
1
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_BREAKS = r"(?i)<br\s*/?>|</p>\s*<p[^>]*>"
_TAGS = r"<[^>]+>"
_RT_PREFIX = r"^\s*rt\s+@\w+:?\s*"
_RT_MATCH = r"^\s*rt\s+@\w+"


def html_to_text(text: pd.Series) -> pd.Series:
    """Strip tags (line breaks and paragraphs become newlines) and unescape entities."""
    has_markup = text.str.contains("<|&", regex=True, na=False).to_numpy()
    if not has_markup.any():
        return text
    out = text.copy()
    sub = text[has_markup]
    sub = sub.str.replace(_BREAKS, "\n", regex=True).str.replace(_TAGS, "", regex=True)
    out[has_markup] = [html.unescape(t).strip() for t in sub]
    return out


def is_rt(text: pd.Series) -> np.ndarray:
    """Whether each text starts like a retweet (``RT @user: ...``, any case).

    >>> is_rt(pd.Series(["RT @a: hi", "art @b", None])).tolist()
    [True, False, False]
    """
    arr = pa.array(text.astype("str"))
    hit = pc.match_substring_regex(arr, _RT_MATCH, ignore_case=True)
    return hit.to_numpy(zero_copy_only=False).astype(bool, copy=False) & text.notna().to_numpy()


def repost_key(text: pd.Series, rt: np.ndarray | None = None) -> pd.Series:
    """Normalised text two reposts of the same post share: case, RT prefix and spaces removed.

    Vectorised with pyarrow; the regex replacements only run on the few rows that
    need them. *rt* is :func:`is_rt` of *text* when the caller has it already.
    """
    key = pd.Series(pc.utf8_lower(pa.array(text.astype("str"))), dtype="str", index=text.index)
    rt = is_rt(text) if rt is None else rt
    if rt.any():
        key[rt] = _arrow_replace(key[rt], _RT_PREFIX, "")
    spaced = pc.match_substring_regex(pa.array(key), r"[\t\n\r\f\v]|  ")
    spaced = spaced.to_numpy(zero_copy_only=False).astype(bool, copy=False) & key.notna().to_numpy()
    if spaced.any():
        key[spaced] = _arrow_replace(key[spaced], r"\s+", " ")
    return pd.Series(pc.utf8_trim_whitespace(pa.array(key)), dtype="str", index=text.index)


def _arrow_replace(values: pd.Series, pattern: str, replacement: str) -> pd.Series:
    """Regex replace with pyarrow (RE2), keeping the index."""
    replaced = pc.replace_substring_regex(pa.array(values), pattern, replacement)
    return pd.Series(replaced, dtype="str", index=values.index)
