"""Writing run outputs: JSON, pseudonymised authors, the output folder.

CSV goes through :mod:`detector.safecsv` so no cell can run as a spreadsheet formula.
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
