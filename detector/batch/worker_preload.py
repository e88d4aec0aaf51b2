"""Imported once by the local engine's fork server, so that its workers inherit it.

Importing ``skops.io`` (through :func:`~detector.text.modelstore.skops_io`, which keeps
its narrow trusted-type set) costs most of a worker's model load: skops walks the loaded
modules to name the types it trusts. Loading the compiled normaliser's machine code
(:mod:`detector.text.fastnorm`) costs about half a second more. Done here, each worker
forks with both done.
"""

from __future__ import annotations

import contextlib

from detector.text.modelstore import skops_io

# a failure here would kill the fork server (it only forgives ImportError): each worker
# then imports skops itself, and a model that cannot load reports its own error
with contextlib.suppress(Exception):
    skops_io()

with contextlib.suppress(Exception):  # without it, each worker loads it on its first chunk
    from detector.text.normalize import warm_compiled

    warm_compiled()
