"""Local engine: classify chunks in worker processes, in input order, bounded memory.

At most ``workers + 1`` chunks are in flight, so memory stays bounded whatever the
input size. With one worker (or a single chunk) everything runs in this process.

Each worker does all the per-post work of a chunk (classification, service tags,
pseudonymised authors, the chunk's per-minute counts: :class:`ChunkJob`), so the
parent only reads the input and writes ``posts.parquet``.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

import pandas as pd

from detector.batch import forkstart
from detector.batch.accumulate import SeriesAccumulator
from detector.batch.chunks import COMPUTED_COLUMNS, ChunkScorer, ScorerSpec, assemble
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


def _worker_job() -> ChunkJob:
    """This worker's job, built the first time it is needed: a model or catalog that fails
    to load raises its own error from the chunk's future (an initializer that raises
    would only break the pool)."""
    global _WORKER_JOB
    if _WORKER_JOB is None:
        if _WORKER_SETUP is None:  # pragma: no cover - the initializer always ran
            raise RuntimeError("worker was not initialised")
        spec, key, step = _WORKER_SETUP
        _WORKER_JOB = ChunkJob(spec.build(), key, step)
        # the model and catalog live as long as the worker: keep the collector off them
        # (a tenth of a worker's time on 1M posts went to full collections walking them)
        gc.freeze()
    return _WORKER_JOB


def _score_in_worker(chunk: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score *chunk* with this worker's job; only the columns it computed go back
    (:data:`~detector.batch.chunks.COMPUTED_COLUMNS`: the parent holds the chunk, and
    pickling the rest back, texts above all, cost more than the parent's
    :func:`~detector.batch.chunks.assemble`)."""
    scored, counts = _worker_job()(chunk)
    return scored[list(COMPUTED_COLUMNS)], counts


def _warm_worker() -> None:
    """Build this worker's job and load the compiled normaliser now (while the main
    process reads the first chunks); a model it refuses fails again on the first chunk."""
    with contextlib.suppress(Exception):  # reported by the chunk that needs the job
        _worker_job()
        from detector.text.normalize import warm_compiled

        warm_compiled()


#: Posts read ahead while the workers still start (imports, model): this process keeps
#: reading instead of waiting for them, and has that much less to read afterwards. At
#: least workers + 1 chunks, whatever their size.
READ_AHEAD_POSTS = 400_000


def _context(spec: ScorerSpec) -> multiprocessing.context.BaseContext:
    """Workers fork from a fork server that has imported what *spec*'s workers need
    (:func:`detector.batch.forkstart.modules`; never from this threaded process); spawned
    where there is no fork server. What it imports counts only when the server starts:
    ``score`` may have started it already (:func:`detector.batch.forkstart.start`)."""
    return forkstart.context(model=spec.model, shipped_catalog=spec.catalog is None)


