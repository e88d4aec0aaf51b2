"""Local engine: classify chunks in worker processes, in input order, bounded memory.

At most ``workers + 1`` chunks are in flight, so memory stays bounded whatever the
input size. With one worker (or a single chunk) everything runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import pandas as pd

from detector.batch.chunks import ChunkScorer, ScorerSpec

_WORKER_SCORER: ChunkScorer | None = None


def _init_worker(spec: ScorerSpec) -> None:
    global _WORKER_SCORER
    _WORKER_SCORER = spec.build()


def _score_in_worker(chunk: pd.DataFrame) -> pd.DataFrame:
    if _WORKER_SCORER is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("worker was not initialised")
    return _WORKER_SCORER(chunk)


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def score_chunks(
    chunks: Iterable[pd.DataFrame],
    spec: ScorerSpec,
    *,
    workers: int | None = None,
    scorer: ChunkScorer | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield each chunk scored, in order; uses a process pool when it pays off."""
    workers = workers or default_workers()
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return
    second = next(iterator, None)
    if workers <= 1 or second is None:
        local = scorer or spec.build()
        yield local(first)
        if second is not None:
            yield local(second)
            for chunk in iterator:
                yield local(chunk)
        return

    def all_chunks() -> Iterator[pd.DataFrame]:
        yield first
        yield second
        yield from iterator

    context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(spec,)
    ) as pool:
        pending: deque[Future[pd.DataFrame]] = deque()
        for chunk in all_chunks():
            pending.append(pool.submit(_score_in_worker, chunk))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
