"""Dask engine: the workers read, deduplicate, score and write; the client plans and merges.

Runs on a ``LocalCluster`` by default (one single-threaded worker process per core,
since parsing and classification hold the GIL) or on a running scheduler
(``--scheduler``). The client only sniffs the head of each input and reads
Parquet footers; then, on the workers (:mod:`detector.ingest.shares`):

1. byte-range shares of JSON Lines and CSV files are cut on line boundaries (for
   CSV, outside quoted fields) and their lines counted (so line numbers stay exact
   and relative to each file);
2. every share is read once for its keys (duplicate key, repost key, author);
3. the keys are shuffled by key between the workers: each bucket finds the
   duplicates (first post of a key wins, in input order) and each text's first
   author, and sends the answers back to the share they came from;
4. every share is read again and scored: its quarantined rows, duplicates and
   scored posts go to part files in the output's staging folder, its per-minute
   counts back to the client.

A worker then concatenates the part files in input order into ``quarantine.csv``,
``duplicates.csv`` and ``posts.parquet``; the client sums the counts, the workers judge
the services and enrich their incidents (:class:`Cluster`), the client writes the
reports, so every output equals the local engine's. The output folder must be one the
workers can write (a shared filesystem when the cluster spans machines).

Dask is quiet unless asked: its logs show warnings only and no dashboard is started
(distributed always starts an HTTP server for its scheduler and workers: theirs listen
on a free port of 127.0.0.1, never on the dashboard's 8787); ``verbose`` shows info logs
and starts the dashboard, printing its address (or, without the bokeh package, how to
install it). A Ctrl-C reaches the client only: the local workers do not take SIGINT
(:func:`_local_cluster`), the client closes them.

On a ``--scheduler`` without workers, the run waits :data:`WAIT_ENV` seconds (default
30) for one to join, saying so once on stderr, then fails with
:class:`~detector.errors.UnavailableError` (exit 69), as it does when the scheduler
cannot be reached.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import os
import shutil
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from detector.batch.accumulate import SeriesAccumulator
from detector.batch.chunks import POST_COLUMNS, ChunkScorer, ScorerSpec
from detector.batch.engine_local import ChunkJob
from detector.batch.outputs import posts_writer
from detector.batch.progress import RowProgress
from detector.errors import UnavailableError, UsageError
from detector.incidents.tracker import ENGINE_STEP
from detector.ingest.shares import (
    FIRST_ROW,
    Share,
    ShareKeys,
    ShareReport,
    align_shares,
    first_authors,
    first_origins,
    for_share,
    plan_shares,
    read_share,
    record_keys,
    whole_files,
    with_date_orders,
)

_SCORERS: dict[ScorerSpec, ChunkScorer] = {}

#: Environment variable: seconds ``--scheduler`` waits for a first worker (default 30).
WAIT_ENV = "OUTAGE_DASK_WAIT"
DEFAULT_WAIT = 30.0
#: The scheduler's HTTP server without a dashboard: a free port on the loopback only.
_NO_DASHBOARD = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


def _scorer(spec: ScorerSpec) -> ChunkScorer:
    # One scorer per worker process and spec: the model loads once, not per share.
    scorer = _SCORERS.get(spec)
    if scorer is None:
        scorer = _SCORERS[spec] = spec.build()
    return scorer


@dataclass(frozen=True)
class Job:
    """What every worker task needs to know about the run (small, picklable)."""

    names: tuple[str, ...]
    dedupe: str
    chunksize: int
    tz: str | None
    spec: ScorerSpec
    staging: str
    pseudonym_key: bytes | None
    schema: pa.Schema


def _client(scheduler: str | None, workers: int | None, verbose: bool = False) -> Any:
    """A client of *scheduler*, or of a new ``LocalCluster`` of *workers* processes.

    Call it with SIGINT blocked (:func:`_sigint_blocked`): the local workers, started
    meanwhile, inherit that and never take a Ctrl-C meant for the client.
    """
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise UsageError(
            "--engine dask needs the optional Dask dependencies: "
            "pip install 'outage-detector[dask]'"
        ) from err
    level = logging.INFO if verbose else logging.WARNING
    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(level)
    if scheduler:
        try:
            return Client(scheduler, timeout="10s")
        except OSError as err:
            raise UnavailableError(f"--scheduler {scheduler}: cannot connect ({err})") from err
    dashboard = verbose and _has_bokeh()
    if verbose and not dashboard:
        print("dask dashboard needs bokeh (pip install bokeh)", file=sys.stderr)
    cluster = _local_cluster(workers, level, dashboard)
    try:
        client = Client(cluster)
        if not verbose:
            client.register_plugin(_quiet_task_failures())
    except BaseException:
        cluster.close()
        raise
    if dashboard:
        print(f"dask dashboard: {client.dashboard_link}", file=sys.stderr)
    return client


def _not_a_task_failure(record: logging.LogRecord) -> bool:
    """A worker's log filter: drop distributed's "Compute Failed" report (its task's
    error reaches the client, which says it in one line; ``--verbose`` keeps it)."""
    return not str(record.msg).startswith("Compute Failed")


def _quiet_task_failures() -> Any:
    """A worker plugin (``Client.register_plugin``) muting the "Compute Failed" reports of
    a local cluster's workers: a bad input file is one line on stderr, as with the local
    engine, not the worker's log of the task and its traceback."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class QuietTaskFailures(WorkerPlugin):
        name = "outage-detector-quiet-task-failures"

        def setup(self, worker: Any) -> None:
            logging.getLogger("distributed.worker").addFilter(_not_a_task_failure)

        def teardown(self, worker: Any) -> None:
            logging.getLogger("distributed.worker").removeFilter(_not_a_task_failure)

    return QuietTaskFailures()


