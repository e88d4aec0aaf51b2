"""Dask engine: chunks classified on a Dask cluster, aggregated centrally.

Runs on a ``LocalCluster`` by default (one single-threaded worker process per core,
since classification holds the GIL) and on an existing distributed scheduler when
given its address. Each chunk is classified by :class:`ChunkScorer` on a worker, so
results equal the local engine's; series, detection and outputs stay central.
Ingest (parsing, quarantine, duplicates) runs on the client so that line numbers and
duplicate accounting are exact across files.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from detector.batch.chunks import ChunkScorer, ScorerSpec
from detector.errors import UsageError

_SCORERS: dict[ScorerSpec, ChunkScorer] = {}


def _score_on_worker(chunk: pd.DataFrame, spec: ScorerSpec) -> pd.DataFrame:
    # One scorer per worker process and spec: the model loads once, not per chunk.
    scorer = _SCORERS.get(spec)
    if scorer is None:
        scorer = _SCORERS[spec] = spec.build()
    return scorer(chunk)


def _client(scheduler: str | None, workers: int | None) -> Any:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise UsageError(
            "--engine dask needs the optional Dask dependencies: "
            "pip install 'outage-detector[dask]'"
        ) from err
    if scheduler:
        try:
            return Client(scheduler, timeout="10s")
        except OSError as err:
            raise UsageError(f"--scheduler {scheduler}: cannot connect ({err})") from err
    cluster = LocalCluster(
        n_workers=workers or 2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    )
    return Client(cluster)


def score_chunks(
    chunks: Iterable[pd.DataFrame],
    spec: ScorerSpec,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield each chunk scored on the cluster, in input order, a few chunks in flight."""
    client = _client(scheduler, workers)
    try:
        in_flight = 2 * max(1, len(client.scheduler_info().get("workers", {})) or 1)
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(client.submit(_score_on_worker, chunk, spec, pure=False))
            if len(pending) >= in_flight:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None and scheduler is None:
            cluster.close()
