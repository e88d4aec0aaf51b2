"""Score posts with the loaded model and catalog, and batch concurrent classify requests.

:class:`Scorer` wraps one ``OutageModel`` and one ``Catalog``. :class:`MicroBatcher`
joins the single-post requests that arrive while the model is busy into one model call:
the model's fixed cost per call is paid once per batch, not once per request.

>>> import asyncio
>>> async def main():
...     batcher = MicroBatcher(lambda xs: [2 * x for x in xs])
...     return await asyncio.gather(batcher.submit([1]), batcher.submit([2, 3]))
>>> asyncio.run(main())
[[2], [4, 6]]
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pandas as pd

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Verdicts:
    """The model's and the catalog's verdicts on posts, one list per field, in post order.

    Slicing gives the verdicts of a range of posts.
    """

    label: list[str]
    is_outage: list[bool]
    outage_prob: list[float]
    symptom: list[str | None]
    services: list[list[str]]

    def __len__(self) -> int:
        return len(self.label)

    def __getitem__(self, part: slice) -> Verdicts:
        return Verdicts(
            self.label[part],
            self.is_outage[part],
            self.outage_prob[part],
            self.symptom[part],
            self.services[part],
        )


_NO_VERDICTS = Verdicts([], [], [], [], [])


class Scorer:
    """Classify texts and name the services they mention (one model, one catalog)."""

    def __init__(self, model: Any, catalog: Any) -> None:
        self.model = model
        self.catalog = catalog

    def score(self, texts: Sequence[str], *, match: Sequence[bool] | None = None) -> Verdicts:
        """Verdicts for *texts*, in order; services only where *match* is true (default all)."""
        if not texts:
            return _NO_VERDICTS
        frame = self.model.predict_posts(list(texts))
        outage = frame["is_outage"].astype(bool).tolist()
        symptoms = [
            None if not out or _missing(s) else str(s)
            for out, s in zip(outage, frame["symptom"].tolist(), strict=True)
        ]
        if match is None:
            services = self.catalog.match_many(texts)
        else:
            wanted = [t for t, m in zip(texts, match, strict=True) if m]
            found = iter(self.catalog.match_many(wanted))
            services = [next(found) if m else [] for m in match]
        return Verdicts(
            frame["label"].astype(str).tolist(),
            outage,
            frame["outage_prob"].astype(float).round(6).tolist(),
            symptoms,
            services,
        )


def text_weight(texts: list[str]) -> int:
    """Characters in a batch of texts (what the model's cost grows with).

    >>> text_weight(["ab", "cde"])
    5
    """
    return sum(len(t) for t in texts)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


class MicroBatcher(Generic[T, R]):
    """Run *fn* over the items of every request queued while the previous call ran.

    *fn* maps a list of items to results of the same length that can be sliced (a
    list, or :class:`Verdicts`). It runs in one background thread (calls never overlap,
    the event loop keeps reading requests meanwhile), or with ``inline=True`` in the
    event loop itself, after the requests already read have queued: for a small call
    that holds the GIL anyway, this saves the thread hand-offs. A batch whose
    ``weight`` is over ``inline_max`` (when set) goes to the thread even then, so a
    large request never stalls the event loop (``/healthz`` stays fast).
    """

    def __init__(
        self,
        fn: Callable[[list[T]], R],
        *,
        max_items: int = 512,
        inline: bool = False,
        weight: Callable[[list[T]], int] = len,
        inline_max: int = 0,
    ) -> None:
        self._fn = fn
        self._max_items = max_items
        self._inline = inline
        self._weight = weight
        self._inline_max = inline_max
        self._queue: list[tuple[list[T], asyncio.Future[R]]] = []
        self._running = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classify")

    async def submit(self, items: list[T]) -> R:
        """Results for *items*, computed in a shared call with other waiting requests."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.append((items, future))
        if not self._running:
            self._running = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                if self._inline:  # let requests already read reach the queue first
                    await asyncio.sleep(0)
                batch: list[tuple[list[T], asyncio.Future[R]]] = []
                size = 0
                while self._queue and (
                    not batch or size + len(self._queue[0][0]) <= self._max_items
                ):
                    entry = self._queue.pop(0)
                    batch.append(entry)
                    size += len(entry[0])
                flat = [item for items, _ in batch for item in items]
                try:
                    if self._inline and (
                        not self._inline_max or self._weight(flat) <= self._inline_max
                    ):
                        results = self._fn(flat)
                    else:
                        results = await loop.run_in_executor(self._executor, self._fn, flat)
                except Exception as err:  # every waiter gets the error, the loop goes on
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(err)
                    continue
                start = 0
                for items, future in batch:
                    if not future.done():
                        future.set_result(results[start : start + len(items)])  # type: ignore[index]
                    start += len(items)
        finally:
            self._running = False

    def close(self) -> None:
        """Stop the background thread (pending calls finish first)."""
        self._executor.shutdown(wait=True)