def _has_bokeh() -> bool:
    """True when the dashboard can be served (distributed needs bokeh for it)."""
    return importlib.util.find_spec("bokeh") is not None


def _local_cluster(workers: int | None, level: int, dashboard: bool) -> Any:
    """A ``LocalCluster`` of single-threaded worker processes; without *dashboard*, its
    HTTP servers listen on free ports of 127.0.0.1 (never on 8787)."""
    from dask.distributed import LocalCluster

    from detector.batch.forkstart import default_workers

    return LocalCluster(
        n_workers=workers or default_workers(),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0" if dashboard else None,
        scheduler_kwargs=None if dashboard else dict(_NO_DASHBOARD),
        silence_logs=level,
    )


@contextmanager
def _sigint_blocked(block: bool) -> Iterator[None]:
    """Block SIGINT in this thread while the block runs (when *block*).

    The threads started meanwhile (the cluster's event loop, and those that start its
    worker processes) inherit the blocked signal, and so do the processes (a blocked
    signal stays blocked across fork and exec): a terminal's Ctrl-C, sent to the whole
    process group, then reaches the client only, which stops the workers, instead of
    every worker printing its own traceback. multiprocessing's resource tracker is
    started first: starting it unblocks SIGINT in the thread that does it (the event
    loop's, before the first worker).
    """
    if not block or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


@contextmanager
def _sigint_deferred(defer: bool = True) -> Iterator[None]:
    """Hold a Ctrl-C back while the block runs (when *defer*), and raise it after.

    Starting and closing a cluster must not be cut short: a cluster interrupted while
    starting or closing is left half-done and holds the exit back (or hangs it).
    Only the main thread handles signals; elsewhere the block just runs.
    """
    previous = signal.getsignal(signal.SIGINT)
    if (
        not defer
        or threading.current_thread() is not threading.main_thread()
        or previous in (signal.SIG_IGN, None)
    ):
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:  # the handler that was held back (Python's raises KeyboardInterrupt)
        if not callable(previous):  # SIG_DFL
            raise KeyboardInterrupt
        previous(signal.SIGINT, None)


def worker_wait() -> float:
    """Seconds to wait for a first worker of a ``--scheduler`` (:data:`WAIT_ENV`).

    Zero, a negative or a non-numeric value raises :class:`UsageError`.
    """
    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value <= 0:  # distributed waits forever on 0
        raise UsageError(f"{WAIT_ENV} must be a number of seconds above 0. Got {text!r}.")
    return value


