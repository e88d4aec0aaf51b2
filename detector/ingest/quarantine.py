"""Rows that could not be used (or were dropped as duplicates): counted, kept in memory
up to a cap, optionally streamed to CSV.

Counts are always exact. In memory only the first ``limit`` rows are kept (the
frame says how many were dropped via :attr:`Quarantine.dropped`); pass ``path``
to also stream every quarantined row to a CSV file as it happens, so nothing is
lost however large the input.

>>> q = Quarantine(limit=1)
>>> q.add("a.csv", [2, 5], ["missing text", "missing time"], ["1,,x", "2,hi,"])
>>> q.count, q.dropped, q.frame().to_dict("records")
(2, 1, [{'source_file': 'a.csv', 'line': 2, 'reason': 'missing text', 'raw': '1,,x'}])
>>> q.kinds.most_common(1), q.examples["missing time"]
([('missing text', 1)], (5, 'missing time'))
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from detector.safecsv import neutralise_cell

COLUMNS = ("source_file", "line", "reason", "raw")
#: Columns of duplicates.csv: where the dropped row is, the row it repeats, the key used.
DUPLICATE_COLUMNS = (
    "source_file",
    "line",
    "duplicate_of_file",
    "duplicate_of_line",
    "key",
    "raw",
)
_KIND_END = re.compile(r" '| \"| \(|: | on line ")


def reason_kind(reason: str) -> str:
    """The kind of a quarantine reason, without the values it quotes.

    >>> reason_kind("unparseable time '03:53:50 PM'"), reason_kind("missing text")
    ('unparseable time', 'missing text')
    >>> reason_kind('unparseable time "@JetBlue\\'s CEO: fleet"')  # a value with a quote in it
    'unparseable time'
    """
    return _KIND_END.split(reason, maxsplit=1)[0]


class _CsvStream:
    """A CSV file written row batch by row batch, formula-safe (or nothing without a path)."""

    def __init__(self, path: str | Path | None, header: Sequence[str]) -> None:
        self._handle = None
        if path is not None:
            self._handle = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
            csv.writer(self._handle).writerow(header)

    def write(self, rows: Sequence[Sequence[object]]) -> None:
        """Append *rows*; streamed rows are for spreadsheets: no cell may run as a formula."""
        if self._handle is not None:
            csv.writer(self._handle).writerows(
                [tuple(neutralise_cell(cell) for cell in row) for row in rows]
            )

    def close(self) -> None:
        """Flush and close the file, if any."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class Quarantine:
    """Collector of quarantined rows (see the module docstring)."""

    def __init__(self, limit: int = 100_000, path: str | Path | None = None) -> None:
        self.limit = limit
        self.count = 0
        self.kinds: Counter[str] = Counter()  #: quarantined rows per kind of reason
        #: ``(line, reason)`` of the first row seen per kind of reason
        self.examples: dict[str, tuple[int, str]] = {}
        self._rows: list[tuple[str, int, str, str]] = []
        self._path = Path(path) if path is not None else None
        self._stream = _CsvStream(self._path, COLUMNS)

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
        for _, line, reason, _ in rows:
            kind = reason_kind(reason)
            self.kinds[kind] += 1
            self.examples.setdefault(kind, (line, reason))
        room = self.limit - len(self._rows)
        if room > 0:
            self._rows.extend(rows[:room])
        self._stream.write(rows)

    def close(self) -> None:
        """Flush and close the streamed CSV, if any."""
        self._stream.close()

    def frame(self) -> pd.DataFrame:
        """The kept rows as a DataFrame ``source_file, line, reason, raw``."""
        frame = pd.DataFrame(self._rows, columns=list(COLUMNS))
        return frame.astype({"source_file": "str", "line": "int64", "reason": "str", "raw": "str"})


class DuplicateLog:
    """Rows dropped as duplicates, streamed to a CSV (:data:`DUPLICATE_COLUMNS`) when
    a *path* is given, and counted.

    >>> log = DuplicateLog()
    >>> log.add(["a.csv"], [5], ["a.csv"], [2], ["id"], ["7,hi"])
    >>> log.count
    1
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.count = 0
        self._stream = _CsvStream(path, DUPLICATE_COLUMNS)

    def add(
        self,
        sources: Sequence[str],
        lines: Sequence[int],
        first_sources: Sequence[str],
        first_lines: Sequence[int],
        keys: Sequence[str],
        raws: Sequence[str],
    ) -> None:
        """Record dropped rows and the rows they repeat."""
        rows = list(zip(sources, lines, first_sources, first_lines, keys, raws, strict=True))
        self.count += len(rows)
        self._stream.write(rows)

    def close(self) -> None:
        """Flush and close the streamed CSV, if any."""
        self._stream.close()
