"""Progress reporting for long batch work: a live bar on a terminal, silence in pipes.

>>> with RowProgress("scoring", enabled=False) as bar:
...     bar.advance(10)
>>> bar.rows
10
"""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def interactive(quiet: bool = False) -> bool:
    """True when progress should be drawn: not quiet and stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


class RowProgress:
    """Rows done, rows/s and (when the total work is known) a bar with an ETA.

    *unit* names what is counted (``rows``, or ``services`` while judging them).
    """

    def __init__(
        self, label: str, *, total: float | None = None, enabled: bool = True, unit: str = "rows"
    ) -> None:
        self.label = label
        self.unit = unit
        self.rows = 0
        self._total = total
        self._enabled = enabled
        self._progress: Progress | None = None
        self._task: int | None = None
        self._start = time.perf_counter()

    def __enter__(self) -> RowProgress:
        if self._enabled:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn(f"{{task.fields[rows]:,}} {self.unit}"),
                TextColumn(f"{{task.fields[rate]:,.0f}} {self.unit}/s"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=self._total, rows=0, rate=0.0)
        return self

    def advance(self, rows: int, *, completed: float | None = None) -> None:
        """Record *rows* more rows; *completed* is the work done so far in units of total."""
        self.rows += rows
        if self._progress is not None and self._task is not None:
            elapsed = max(time.perf_counter() - self._start, 1e-9)
            self._progress.update(
                self._task, rows=self.rows, rate=self.rows / elapsed, completed=completed
            )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
