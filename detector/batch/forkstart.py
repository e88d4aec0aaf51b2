"""The local engine's fork server, started as early as a run knows it will need it.

``score`` on an export of some size scores it in worker processes forked from a fork
server that has imported and loaded what they need (:func:`modules`: the compiled
normaliser, tokeniser and service scan, the shipped catalog, and for a model that is
not compact scikit-learn and skops). That takes the server a second or so. This module
imports only the standard library, so the command line can start the server before it
imports pandas and the pipeline (most of its own start-up): the two start-ups then run
side by side on two cores instead of one after the other.

>>> modules(shipped_catalog=True)[-2:]
['detector.batch.preload_catalog', 'detector.batch.preload_model']
>>> modules(shipped_catalog=False)[-1]
'detector.batch.preload_model'
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "EAGER_POOL_BYTES",
    "MODEL_ENV",
    "context",
    "default_workers",
    "input_bytes",
    "modules",
    "start",
    "worth_it",
]

#: Inputs of at least this many bytes start the workers before reading (smaller ones
#: start them when a second chunk shows there is work to share).
EAGER_POOL_BYTES = 8 << 20

#: Environment variable through which the fork server learns which model the run uses
#: (``--model``, empty for the default): :mod:`detector.batch.preload_model` reads it.
MODEL_ENV = "OUTAGE_PRELOAD_MODEL"

#: Modules every fork server imports for its workers.
_ALWAYS = (
    "detector.batch.preload_heap",
    "detector.batch.engine_local",
    "detector.text.compact",
    "scipy.sparse",  # the features' matrices (postfeatures imports it when first needed)
    "detector.text.modelstore",
    "detector.batch.preload_warm",
)


def modules(*, shipped_catalog: bool) -> list[str]:
    """What the fork server imports: :data:`_ALWAYS`, the shipped catalog built when the
    run uses it, and :mod:`detector.batch.preload_model` (scikit-learn and skops for a
    model that is not compact)."""
    names = list(_ALWAYS)
    if shipped_catalog:
        names.append("detector.batch.preload_catalog")
    names.append("detector.batch.preload_model")
    return names


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def input_bytes(inputs: Sequence[Path | str]) -> int:
    """Total size of the local input files (URLs and globs count 0).

    >>> input_bytes(["s3://bucket/posts.jsonl", "no/such/file.csv"])
    0
    """
    total = 0
    for path in inputs:
        if "://" in str(path):
            continue
        try:
            total += Path(path).stat().st_size
        except OSError:
            continue
    return total


def worth_it(inputs: Sequence[Path | str], workers: int | None = None) -> bool:
    """Whether a local run over *inputs* starts its workers before reading: more than one
    worker, and at least :data:`EAGER_POOL_BYTES` of local files."""
    return (workers or default_workers()) > 1 and input_bytes(inputs) >= EAGER_POOL_BYTES


def context(*, model: str | None, shipped_catalog: bool) -> multiprocessing.context.BaseContext:
    """The multiprocessing context workers are started from: the fork server importing
    :func:`modules` for a run with *model* (``None``: the default); spawn where there is
    no fork server. The modules and model count only when the server starts."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return multiprocessing.get_context("spawn")
    os.environ[MODEL_ENV] = model or ""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(modules(shipped_catalog=shipped_catalog))
    return ctx


def start(*, model: str | None, shipped_catalog: bool, workers: int | None = None) -> None:
    """Start the fork server now (it imports on its own while this process goes on);
    nothing for one worker, where there is no fork server, or when it already runs."""
    if (workers or default_workers()) <= 1:
        return
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return
    from multiprocessing import forkserver

    context(model=model, shipped_catalog=shipped_catalog)
    forkserver.ensure_running()
