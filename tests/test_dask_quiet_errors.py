"""A bad input under ``--engine dask`` is one line on stderr, as under the local engine: the
workers' "Compute Failed" log of the task and its traceback is muted (``--verbose`` keeps
it). Reported by a tester in session 21 (7 lines of worker log before the error)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from detector.paths import project_path


@pytest.mark.slow
def test_a_truncated_gzip_is_one_line_on_both_engines(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    raw = project_path("data", "samples", "exchange-outage.csv").read_bytes()
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(raw)[: len(raw) // 8])
    base = [sys.executable, "-m", "detector", "score", str(tmp_path / "a.csv.gz")]
    expected = f"error: {tmp_path / 'a.csv.gz'}: compressed data is truncated or corrupt\n"
    for engine in (["--engine", "local"], ["--engine", "dask", "--workers", "2"]):
        done = subprocess.run(
            [*base, *engine, "--out", str(tmp_path / engine[1])],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 65, done.stderr
        assert done.stderr == expected, engine
    loud = subprocess.run(
        [*base, "--engine", "dask", "--workers", "2", "--verbose", "--out", str(tmp_path / "v")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert loud.returncode == 65
    assert "Compute Failed" in loud.stderr and loud.stderr.endswith(expected)
