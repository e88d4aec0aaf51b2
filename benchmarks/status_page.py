"""Benchmark of the live status page (``GET /`` and ``GET /services/NAME``), loopback only.

A real ``serve`` is fed posts through ``POST /v1/posts`` in time order, then each page
is fetched ``--requests`` times in a row. Baseline, measured in the same run on the same
state: the JSON answers a page replaces (``GET /v1/services`` for the list,
``GET /v1/services/NAME/status`` plus ``GET /v1/incidents?service=NAME`` for a
service). Reported: median and p95 latency, page size, and the ratio page / JSON.

Two states: the shipped Exchange Online sample (one day, 21k posts), and the real
airline tweets of February 2015 in ``../shared/data/streams`` (nine days, six airlines
named by the sender; skipped when absent).

Writes ``benchmarks/results/status_page.json``. Usage::

    .venv/bin/python benchmarks/status_page.py [--requests 40]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OUTAGE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE = ROOT / "data" / "samples" / "exchange-outage.csv"
AIRLINES = SHARED / "streams" / "airline_tweets_feb2015.csv"


def exchange_posts() -> list[dict]:
    frame = pd.read_csv(SAMPLE, dtype=str).sort_values("created_at", kind="stable")
    return [
        {"id": r.id, "text": r.text, "created_at": r.created_at}
        for r in frame.itertuples(index=False)
    ]


def airline_posts() -> list[dict]:
    frame = pd.read_csv(AIRLINES, dtype=str)
    local = pd.to_datetime(frame["created_at_local_pst"], format="%m/%d/%Y %H:%M")
    utc = local.dt.tz_localize("America/Los_Angeles").dt.tz_convert("UTC")
    frame["created_at"] = utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = frame.sort_values("created_at", kind="stable")
    return [
        {"id": r.tweet_id, "text": r.text, "created_at": r.created_at, "service": r.airline}
        for r in frame.itertuples(index=False)
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_")}
    cmd = [sys.executable, "-m", "detector", "serve", "--port", str(port), "--db", str(db)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise SystemExit("serve exited")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("serve did not start")
        time.sleep(0.2)


def feed(client: httpx.Client, posts: list[dict]) -> None:
    for i in range(0, len(posts), 500):
        client.post("/v1/posts", json={"posts": posts[i : i + 500]}).raise_for_status()
    last = pd.Timestamp(posts[-1]["created_at"]).floor("min") - pd.Timedelta(minutes=10)
    deadline = time.monotonic() + 300
    seen = None
    while time.monotonic() < deadline:  # detection may finish in the background
        judged = client.get("/v1/services/all services/status").json().get("bucket_start")
        if judged and pd.Timestamp(judged) >= last:
            if judged == seen:
                return
            seen = judged
        time.sleep(0.5)


def timed(client: httpx.Client, paths: list[str], n: int) -> dict:
    """Median and p95 of fetching all *paths* once, *n* times; bytes of one round."""
    seconds, size = [], 0
    for _ in range(n):
        start = time.perf_counter()
        size = 0
        for path in paths:
            answer = client.get(path)
            answer.raise_for_status()
            size += len(answer.content)
        seconds.append(time.perf_counter() - start)
    seconds.sort()
    return {
        "median_ms": round(1000 * statistics.median(seconds), 2),
        "p95_ms": round(1000 * seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))], 2),
        "bytes": size,
    }


def scenario(name: str, posts: list[dict], n: int, workdir: Path) -> dict:
    proc, url = serve(workdir / f"{name}.db")
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            feed(client, posts)
            top = client.get("/").text
            service = top.split('href="/services/', 1)[1].split('"', 1)[0]
            name_plain = httpx.URL("/services/" + service).path.split("/services/", 1)[1]
            pages = {
                "list": (["/"], ["/v1/services"]),
                "service": (
                    [f"/services/{service}"],
                    [f"/v1/services/{name_plain}/status", f"/v1/incidents?service={name_plain}"],
                ),
            }
            out: dict = {"posts": len(posts), "top_service": name_plain}
            for page, (html_paths, json_paths) in pages.items():
                timed(client, html_paths + json_paths, 3)  # warm up
                html = timed(client, html_paths, n)
                base = timed(client, json_paths, n)
                out[page] = {
                    "page": html,
                    "json_baseline": base,
                    "ratio_median": round(html["median_ms"] / base["median_ms"], 2),
                }
            return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    results: dict = {"requests": args.requests}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results["exchange_sample"] = scenario("exchange", exchange_posts(), args.requests, work)
        if AIRLINES.is_file():
            results["airline_tweets"] = scenario("airlines", airline_posts(), args.requests, work)
        else:
            results["airline_tweets"] = f"skipped: {AIRLINES} not found"
    write_result("status_page", results)


if __name__ == "__main__":
    main()
