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
``duplicates.csv`` and ``posts.parquet``; the client sums the counts, detects and
reports, so every output equals the local engine's. The output folder must be one the
workers can write (a shared filesystem when the cluster spans machines).

Dask is quiet unless asked: its logs show warnings only and no dashboard is
started; ``verbose`` shows info logs and starts the dashboard, printing its address.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Sequence
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
from detector.errors import UsageError
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
)

_SCORERS: dict[ScorerSpec, ChunkScorer] = {}


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
    try:
        from dask.distributed import Client, LocalCluster
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
            raise UsageError(f"--scheduler {scheduler}: cannot connect ({err})") from err
    from detector.batch.engine_local import default_workers

    cluster = LocalCluster(
        n_workers=workers or default_workers(),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0" if verbose else None,
        silence_logs=level,
    )
    client = Client(cluster)
    if verbose:
        print(f"dask dashboard: {client.dashboard_link}", file=sys.stderr)
    return client


def _close(client: Any, scheduler: str | None) -> None:
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None and scheduler is None:
        cluster.close()


# -- tasks run on the workers -----------------------------------------------------------
def _is_exact(keys: ShareKeys) -> bool:
    return keys.exact


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


def score_run(
    plans: list[Any],
    job: Job,
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    verbose: bool = False,
    split_bytes: int | None = None,
    split_rows: int | None = None,
    progress: bool = False,
) -> tuple[list[ShareReport], SeriesAccumulator, int]:
    """Read, deduplicate and score *plans* on the cluster (see the module docstring).

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
    client = _client(scheduler, workers, verbose)
    try:
        shares = align_shares(
            shares, plans, lambda f, *args: client.gather(client.map(f, *args, pure=False))
        )
        keys = [client.submit(_keys, s, job, pure=False) for s in shares]
        shares, keys = _whole_where_inexact(client, shares, keys, plans, job)
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
    finally:
        _close(client, scheduler)
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
