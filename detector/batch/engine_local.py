"""Local engine: classify chunks in worker processes, in input order, bounded memory.

At most ``workers + 1`` chunks are in flight, so memory stays bounded whatever the
input size. With one worker (or a single chunk) everything runs in this process.

Each worker does all the per-post work of a chunk (classification, service tags,
pseudonymised authors, the chunk's per-minute counts: :class:`ChunkJob`), so the
parent only reads the input and writes ``posts.parquet``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import pandas as pd

from detector.batch.accumulate import SeriesAccumulator
from detector.batch.chunks import ChunkScorer, ScorerSpec
from detector.batch.outputs import Pseudonymiser

_WORKER_SETUP: tuple[ScorerSpec, bytes | None, str] | None = None
_WORKER_JOB: ChunkJob | None = None


class ChunkJob:
    """Score a chunk, pseudonymise its authors and count it per minute.

    Returns ``(scored, sparse counts)``; the counts add up in a
    :class:`SeriesAccumulator` (:meth:`SeriesAccumulator.merge`).
    """

    def __init__(self, scorer: ChunkScorer, pseudonym_key: bytes | None, step: str) -> None:
        self.scorer = scorer
        self.pseudonyms = Pseudonymiser(pseudonym_key) if pseudonym_key is not None else None
        self.step = step

    def __call__(self, chunk: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        scored = self.scorer(chunk)
        if self.pseudonyms is not None:
            scored["author"] = self.pseudonyms.series(scored["author"])
        counts = SeriesAccumulator(self.step)
        counts.add_scored(scored)
        return scored, counts.sparse()


def _init_worker(spec: ScorerSpec, pseudonym_key: bytes | None, step: str) -> None:
    global _WORKER_SETUP, _WORKER_JOB
    _WORKER_SETUP, _WORKER_JOB = (spec, pseudonym_key, step), None


def _score_in_worker(chunk: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score *chunk* with this worker's job, built on its first chunk: a model or catalog
    that fails to load raises its own error from the chunk's future (an initializer that
    raises would only break the pool)."""
    global _WORKER_JOB
    if _WORKER_JOB is None:
        if _WORKER_SETUP is None:  # pragma: no cover - the initializer always ran
            raise RuntimeError("worker was not initialised")
        spec, key, step = _WORKER_SETUP
        _WORKER_JOB = ChunkJob(spec.build(), key, step)
    return _WORKER_JOB(chunk)


#: Modules the workers need, imported once by the fork server rather than by each worker.
_PRELOAD = ["detector.batch.engine_local", "detector.text.classifier", "detector.text.modelstore"]


def _context() -> multiprocessing.context.BaseContext:
    """Workers fork from a fork server that has imported :data:`_PRELOAD` (never from this
    threaded process); spawned where there is no fork server (Windows, macOS spawn)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


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
    pseudonym_key: bytes | None = None,
    step: str = "1min",
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Yield ``(scored chunk, its per-*step* counts)`` in order (see :class:`ChunkJob`);
    uses a process pool when it pays off. Authors are pseudonymised with
    *pseudonym_key* (kept as they are when it is ``None``)."""
    workers = workers or default_workers()
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return
    second = next(iterator, None)
    if workers <= 1 or second is None:
        local = ChunkJob(scorer or spec.build(), pseudonym_key, step)
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

    context = _context()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(spec, pseudonym_key, step),
    ) as pool:
        pending: deque[Future[tuple[pd.DataFrame, pd.DataFrame]]] = deque()
        for chunk in all_chunks():
            pending.append(pool.submit(_score_in_worker, chunk))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
