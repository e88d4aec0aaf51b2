"""Helpers shared by tests: a free loopback port and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from detector.cli.main import main

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAS_CHROMIUM = Path(CHROMIUM).is_file()
#: Skips a test, saying why, when Chromium is absent (Debian package ``chromium``).
needs_chromium = pytest.mark.skipif(
    not HAS_CHROMIUM,
    reason=f"chromium not found at {CHROMIUM} (apt-get install -y chromium to run this test)",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # Chromium's own background requests (updates, time, accounts) must not leave the
    # machine: no name resolves but loopback, and everything else goes to a closed port.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
)


def chromium(tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run headless Chromium with its own profile under *tmp_path*."""
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[Any, str, str]:
    """Run ``outage-detector *argv*`` in-process: its exit code, stdout and stderr."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    out, err = capsys.readouterr()
    return stop.value.code, out, err


def engine_outputs(out: Path, files: tuple[str, ...]) -> dict[str, Any]:
    """What a ``score`` run wrote into *out*, for comparing engines: ``posts`` (the
    frame), ``summary`` (without the run's ``seconds`` and ``engine``) and *files* as text."""
    import json

    import pandas as pd

    summary = json.loads((out / "summary.json").read_text())
    for key in ("seconds", "engine"):
        summary.pop(key)
    return {
        "posts": pd.read_parquet(out / "posts.parquet"),
        "summary": summary,
        **{name: (out / name).read_text() for name in files},
    }


def score_local_and_dask(out: Path, common: dict[str, Any], **dask: Any) -> None:
    """``score`` with *common* options into ``out/local`` (one process) and ``out/dask``
    (a 2-worker LocalCluster, with the *dask* options: share sizes, progress)."""
    from detector.batch.pipeline import ScoreOptions, score

    score(ScoreOptions(out=out / "local", workers=1, **common))
    score(ScoreOptions(out=out / "dask", engine="dask", workers=2, **dask, **common))


@contextmanager
def real_http(app: Any, *, timeout: float = 60.0) -> Iterator[Any]:
    """*app* served by uvicorn on a free loopback port in a thread (its lifespan run), and
    an ``httpx.Client`` talking real HTTP to it; the server stops when the block ends."""
    import threading
    import time

    import httpx
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as client:
            client.app = app  # type: ignore[attr-defined] - its state, for white-box checks
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def tail_alarm(seed: int, rise: float) -> tuple[Any, Any]:
    """Three days of a sparse count series (0.02 posts a minute), a faint rise to *rise*
    for 90 minutes on the third: ``(times, counts)``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    times = pd.date_range("2026-01-05", periods=3 * 1440, freq="1min", tz="UTC")
    rate = np.full(len(times), 0.02)
    rate[(times >= "2026-01-07 14:30") & (times < "2026-01-07 16:00")] = rise
    return times, rng.poisson(rate)
