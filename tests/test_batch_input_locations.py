"""Inputs named by URL or relative path, on this machine and on a cluster's workers.

- A ``file://`` URL (or a URL glob) naming one of the run's own outputs was not
  refused: only plain paths were checked, so ``score file:///.../out/posts.parquet
  --out out`` overwrote its input and exited 0.
- With ``--scheduler``, relative input paths reached the workers as given, and a worker
  started in another folder could not find them ("a.jsonl: cannot be read", or a gzip
  file reported as corrupt); the workers now get absolute paths while ``source_file``
  keeps the name the user gave.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from support import run_cli

POSTS = (
    '{"id": 1, "text": "outlook is down", "created_at": "2025-03-01T10:00:00Z"}\n'
    '{"id": 2, "text": "lunch was great", "created_at": "2025-03-01T10:01:00Z"}\n'
)


@pytest.fixture()
def scored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    (tmp_path / "a.jsonl").write_text(POSTS)
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(tmp_path / "a.jsonl"), "--out", str(out), "-q"], capsys)
    assert code == 0, err
    return out


@pytest.mark.parametrize("glob", [False, True])
def test_an_output_named_by_file_url_is_refused_as_input(
    scored: Path, capsys: pytest.CaptureFixture[str], glob: bool
) -> None:
    before = (scored / "posts.parquet").read_bytes()
    url = f"file://{scored}/{'*.parquet' if glob else 'posts.parquet'}"
    code, _, err = run_cli(["score", url, "--out", str(scored), "-q"], capsys)
    assert code == 64
    assert err == (
        f"error: {scored / 'posts.parquet'}: is also an output of this run (it would be "
        "overwritten); write to another --out\n"
    )
    assert (scored / "posts.parquet").read_bytes() == before


def _start(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _scheduler_address(path: Path, timeout: float = 60.0) -> str:
    """The address a scheduler started with ``--scheduler-file path`` wrote (it picks a
    free port itself: no port chosen here can be taken meanwhile)."""
    import json

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return str(json.loads(path.read_text())["address"])
        except (OSError, ValueError, KeyError):
            time.sleep(0.1)
    raise AssertionError(f"the scheduler wrote no {path.name} in {timeout:.0f} s")


def _wait_for_worker(address: str, timeout: float = 60.0) -> None:
    from distributed import Client

    with Client(address, timeout=timeout) as client:
        client.wait_for_workers(1, timeout=timeout)


@pytest.mark.slow
@pytest.mark.parametrize("given", ["a.jsonl", "file://a.jsonl"])
def test_relative_inputs_reach_workers_started_elsewhere(tmp_path: Path, given: str) -> None:
    pytest.importorskip("distributed", reason="the Dask engine needs outage-detector[dask]")
    if shutil.which("dask", path=os.path.dirname(sys.executable)) is None:
        pytest.skip("the dask command is not installed beside this Python")
    elsewhere = tmp_path / "elsewhere"
    here = tmp_path / "here"
    elsewhere.mkdir()
    here.mkdir()
    (here / "a.jsonl").write_text(POSTS)
    file = elsewhere / "scheduler.json"
    scheduler = ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0"]
    cluster = [_start([*scheduler, "--scheduler-file", str(file), "--no-dashboard"], elsewhere)]
    try:
        address = _scheduler_address(file)
        worker = ["distributed.cli.dask_worker", "--scheduler-file", str(file)]
        cluster.append(_start([*worker, "--nthreads", "1", "--no-dashboard"], elsewhere))
        _wait_for_worker(address)
        done = subprocess.run(
            [sys.executable, "-m", "detector", "score", given, "--out", "out", "-q"]
            + ["--engine", "dask", "--scheduler", address],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        for proc in reversed(cluster):
            proc.terminate()
            proc.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    posts = pd.read_parquet(here / "out" / "posts.parquet")
    assert posts.source_file.tolist() == [given, given]
    assert sorted(posts.text) == ["lunch was great", "outlook is down"]
