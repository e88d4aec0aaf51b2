"""Imported once by the local engine's fork server when a run uses the shipped catalog.

:meth:`Catalog.load <detector.text.catalog.Catalog.load>` keeps what it loaded by file, so
the workers forked afterwards find the default catalog built, its matcher compiled and the
compiled scan of large batches (:mod:`detector.text.fastscan`) loaded.
"""

from __future__ import annotations

import contextlib

from detector.text.catalog import Catalog

# a failure here would kill the fork server; a catalog that cannot load reports its own
# error in the worker that loads it
with contextlib.suppress(Exception):
    Catalog.load().compile(batches=True)
