"""Benchmark ``detector.ingest.read_posts`` against bare ``pandas.read_csv``.

Writes ``benchmarks/results/ingest.json`` with:
- rows/s of ``read_posts`` on an N-row CSV (``--rows``, default 1M) and on the
  same rows as Parquet, and rows/s of ``pandas.read_csv`` alone on the same CSV in
  the same run (the ratio is the overhead of ingest: sniffing, line numbers, time
  parsing, duplicate and repost detection, canonical dtypes);
- peak RSS of a fresh subprocess ingesting a ``--big-rows`` (default 10M) CSV
  (its /proc ``VmHWM``, cross-checked by psutil polling; target: under 2 GB).

Synthetic data: short realistic post texts, ISO 8601 times, numeric ids, a few
thousand authors, 1% duplicate ids, 5% reposts; generated with numpy into a
temp dir. Run small with ``--rows 100000 --big-rows 1000000``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

RESULTS = Path(__file__).resolve().parent / "results" / "ingest.json"

_SUBJECTS = ["outlook", "teams", "my email", "the app", "login", "wifi", "netflix", "slack"]
_VERBS = [
    "is down again",
    "not loading",
    "keeps crashing",
    "won't let me sign in",
    "so slow today",
    "works fine now",
    "emails stuck in outbox",
    "anyone else having issues?",
]
_TAILS = ["", " :(", " #outage", " wtf", " @support pls fix", " since 9am", "!!", " lol"]


def make_frame(rows: int, seed: int = 0, first_id: int = 0) -> pd.DataFrame:
    """A synthetic export of *rows* posts (columns ``id, text, created_at, author_id``)."""
    rng = np.random.default_rng(seed)
    texts = np.array([f"{s} {v}{t}" for s in _SUBJECTS for v in _VERBS for t in _TAILS])
    base = np.datetime64("2024-05-01T00:00:00", "s") + np.timedelta64(first_id // 100, "s")
    secs = np.sort(rng.integers(0, 86_400, rows))
    ids = 1_780_000_000_000_000_000 + (first_id + np.arange(rows, dtype=np.int64)) * 7
    dup = rng.random(rows) < 0.01
    ids[dup] = ids[np.maximum(np.flatnonzero(dup) - 1, 0)]
    text = texts[rng.integers(0, len(texts), rows)]
    text = np.char.add(text, np.char.add(" #", rng.integers(0, 10**6, rows).astype(str)))
    repost = rng.random(rows) < 0.05
    text[repost] = np.char.add("RT @someone: ", text[repost])
    return pd.DataFrame(
        {
            "id": ids.astype(str),
            "text": text,
            "created_at": np.datetime_as_string(base + secs, unit="s", timezone="UTC"),
            "author_id": np.char.add("u", rng.integers(0, 5000, rows).astype(str)),
        }
    )


def write_csv(path: Path, rows: int, seed: int = 0, block: int = 1_000_000) -> None:
    """Write the synthetic export to CSV in blocks (bounded memory for 10M rows)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for i, start in enumerate(range(0, rows, block)):
            frame = make_frame(min(block, rows - start), seed=seed + i, first_id=start)
            frame.to_csv(handle, index=False, header=(i == 0))


def time_it(fn) -> tuple[float, float, object]:
    """Wall and CPU seconds of ``fn()`` (CPU time is the fairer number on a shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def ingest_all(path: Path) -> dict:
    from detector.ingest import read_posts

    run = read_posts(path)
    rows_out = sum(len(frame) for frame in run)
    return {"rows_out": rows_out, **run.stats.to_dict()}


def peak_rss_child(path: Path) -> dict:
    """Ingest *path* in a fresh subprocess; return its stats and peak RSS in MB.

    Two measures: the child's own ``VmHWM`` (peak resident set of the new process
    image, from /proc) and the parent polling the child's RSS with psutil every
    20 ms. ``ru_maxrss`` is not used: Linux carries it over ``execve`` from the
    forked parent, so it would report this (large) benchmark process instead.
    """
    code = (
        "import json, sys\n"
        "from detector.ingest import read_posts\n"
        "run = read_posts(sys.argv[1])\n"
        "n = sum(len(f) for f in run)\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print(json.dumps({'rows_out': n, 'peak_rss_mb': int(status) / 1024, "
        "**run.stats.to_dict()}))\n"
    )
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    polled = 0
    proc = psutil.Process(child.pid)
    while child.poll() is None:
        with contextlib.suppress(psutil.Error):
            polled = max(polled, proc.memory_info().rss)
        time.sleep(0.02)
    out = child.stdout.read() if child.stdout else ""
    if child.returncode:
        raise RuntimeError(f"ingest subprocess failed with exit code {child.returncode}")
    result = json.loads(out)
    result["peak_rss_mb_polled"] = round(polled / 2**20, 1)
    result["peak_rss_mb"] = round(result["peak_rss_mb"], 1)
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="best of N timings")
    args = parser.parse_args(argv)
    result: dict = {
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "cpus": os.cpu_count(),
        "rows": args.rows,
        "big_rows": args.big_rows,
    }
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp, "posts.csv")
        parquet_path = Path(tmp, "posts.parquet")
        write_csv(csv_path, args.rows)
        pd.read_csv(csv_path, dtype=str).to_parquet(parquet_path, row_group_size=200_000)
        result["csv_mb"] = round(csv_path.stat().st_size / 1e6, 1)

        def best(fn):
            runs = [time_it(fn) for _ in range(args.repeat)]
            wall = min(r[0] for r in runs)
            cpu = min(r[1] for r in runs)
            return wall, cpu, runs[-1][2]

        def entry(wall: float, cpu: float, extra: dict | None = None) -> dict:
            return {
                "seconds": round(wall, 3),
                "cpu_seconds": round(cpu, 3),
                "rows_per_s": round(args.rows / wall),
                "rows_per_cpu_s": round(args.rows / cpu),
                **(extra or {}),
            }

        w_pd, c_pd, _ = best(lambda: pd.read_csv(csv_path, dtype=str))
        w_csv, c_csv, stats_csv = best(lambda: ingest_all(csv_path))
        w_pq_bare, c_pq_bare, _ = best(lambda: pd.read_parquet(parquet_path))
        w_pq, c_pq, stats_pq = best(lambda: ingest_all(parquet_path))
        result["baseline_pandas_read_csv"] = entry(w_pd, c_pd)
        result["read_posts_csv"] = entry(
            w_csv,
            c_csv,
            {
                "ratio_to_read_csv": round(w_csv / w_pd, 2),
                "cpu_ratio_to_read_csv": round(c_csv / c_pd, 2),
                **stats_csv,
            },
        )
        result["baseline_pandas_read_parquet"] = entry(w_pq_bare, c_pq_bare)
        result["read_posts_parquet"] = entry(
            w_pq,
            c_pq,
            {
                "ratio_to_read_parquet": round(w_pq / w_pq_bare, 2),
                "cpu_ratio_to_read_parquet": round(c_pq / c_pq_bare, 2),
                **stats_pq,
            },
        )
        for path in (csv_path, parquet_path):
            path.unlink()
        if args.big_rows:
            big = Path(tmp, "big.csv")
            write_csv(big, args.big_rows, seed=1)
            result["big_csv_mb"] = round(big.stat().st_size / 1e6, 1)
            peak = peak_rss_child(big)
            peak["rows_per_s"] = round(args.big_rows / peak["seconds"])
            peak["target_peak_rss_mb"] = 2048
            peak["met"] = peak["peak_rss_mb"] < 2048
            result["big_csv_peak_memory"] = peak
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