def _wait_for_workers(client: Any) -> None:
    """Return once the scheduler has a worker; wait :func:`worker_wait` seconds for one
    (saying so once on stderr), then raise :class:`UnavailableError`."""
    if client.scheduler_info().get("workers"):
        return
    address = client.scheduler.address
    wait = worker_wait()
    print(
        f"waiting up to {wait:g} s for a worker to join the scheduler {address} ({WAIT_ENV})",
        file=sys.stderr,
    )
    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError as err:
        raise UnavailableError(
            f"scheduler {address} has no workers (waited {wait:g} s; "
            f"start one with: dask worker {address})"
        ) from err


def _stop_workers(client: Any) -> None:
    """After a Ctrl-C: kill the local cluster's worker processes, quietly (their
    logs and the nannies' would report each task cut short; the run is abandoned)."""
    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    cluster = getattr(client, "cluster", None)
    for worker in list(getattr(cluster, "workers", {}).values()):
        pid = getattr(worker, "pid", None)  # a Nanny's worker process
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _close(client: Any, scheduler: str | None) -> None:
    """Close the client and the local cluster it started (not a ``--scheduler``'s).

    A Ctrl-C meanwhile is raised once they are closed (:func:`_sigint_deferred`).
    """
    cluster = getattr(client, "cluster", None) if scheduler is None else None
    with _sigint_deferred():
        client.close()
        if cluster is not None:
            cluster.close()


# -- tasks run on the workers -----------------------------------------------------------
def _is_exact(keys: ShareKeys) -> bool:
    return keys.exact


def _dates_seen(keys: ShareKeys) -> tuple[Any, bool]:
    return keys.shown, keys.assumed


def _keys(share: Share, job: Job) -> ShareKeys:
    return record_keys(share, job.dedupe, chunksize=job.chunksize, tz=job.tz)


def _dedupe_bucket(keys: ShareKeys, bucket: int, buckets: int) -> np.ndarray:
    return keys.dedupe_bucket(bucket, buckets)


def _repost_bucket(
    keys: ShareKeys, bucket: int, buckets: int, duplicates: list[np.ndarray]
) -> np.ndarray:
    dropped = np.concatenate([d["origin"] for d in duplicates]) if duplicates else np.empty(0)
    return keys.repost_bucket(bucket, buckets, dropped.astype(np.uint64))


