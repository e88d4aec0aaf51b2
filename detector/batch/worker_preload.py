"""Imported once by the local engine's fork server for a model that is not compact, so
that its workers inherit skops (a compact model needs neither skops nor scikit-learn:
:mod:`detector.text.compact`).

Importing ``skops.io`` (through :func:`~detector.text.modelstore.skops_io`, which keeps
its narrow trusted-type set) costs most of a worker's model load: skops walks the loaded
modules to name the types it trusts. Done here, each worker forks with it done.
"""

from __future__ import annotations

import contextlib

from detector.text.modelstore import skops_io

# a failure here would kill the fork server (it only forgives ImportError): each worker
# then imports skops itself, and a model that cannot load reports its own error
with contextlib.suppress(Exception):
    skops_io()
