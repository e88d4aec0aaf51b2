"""Writing run outputs safely: spreadsheet-safe CSV, pseudonymised authors, JSON.

A CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by spreadsheet programs (CSV injection); such cells get a leading
apostrophe, the OWASP-recommended neutraliser.

>>> neutralise_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> neutralise_cell("-5 posts"), neutralise_cell("plain")
("'-5 posts", 'plain')
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix a string cell that a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of *frame* whose text cells cannot run as spreadsheet formulas.

    Only object/string columns are touched; numbers stay numbers (a negative number
    is data, not a formula, and is written without a quote).

    >>> safe_csv_frame(pd.DataFrame({"t": ["@bob hi", "ok"], "n": [-1, 2]}))["t"].tolist()
    ["'@bob hi", 'ok']
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = series.astype("string")
            risky = text.str.match(r"^[=+\-@\t\r]", na=False)
            if risky.any():
                out[col] = text.mask(risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write *frame* as UTF-8 CSV with formula cells neutralised."""
    safe_csv_frame(frame).to_csv(path, index=False)
    return path


def write_json(obj: Any, path: Path) -> Path:
    """Write *obj* as indented UTF-8 JSON (numpy scalars converted)."""

    def default(value: Any) -> Any:
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=default) + "\n")
    return path


class Pseudonymiser:
    """Keyed hash of author identifiers, so outputs can be shared.

    The key comes from ``OUTAGE_PSEUDONYM_KEY`` when set (stable pseudonyms across
    runs), else a random key per run (pseudonyms cannot be linked across runs).

    >>> p = Pseudonymiser(key=b"k")
    >>> p.one("alice") == p.one("alice"), p.one("alice") != p.one("bob")
    (True, True)
    >>> p.one("alice")
    'u_ec631a55bb81f5b9'
    """

    def __init__(self, key: bytes | None = None) -> None:
        env = os.environ.get("OUTAGE_PSEUDONYM_KEY")
        self._key = key if key is not None else (env.encode() if env else secrets.token_bytes(32))

    def one(self, author: str) -> str:
        """Pseudonym of one author id."""
        digest = hmac.new(self._key, author.encode("utf-8"), hashlib.sha256).hexdigest()
        return "u_" + digest[:16]

    def series(self, authors: pd.Series) -> pd.Series:
        """Pseudonyms of a column of author ids (missing stays missing)."""
        uniques = authors.dropna().unique()
        mapping = {a: self.one(str(a)) for a in uniques}
        return authors.map(mapping).astype("string")


def ensure_out_dir(path: Path) -> Path:
    """Create the output directory (and parents); refuse a path that is a file."""
    from detector.errors import UsageError

    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path}: exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    return path
