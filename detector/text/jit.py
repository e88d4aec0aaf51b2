"""numba's ``njit`` with its machine code cached, for the project's compiled text paths
(:mod:`.fastnorm`, :mod:`.fastscan`, :mod:`.fasttokens`; :mod:`.compiled` says when they
run).

>>> @compiled
... def twice(x: int) -> int:
...     return 2 * x
>>> twice(21)
42
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
from numba import njit

__all__ = ["CACHED", "compiled", "find_sorted", "string_buffers"]

_F = TypeVar("_F", bound=Callable[..., Any])

#: False when numba could not cache machine code here (see :func:`compiled`): the
#: compiled paths are then not used (the regular expressions give the same results).
CACHED = True


def compiled(function: _F) -> _F:
    """``njit(cache=True)``: the machine code cached beside the function's file, else in
    numba's user cache (``NUMBA_CACHE_DIR``, ``~/.cache``). Where neither can be written
    (a read-only installation run by a user without a writable home) numba refuses to
    cache at all, raising at import: the function is then compiled in memory (and
    :data:`CACHED` says so: compiling in every process of every run, seconds each, costs
    more than it saves)."""
    global CACHED
    try:
        return njit(cache=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        CACHED = False
        return njit(function)


@compiled
def _probe(x: int) -> int:
    """Decorated at import, so that :data:`CACHED` says whether numba can cache here
    before any compiled path is imported (:func:`detector.text.compiled.available`)."""
    return x


@compiled
def find_sorted(values: np.ndarray, lo: int, hi: int, x: int) -> int:
    """Where *x* is in the sorted ``values[lo:hi]`` (a binary search), or -1.

    >>> find_sorted(np.array([2, 3, 5, 8]), 0, 4, 5), find_sorted(np.array([2, 3, 5, 8]), 0, 4, 4)
    (2, -1)
    """
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < end and values[lo] == x else -1


def string_buffers(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes and 64-bit offsets of the strings *texts* (any slice; nulls read
    as empty), without a copy: what the compiled paths read.

    >>> data, offsets = string_buffers(pa.array(["ab", "", "c"])[1:])
    >>> bytes(data[offsets[0] : offsets[-1]]), offsets.tolist()
    (b'c', [2, 2, 3])
    """
    texts = texts.cast(pa.large_string())
    _, offsets_buf, data_buf = texts.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[
        texts.offset : texts.offset + len(texts) + 1
    ]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8)
        if data_buf is not None
        else np.zeros(0, dtype=np.uint8)
    )
    return data, offsets
