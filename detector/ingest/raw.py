"""The unit every format reader yields: parsed rows plus the rows it could not parse.

>>> chunk = RawChunk.empty()
>>> len(chunk.frame), chunk.lines.dtype.name, chunk.bad
(0, 'int64', [])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Longest ``raw`` text kept for a quarantined row.
RAW_LIMIT = 500


@dataclass
class RawChunk:
    """Rows as found in the file (flattened, dotted column names) before mapping.

    ``lines[i]`` is the 1-based line (or record) number where ``frame`` row *i*
    starts; ``spans[i]`` how many physical lines it covers (``None``: one each);
    ``bad`` holds ``(line, reason, raw)`` or ``(line, reason, raw, span)`` for
    records that did not parse (span 1 when not given); ``blank`` counts the
    empty lines skipped in this chunk; ``raw_text(positions)`` renders frame rows
    as their original text, for the quarantine.
    """

    frame: pd.DataFrame
    lines: np.ndarray
    bad: list[tuple] = field(default_factory=list)
    raw_text: Callable[[np.ndarray], list[str]] | None = None
    spans: np.ndarray | None = None
    blank: int = 0

    def span_of(self, positions: np.ndarray | None = None) -> np.ndarray:
        """Physical lines covered by the frame rows at *positions* (all rows if ``None``)."""
        if self.spans is None:
            n = len(self.lines) if positions is None else len(positions)
            return np.ones(n, dtype=np.int64)
        return self.spans if positions is None else self.spans[positions]

    def bad_records(self) -> list[tuple[int, str, str, int]]:
        """``bad`` with every entry as ``(line, reason, raw, span)``."""
        return [(*entry, 1) if len(entry) == 3 else tuple(entry) for entry in self.bad]

    @classmethod
    def empty(cls, bad: list[tuple] | None = None) -> RawChunk:
        """A chunk without parsed rows (possibly with unparsed ones)."""
        return cls(pd.DataFrame(), np.empty(0, dtype=np.int64), bad or [])

    def raws(self, positions: np.ndarray) -> list[str]:
        """Original text of the frame rows at *positions*, truncated to :data:`RAW_LIMIT`."""
        if self.raw_text is not None:
            texts = self.raw_text(positions)
        else:
            sub = self.frame.iloc[positions]
            texts = [
                ",".join("" if pd.isna(v) else str(v) for v in row)
                for row in sub.itertuples(index=False)
            ]
        return [clip(t) for t in texts]


def clip(text: str) -> str:
    """Truncate *text* to :data:`RAW_LIMIT` characters, marking the cut.

    >>> clip("x" * 600)[-5:], len(clip("x" * 600))
    ('x ...', 504)
    """
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + " ..."


def physical_lines(piece: bytes, first_line: int, lines: np.ndarray) -> list[str]:
    """Text of the physical lines numbered *lines* in *piece* (which starts at *first_line*)."""
    ends = np.flatnonzero(np.frombuffer(piece, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(piece)]))
    out = []
    for line in lines:
        k = int(line) - first_line
        if 0 <= k < len(starts):
            out.append(piece[starts[k] : ends[k]].decode("utf-8", "replace").rstrip("\r"))
        else:
            out.append("")
    return out
