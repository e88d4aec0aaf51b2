"""glibc's heap, tuned for scoring: big buffers are reused, not mapped afresh each chunk.

Every chunk of posts allocates and frees the same few dozen arrays of 0.1-10 MB. glibc
maps each allocation above its threshold (128 KB, adjusted up to 32 MB as it goes) with
its own ``mmap`` and gives it back with ``munmap`` when freed, and gives the top of its
heap back above 128 KB free: the next chunk faults every page of its arrays in again,
zeroed by the kernel. On 1M posts that was about 2.8 CPU-seconds of system time over the
three processes of a run, 15% of its CPU. With the thresholds below, those arrays come
from the heap and stay there for the next chunk (1.6-2.2 CPU-seconds of system time on the
same run). Up to :data:`TRIM_THRESHOLD` of freed memory waits in each process: 256 MB
took the peak on 10M posts from 1.78 to 1.99 GB, near its 2 GB budget, and saved no more
system time than 64 MB (``benchmarks/score.py``).

This only changes where freed memory waits, never what a run computes. Other C
libraries (musl, macOS) have no ``mallopt``: :func:`tune` does nothing there.

>>> tune() in (True, False)
True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "tune"]

#: Allocations of at least this many bytes get their own mapping (glibc's largest
#: accepted value on 64-bit; a chunk's arrays are smaller).
MMAP_THRESHOLD = 32 << 20

#: Free memory at the top of the heap kept for the next chunk rather than returned.
TRIM_THRESHOLD = 64 << 20

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@functools.cache
def tune() -> bool:
    """Set this process's thresholds (once); whether the C library took them. Processes
    forked from this one inherit them (the local engine's fork server calls it)."""
    name = ctypes.util.find_library("c")
    if not name:  # pragma: no cover - every Linux has a C library
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