def _concat(rows: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(rows) if rows else np.empty(0, dtype=FIRST_ROW)


def _score_share(
    share: Share, job: Job, duplicates: list[np.ndarray], authors: list[np.ndarray]
) -> tuple[ShareReport, pd.DataFrame]:
    staging = Path(job.staging)
    run = read_share(
        share,
        job.names,
        job.dedupe,
        _concat(duplicates),
        _concat(authors),
        chunksize=job.chunksize,
        tz=job.tz,
        quarantine_path=str(staging / f"quarantine-{share.seq:06d}.csv"),
        duplicates_path=str(staging / f"duplicates-{share.seq:06d}.csv"),
    )
    chunk_job = ChunkJob(_scorer(job.spec), job.pseudonym_key, ENGINE_STEP)
    accumulator = SeriesAccumulator(ENGINE_STEP)
    rows = 0
    with posts_writer(staging / f"posts-{share.seq:06d}.parquet", job.schema) as writer:
        for frame in run:
            scored, counts = chunk_job(frame)
            writer.write_table(
                pa.Table.from_pandas(
                    scored[list(POST_COLUMNS)], schema=job.schema, preserve_index=False
                )
            )
            accumulator.merge(counts)
            rows += len(scored)
    report = ShareReport.of(share, run)
    report.extra["rows_scored"] = rows
    return report, accumulator.sparse()


# -- the client ------------------------------------------------------------------------
def _next_origins(shares: Sequence[Share]) -> list[int | None]:
    out: list[int | None] = []
    for i, share in enumerate(shares):
        nxt = shares[i + 1] if i + 1 < len(shares) else None
        out.append(nxt.first_origin if nxt is not None and nxt.file == share.file else None)
    return out


def _shuffle(client: Any, shares: list[Share], keys: list[Any], job: Job, buckets: int) -> Any:
    """Per share, futures of its duplicates and of its posts' first authors."""
    nexts = _next_origins(shares)
    dup_parts: list[list[Any]] = [[] for _ in shares]
    if job.dedupe != "none":
        reducers = [
            client.submit(
                first_origins,
                [client.submit(_dedupe_bucket, k, b, buckets, pure=False) for k in keys],
                pure=False,
            )
            for b in range(buckets)
        ]
        for i, share in enumerate(shares):
            dup_parts[i] = [
                client.submit(for_share, r, share, nexts[i], pure=False) for r in reducers
            ]
    reducers2 = [
        client.submit(
            first_authors,
            [
                client.submit(_repost_bucket, k, b, buckets, dup_parts[i], pure=False)
                for i, k in enumerate(keys)
            ],
            pure=False,
        )
        for b in range(buckets)
    ]
    author_parts = [
        [client.submit(for_share, r, share, nexts[i], pure=False) for r in reducers2]
        for i, share in enumerate(shares)
    ]
    return dup_parts, author_parts


def _whole_where_inexact(
    client: Any, shares: list[Share], keys: list[Any], plans: list[Any], job: Job
) -> tuple[list[Share], list[Any]]:
    """Read whole the CSV files one of whose byte ranges needed the slow path (a broken
    quote, a bare carriage return...), so that they equal the local engine's reading."""
    csv = [i for i, s in enumerate(shares) if s.nominal is not None and s.info.format == "csv"]
    exact = client.gather([client.submit(_is_exact, keys[i], pure=False) for i in csv])
    files = {shares[i].file for i, ok in zip(csv, exact, strict=True) if not ok}
    if not files:
        return shares, keys
    whole, was = whole_files(shares, files, plans)
    return whole, [
        keys[i] if i is not None else client.submit(_keys, share, job, pure=False)
        for share, i in zip(whole, was, strict=True)
    ]


def _same_date_orders(
    client: Any, shares: list[Share], keys: list[Any], job: Job
) -> tuple[list[Share], list[Any]]:
    """Give the shares after the first of a file that showed its dates' day and month
    order that order, reading again those that read numeric dates without it
    (:func:`~detector.ingest.shares.with_date_orders`): one reader of the file would."""
    several = {s.file for s in shares if s.nominal is not None or s.info.row_groups}
    todo = [i for i, s in enumerate(shares) if s.file in several]
    if not todo:
        return shares, keys
    seen = client.gather([client.submit(_dates_seen, keys[i], pure=False) for i in todo])
    ordered, again = with_date_orders([shares[i] for i in todo], seen)
    shares, keys = list(shares), list(keys)
    for i, share in zip(todo, ordered, strict=True):
        shares[i] = share
    for j in again:
        keys[todo[j]] = client.submit(_keys, shares[todo[j]], job, pure=False)
    return shares, keys


class Cluster:
    """The run's Dask client, from reading the posts to judging the services.

    The workers read, deduplicate and score the shares (:func:`score_run`), then judge
    the services and enrich their incidents (:meth:`imap`, the interface of the local
    engine's :class:`~detector.batch.engine_local.ScoringPool`): this process only plans,
    schedules and merges. The client starts on first use (a run refused while planning
    starts no cluster) and closes with the block; after a Ctrl-C a local cluster's
    workers are stopped first.
    """

    def __init__(
        self, *, workers: int | None = None, scheduler: str | None = None, verbose: bool = False
    ) -> None:
        self.workers = workers
        self.scheduler = scheduler
        self.verbose = verbose
        self._client: Any = None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt) and not self.scheduler:
            _stop_workers(client)
        _close(client, self.scheduler)

    @property
    def client(self) -> Any:
        """The ``dask.distributed`` client, started (and its workers awaited) now if needed."""
        if self._client is None:
            local = self.scheduler is None
            client = None
            try:
                # a Ctrl-C held back while the cluster starts is raised once it has: the
                # client is set by then, and closed below (it is not yet ours to close)
                with _sigint_deferred(local), _sigint_blocked(local):
                    client = _client(self.scheduler, self.workers, self.verbose)
                if self.scheduler:
                    _wait_for_workers(client)
            except BaseException as err:
                if client is not None:
                    if local and isinstance(err, KeyboardInterrupt):
                        _stop_workers(client)
                    _close(client, self.scheduler)
                raise
            self._client = client
        return self._client

    def imap(self, function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """``function(item)`` for each item, on the workers; results in order, as they come.

        The items travel in the task graph: the services' series of a long export make
        it tens of megabytes, which distributed warns of on stderr ("Sending large
        graph"); a quiet run stays quiet (``verbose`` shows the warning).
        """
        client = self.client
        with warnings.catch_warnings():
            if not self.verbose:
                warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
            futures = client.map(function, list(items), pure=False)
        return (future.result() for future in futures)

    def parallel(self) -> int:
        """How many tasks run at once: the workers the scheduler knows (at least 1)."""
        return max(1, len(self.client.scheduler_info().get("workers", {})))


def score_run(
    cluster: Cluster,
    plans: list[Any],
    job: Job,
    out: Path,
    *,
    split_bytes: int | None = None,
    split_rows: int | None = None,
    progress: bool = False,
) -> tuple[list[ShareReport], SeriesAccumulator, int]:
    """Read, deduplicate and score *plans* on *cluster* (see the module docstring).

    Writes ``posts.parquet``, ``quarantine.csv`` and ``duplicates.csv`` into *out*
    (on a worker, :func:`merge_parts`); returns the shares' reports (in input order),
    the summed volume counts and the number of shares. *progress* draws a bar of the
    shares scored (rows and rows/s) on stderr.
    """
    sizes = {}
    if split_bytes is not None:
        sizes["split_bytes"] = split_bytes
    if split_rows is not None:
        sizes["split_rows"] = split_rows
    shares = plan_shares(plans, **sizes)
    client = cluster.client
    shares = align_shares(
        shares, plans, lambda f, *args: client.gather(client.map(f, *args, pure=False))
    )
    keys = [client.submit(_keys, s, job, pure=False) for s in shares]
    shares, keys = _whole_where_inexact(client, shares, keys, plans, job)
    shares, keys = _same_date_orders(client, shares, keys, job)
    buckets = max(1, len(client.scheduler_info().get("workers", {})))
    dup_parts, author_parts = _shuffle(client, shares, keys, job, buckets)
    scored = [
        client.submit(_score_share, s, job, dup_parts[i], author_parts[i], pure=False)
        for i, s in enumerate(shares)
    ]
    # A worker concatenates the part files once every share is written.
    merged = client.submit(
        merge_parts, Path(job.staging), out, len(shares), job.schema, scored, pure=False
    )
    accumulator = SeriesAccumulator(ENGINE_STEP)
    reports = []
    from dask.distributed import as_completed

    with RowProgress("scoring on the cluster", total=len(shares), enabled=progress) as bar:
        for done, future in enumerate(as_completed(scored), 1):  # each result is small
            report, sparse = future.result()
            reports.append(report)
            accumulator.merge(sparse)
            bar.advance(int(report.extra["rows_scored"]), completed=done)  # type: ignore[call-overload]
    reports.sort(key=lambda r: r.seq)
    merged.result()
    return reports, accumulator, len(shares)


def merge_parts(
    staging: Path, out: Path, count: int, schema: pa.Schema, after: object = None
) -> None:
    """Concatenate the workers' part files, in input order, into the run's outputs
    (*after*: the tasks that must finish first)."""
    for name in ("quarantine", "duplicates"):
        with open(out / f"{name}.csv", "wb") as target:
            for seq in range(count):
                part = staging / f"{name}-{seq:06d}.csv"
                with open(part, "rb") as source:
                    header = source.readline()
                    if seq == 0:
                        target.write(header)
                    shutil.copyfileobj(source, target, 1 << 20)
    with posts_writer(out / "posts.parquet", schema) as writer:
        for seq in range(count):
            part = pq.ParquetFile(staging / f"posts-{seq:06d}.parquet")
            for group in range(part.num_row_groups):
                writer.write_table(part.read_row_group(group))
            part.close()
