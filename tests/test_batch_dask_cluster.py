"""The Dask engine's cluster: the workers score and then judge the services.

Judging the services (the incident engine over each service's series) and enriching
their incidents ran in the client process after the cluster had closed, a fifth of
all CPU time of a run; the client now only plans, schedules and merges.
"""

from __future__ import annotations

import os
import threading

import pytest

pytest.importorskip("dask.distributed")

from detector.batch.engine_dask import Cluster  # noqa: E402


def test_tasks_run_on_the_workers_in_order() -> None:
    with Cluster(workers=1) as cluster:
        assert list(cluster.imap(lambda x: x * 2, [3, 1, 2])) == [6, 2, 4]
        pids = set(cluster.imap(lambda _: os.getpid(), range(4)))
        assert len(pids) == 1 and os.getpid() not in pids
        assert cluster.parallel() == 1
    assert cluster._client is None  # closed with the block


def test_no_cluster_starts_until_it_is_needed() -> None:
    with Cluster(workers=1) as cluster:
        pass  # e.g. an input refused while planning
    assert cluster._client is None


def test_a_failing_task_raises_its_own_error_in_the_client() -> None:
    with Cluster(workers=1) as cluster, pytest.raises(ZeroDivisionError):
        list(cluster.imap(lambda x: 1 / x, [1, 0]))


class _FakeLocalCluster:
    def __init__(self) -> None:
        self.workers: dict[str, object] = {}
        self.closed = False

    def close(self) -> None:
        self.closed = True


class _FakeClient:
    def __init__(self) -> None:
        self.cluster = _FakeLocalCluster()
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_a_ctrl_c_while_the_cluster_starts_closes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C held back while the local cluster starts is raised once it has started
    (:func:`_sigint_deferred`): the cluster must then be stopped and closed, not left
    running behind the interrupted run (the client was not yet the Cluster's to close)."""
    import signal

    from detector.batch import engine_dask

    started: list[_FakeClient] = []
    stopped: list[object] = []

    def client(scheduler: str | None, workers: int | None, verbose: bool = False) -> _FakeClient:
        started.append(_FakeClient())
        # a Ctrl-C while the workers start, sent to the main thread (which blocks it
        # meanwhile): sent to the process, another thread of the test process left by
        # an earlier test may take it, and raise it only once that thread runs again
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return started[-1]

    monkeypatch.setattr(engine_dask, "_client", client)
    monkeypatch.setattr(engine_dask, "_stop_workers", stopped.append)
    # Python's own Ctrl-C handler, as in a terminal: pytest started in the background by
    # a shell without job control (``.ci/run &``) inherits SIGINT ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), Cluster(workers=1) as cluster:
            cluster.parallel()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert len(started) == 1
    assert started[0].closed and started[0].cluster.closed
    assert stopped == started  # its workers killed first, as after any Ctrl-C
    assert cluster._client is None


def test_long_series_go_to_the_workers_without_a_warning() -> None:
    """Judging hands each service's series to the workers: a year of minutes with posts
    is some 12 MB (a quiet run of a long export). distributed warns on stderr of a
    "large graph" above 10 MB, which neither the local engine nor the Dask engine's
    judging in the client ever printed; a quiet run stays quiet."""
    import warnings

    import numpy as np

    series = [np.full(500_000, float(i)) for i in range(3)]  # 12 MB
    with warnings.catch_warnings(record=True) as caught, Cluster(workers=1) as cluster:
        warnings.simplefilter("always")
        assert list(cluster.imap(len, series)) == [500_000] * 3
    assert not [w for w in caught if "large graph" in str(w.message)]
