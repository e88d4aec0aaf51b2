"""Helpers shared by the benchmark scripts: results folder, peak memory of a child."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write ``results/<name>.json`` with machine facts added, and print it."""
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": name,
        "machine": {
            "python": platform.python_version(),
            "cpus": psutil.cpu_count(),
            "platform": platform.platform(),
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload, indent=2))
    return path


def run_measured(cmd: list[str], *, poll: float = 0.05) -> dict[str, float]:
    """Run *cmd*; return wall seconds and the peak RSS (MB) of it and its children."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            family = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in family if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(poll)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(peak / 2**20, 1)}


def cli() -> list[str]:
    """The project's command line, run with this interpreter."""
    return [sys.executable, "-m", "detector"]
