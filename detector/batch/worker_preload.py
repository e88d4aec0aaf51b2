"""Imported once by the local engine's fork server, so that its workers inherit it.

Importing ``skops.io`` (through :func:`~detector.text.modelstore.skops_io`, which keeps
its narrow trusted-type set) costs most of a worker's model load: skops walks the loaded
modules to name the types it trusts. Done here, each worker forks with it done.

The compiled normaliser (:mod:`detector.text.fastnorm`) is not loaded here: its machine
code and numba's compiler take about 120 MB in each process that loads them, and the
fork server would only hold one more copy. Each worker loads it while it warms up
(:func:`detector.batch.engine_local._warm_worker`).
"""

from __future__ import annotations

import contextlib

from detector.text.modelstore import skops_io

# a failure here would kill the fork server (it only forgives ImportError): each worker
# then imports skops itself, and a model that cannot load reports its own error
with contextlib.suppress(Exception):
    skops_io()
