"""glibc's heap thresholds for scoring (:mod:`detector.batch.heap`)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from detector.batch import forkstart, heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_tune_sets_the_thresholds_on_glibc() -> None:
    code = "from detector.batch.heap import tune; print(tune(), tune())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_the_fork_server_tunes_its_heap_before_importing_the_pipeline() -> None:
    names = forkstart.modules(shipped_catalog=True)
    assert names[0] == "detector.batch.preload_heap"
    assert heap.MMAP_THRESHOLD == 32 << 20  # glibc's largest accepted value on 64-bit
