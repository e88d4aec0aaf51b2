"""Rows that could not be used: kept in memory up to a cap, optionally streamed to CSV.

Counts are always exact. In memory only the first ``limit`` rows are kept (the
frame says how many were dropped via :attr:`Quarantine.dropped`); pass ``path``
to also stream every quarantined row to a CSV file as it happens, so nothing is
lost however large the input.

>>> q = Quarantine(limit=1)
>>> q.add("a.csv", [2, 5], ["missing text", "missing time"], ["1,,x", "2,hi,"])
>>> q.count, q.dropped, q.frame().to_dict("records")
(2, 1, [{'source_file': 'a.csv', 'line': 2, 'reason': 'missing text', 'raw': '1,,x'}])
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from detector.safecsv import neutralise_cell

COLUMNS = ("source_file", "line", "reason", "raw")


class Quarantine:
    """Collector of quarantined rows (see the module docstring)."""

    def __init__(self, limit: int = 100_000, path: str | Path | None = None) -> None:
        self.limit = limit
        self.count = 0
        self._rows: list[tuple[str, int, str, str]] = []
        self._path = Path(path) if path is not None else None
        self._handle = None
        if self._path is not None:
            self._handle = open(self._path, "w", newline="", encoding="utf-8")  # noqa: SIM115
            csv.writer(self._handle).writerow(COLUMNS)

    @property
    def dropped(self) -> int:
        """Quarantined rows not kept in memory (still counted, and streamed if ``path``)."""
        return self.count - len(self._rows)

    def add(
        self, source: str, lines: Sequence[int], reasons: Sequence[str], raws: Sequence[str]
    ) -> None:
        """Record rows of *source* at *lines* with their reason and raw text."""
        rows = [(source, int(n), r, w) for n, r, w in zip(lines, reasons, raws, strict=True)]
        self.count += len(rows)
        room = self.limit - len(self._rows)
        if room > 0:
            self._rows.extend(rows[:room])
        if self._handle is not None:
            # Streamed rows are for people with spreadsheets: no cell may run as a formula.
            csv.writer(self._handle).writerows(
                [tuple(neutralise_cell(cell) for cell in row) for row in rows]
            )

    def close(self) -> None:
        """Flush and close the streamed CSV, if any."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def frame(self) -> pd.DataFrame:
        """The kept rows as a DataFrame ``source_file, line, reason, raw``."""
        frame = pd.DataFrame(self._rows, columns=list(COLUMNS))
        return frame.astype({"source_file": "str", "line": "int64", "reason": "str", "raw": "str"})
