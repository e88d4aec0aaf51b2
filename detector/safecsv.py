"""Spreadsheet-safe CSV: cells that a spreadsheet would run as formulas are neutralised.

A CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by spreadsheet programs (CSV injection); such cells get a leading
apostrophe, the OWASP-recommended neutraliser. Every CSV the project writes goes
through here.

>>> neutralise_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> neutralise_cell("-5 posts"), neutralise_cell("plain")
("'-5 posts", 'plain')
"""

from __future__ import annotations

from pathlib import Path

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
