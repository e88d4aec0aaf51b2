"""The switch of the compiled (numba) text paths, and what happens when one fails.

Three paths have a compiled form beside their plain one, with the same results: the
normaliser (:mod:`.fastnorm`), the service scan (:mod:`.fastscan`) and the tokeniser
(:mod:`.fasttokens`). Each runs compiled unless ``OUTAGE_COMPILED=0``, numba cannot be
imported or cannot cache its machine code here (compiling in every process would cost
more than it saves: :data:`detector.text.jit.CACHED`), or it failed earlier in this
process: a failure is warned about once and the plain path takes over. This module
imports numba only when asked whether it is :func:`available`.

>>> broken: list[str] = []
>>> import os; os.environ["OUTAGE_COMPILED"] = "0"
>>> switched_on(broken)
False
>>> del os.environ["OUTAGE_COMPILED"]
>>> switched_on(broken), switched_on(["ValueError: bad machine code"])
(True, False)
"""

from __future__ import annotations

import functools
import os
import warnings

__all__ = ["available", "failed", "switched_on"]


def switched_on(broken: list[str]) -> bool:
    """Whether a compiled path may run: not turned off by ``OUTAGE_COMPILED=0``, and not
    failed in this process (*broken*, the path's record of its failures)."""
    return os.environ.get("OUTAGE_COMPILED", "1").strip() != "0" and not broken


@functools.cache
def available() -> bool:
    """Whether numba can be imported and cache its machine code here (once a process)."""
    try:
        from detector.text import jit
    except ImportError:  # pragma: no cover - numba is a dependency
        return False
    return jit.CACHED


def failed(broken: list[str], exc: Exception, what: str, *, hint: str = "") -> None:
    """A compiled path raised *exc*: record it in *broken* (the path is not tried again in
    this process) and warn once what takes over (*what*)."""
    broken.append(f"{type(exc).__name__}: {exc}")
    warnings.warn(
        f"{what}: {broken[-1][:300]}; OUTAGE_COMPILED=0 skips it{hint}",
        RuntimeWarning,
        stacklevel=4,
    )