class ScoringPool:
    """The local engine's worker processes, for scoring chunks and then judging series.

    With ``eager=True`` the workers start (fork, import, load the model) as soon as the
    pool is entered, while this process plans and reads the first chunks; otherwise
    only when a second chunk shows there is work to share. One worker (or one chunk)
    means no processes at all: everything runs here.
    """

    def __init__(
        self,
        spec: ScorerSpec,
        *,
        pseudonym_key: bytes | None = None,
        step: str = "1min",
        workers: int | None = None,
        eager: bool = False,
    ) -> None:
        self.spec = spec
        self.pseudonym_key = pseudonym_key
        self.step = step
        self.workers = workers or forkstart.default_workers()
        self.eager = eager
        self._executor: ProcessPoolExecutor | None = None
        self._ready: threading.Event | None = None  # set once a background start ended
        self._start_error: BaseException | None = None
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> ScoringPool:
        if self.eager and self.workers > 1:
            # in the background: the fork server's imports take a second or two, which
            # this process spends reading the first chunks instead of waiting
            self._ready = threading.Event()
            threading.Thread(target=self._start_in_background, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:  # a start still running shuts its executor down itself
            self._closed = True
        self._join_starter(raise_error=False)  # a start that failed unneeded changes nothing
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _start_in_background(self) -> None:
        try:
            executor = self._new_executor()
            with self._lock:
                if not self._closed:
                    self._executor, executor = executor, None
            if executor is not None:  # the pool was left (Ctrl+C) while it started
                executor.shutdown(wait=False, cancel_futures=True)
        except BaseException as error:  # re-raised where the pool is first needed
            self._start_error = error
        finally:
            self._ready.set()  # type: ignore[union-attr]

    def _join_starter(self, *, raise_error: bool = True) -> None:
        # an Event, not Thread.join: an interrupted join may leave the thread marked done
        if self._ready is not None:
            self._ready.wait()
            self._ready = None
        error, self._start_error = self._start_error, None
        if error is not None and raise_error:
            raise error

    def _starting(self) -> bool:
        """Is the pool still starting in the background?"""
        return self._ready is not None and not self._ready.is_set()

    def _new_executor(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_context(self.spec),
            initializer=_init_worker,
            initargs=(self.spec, self.pseudonym_key, self.step),
        )
        if self.eager:  # each worker loads its model now, not on its first chunk
            for _ in range(self.workers):
                executor.submit(_warm_worker)
        return executor

    def _pool(self) -> ProcessPoolExecutor:
        """The running executor, started now if it is not (or once its start finished)."""
        self._join_starter()
        if self._executor is None:
            self._executor = self._new_executor()
        return self._executor

    def score(self, chunks: Iterable[pd.DataFrame]) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        """Yield ``(scored chunk, its per-step counts)`` for each chunk, in order."""
        iterator = iter(chunks)
        first = next(iterator, None)
        if first is None:
            return
        second = next(iterator, None)
        started = self._executor is not None or self._ready is not None
        if self.workers <= 1 or (second is None and not started):
            local = ChunkJob(self.spec.build(), self.pseudonym_key, self.step)
            for chunk in _chain(first, second, iterator):
                yield local(chunk)
            return
        # each chunk beside its future: the worker hands back the computed columns only
        pending: deque[tuple[pd.DataFrame, Future[tuple[pd.DataFrame, pd.DataFrame]]]] = deque()
        waiting: deque[pd.DataFrame] = deque()  # read while the pool is still starting
        read_ahead = 0  # posts in *waiting*

        def submit_waiting() -> None:
            pool = self._pool()
            while waiting:
                chunk = waiting.popleft()
                pending.append((chunk, pool.submit(_score_in_worker, chunk)))

        def done() -> tuple[pd.DataFrame, pd.DataFrame]:
            chunk, future = pending.popleft()
            computed, counts = future.result()
            return assemble(chunk, computed), counts

        for chunk in _chain(first, second, iterator):
            waiting.append(chunk)
            read_ahead += len(chunk)
            if self._starting() and (len(waiting) <= self.workers or read_ahead < READ_AHEAD_POSTS):
                continue
            submit_waiting()
            read_ahead = 0
            while len(pending) > self.workers:
                yield done()
        if waiting:
            submit_waiting()
        while pending:
            yield done()

    def parallel(self) -> int:
        """How many tasks :meth:`map` runs at once: the workers when the pool runs, else 1."""
        self._join_starter()
        return self.workers if self._executor is not None else 1

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[function(item) for item in items]``, on the workers when the pool is running."""
        return list(self.imap(function, items))

    def imap(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """:meth:`map`'s results one by one, in order, as they are done (for a progress
        bar); every item is handed out at once."""
        self._join_starter()
        if self._executor is None:
            return (function(item) for item in items)
        return self._executor.map(function, items)


T = TypeVar("T")
R = TypeVar("R")


def _chain(
    first: pd.DataFrame, second: pd.DataFrame | None, rest: Iterator[pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    yield first
    if second is not None:
        yield second
        yield from rest
