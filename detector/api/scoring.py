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
class Scored:
    """The model's and the catalog's verdict on one post."""

    label: str
    is_outage: bool
    outage_prob: float
    symptom: str | None
    services: list[str]


class Scorer:
    """Classify texts and name the services they mention (one model, one catalog)."""

    def __init__(self, model: Any, catalog: Any) -> None:
        self.model = model
        self.catalog = catalog

    def score(self, texts: Sequence[str], *, match: Sequence[bool] | None = None) -> list[Scored]:
        """Verdicts for *texts*, in order; services only where *match* is true (default all)."""
        if not texts:
            return []
        frame = self.model.predict_posts(list(texts))
        labels = frame["label"].astype(str).tolist()
        outage = frame["is_outage"].astype(bool).tolist()
        probs = frame["outage_prob"].astype(float).tolist()
        symptoms = [None if _missing(s) else str(s) for s in frame["symptom"].tolist()]
        if match is None:
            services = self.catalog.match_many(texts)
        else:
            wanted = [t for t, m in zip(texts, match, strict=True) if m]
            found = iter(self.catalog.match_many(wanted))
            services = [next(found) if m else [] for m in match]
        return [
            Scored(lab, out, round(p, 6), sym if out else None, list(svc))
            for lab, out, p, sym, svc in zip(labels, outage, probs, symptoms, services, strict=True)
        ]


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


class MicroBatcher(Generic[T, R]):
    """Run *fn* over the items of every request queued while the previous call ran.

    *fn* maps a list of items to a list of results of the same length; it runs in one
    background thread, so calls never overlap and the event loop keeps serving requests.
    """

    def __init__(self, fn: Callable[[list[T]], list[R]], *, max_items: int = 512) -> None:
        self._fn = fn
        self._max_items = max_items
        self._queue: list[tuple[list[T], asyncio.Future[list[R]]]] = []
        self._running = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classify")

    async def submit(self, items: list[T]) -> list[R]:
        """Results for *items*, computed in a shared call with other waiting requests."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[R]] = loop.create_future()
        self._queue.append((items, future))
        if not self._running:
            self._running = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch: list[tuple[list[T], asyncio.Future[list[R]]]] = []
                size = 0
                while self._queue and (
                    not batch or size + len(self._queue[0][0]) <= self._max_items
                ):
                    entry = self._queue.pop(0)
                    batch.append(entry)
                    size += len(entry[0])
                flat = [item for items, _ in batch for item in items]
                try:
                    results = await loop.run_in_executor(self._executor, self._fn, flat)
                except Exception as err:  # every waiter gets the error, the loop goes on
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(err)
                    continue
                start = 0
                for items, future in batch:
                    if not future.done():
                        future.set_result(results[start : start + len(items)])
                    start += len(items)
        finally:
            self._running = False

    def close(self) -> None:
        """Stop the background thread (pending calls finish first)."""
        self._executor.shutdown(wait=True)
