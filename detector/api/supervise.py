"""Worker processes that never outlive the ``serve`` process that started them.

``serve`` writes its pid into ``OUTAGE_MASTER_PID`` before uvicorn starts the workers.
Each worker asks Linux to send it SIGTERM when its parent dies (``PR_SET_PDEATHSIG``)
and, as a second line, :func:`orphaned` tells the background loop when the worker has
been re-parented: it then stops itself (SIGTERM, so uvicorn shuts down cleanly and
the detection lock and the port are released). A restart after ``kill -9`` of the
master therefore finds the port and the leader lock free.

>>> orphaned({})  # not started by serve: never orphaned
False
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
from collections.abc import Mapping

#: The variable ``serve`` sets to its own pid.
MASTER_ENV = "OUTAGE_MASTER_PID"
_PR_SET_PDEATHSIG = 1


def _master(env: Mapping[str, str]) -> int | None:
    raw = env.get(MASTER_ENV, "")
    return int(raw) if raw.isdigit() else None


def orphaned(env: Mapping[str, str] | None = None) -> bool:
    """Whether this worker's master (``OUTAGE_MASTER_PID``) is gone."""
    master = _master(os.environ if env is None else env)
    if master is None or master == os.getpid():
        return False
    return os.getppid() != master


def bind_to_master() -> None:
    """In a worker: die with the master (SIGTERM on its death); exit now if it is gone."""
    master = _master(os.environ)
    if master is None or master == os.getpid():
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the background loop's check remains
        pass
    if orphaned():
        os.kill(os.getpid(), signal.SIGTERM)


def stop_if_orphaned() -> None:
    """Stop this worker (SIGTERM to itself) when its master is gone."""
    if orphaned():
        os.kill(os.getpid(), signal.SIGTERM)
