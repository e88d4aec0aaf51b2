"""The compiled normaliser against the regular-expression passes, in one run.

``normalize_array`` normalises large batches with :mod:`detector.text.fastnorm` (four
compiled scans) for their plain posts and pyarrow's RE2 kernels (thirteen passes) for
the rest. Both paths run here over the same posts, alternating, ``--repeat`` times; the
figures are CPU seconds of this process (``time.process_time``), the fastest of the
repeats, and per-post microseconds:

- ``simulated``: ``--posts`` posts of the simulator's ``load`` scenario (its texts carry
  emoji and typos);
- ``real``: every real post of the shared data (labelled posts, unlabelled app reviews
  and support tweets, the airline, Comcast and power-outage streams), skipped when
  ``../shared/data`` is absent.

Also recorded: the share of posts the compiled path takes, and whether both paths gave
the same text for every post (they must). Writes ``benchmarks/results/normalise.json``.

    python benchmarks/normalise.py [--posts 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
from _common import SHARED, cli, write_result

from detector.text.fastnorm import plain_rows
from detector.text.normalize import normalize_array

REAL = {
    "posts/labeled_posts.csv": "text",
    "posts/labeled_posts_extra.csv": "text",
    "unlabeled/app_reviews_and_support.csv": "text",
    "streams/airline_tweets_feb2015.csv": "text",
    "streams/comcast_fcc_complaints_2015.csv": "Customer Complaint",
}


def simulated(posts: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posts.csv"
        subprocess.run(
            [*cli(), "simulate", "--scenario", "load", "--posts", str(posts), "--out", str(path)],
            check=True,
            capture_output=True,
        )
        return pd.read_csv(path, usecols=["text"])["text"].astype(str).tolist()


def real() -> list[str] | None:
    if not (SHARED / "README.md").is_file():
        return None
    texts: list[str] = []
    for name, column in REAL.items():
        texts += pd.read_csv(SHARED / name, usecols=[column])[column].dropna().tolist()
    for path in sorted((SHARED / "streams" / "power_outage_tweets_2019").glob("*.csv")):
        frame = pd.read_csv(path)
        texts += frame["Text" if "Text" in frame else "text"].dropna().astype(str).tolist()
    return texts


def measure(texts: list[str], repeat: int) -> dict[str, object]:
    array = pa.array(texts, pa.large_string())
    normalize_array(array[:5000])  # load the compiled code before timing
    best = {"compiled": float("inf"), "regex": float("inf")}
    outputs = {}
    for _ in range(repeat):
        for path, flag in (("compiled", "1"), ("regex", "0")):
            os.environ["OUTAGE_COMPILED"] = flag
            start = time.process_time()
            outputs[path] = normalize_array(array, tidy=False)
            best[path] = min(best[path], time.process_time() - start)
    os.environ.pop("OUTAGE_COMPILED", None)
    return {
        "posts": len(texts),
        "compiled_share": round(float(plain_rows(array).mean()), 4),
        "compiled_cpu_s": round(best["compiled"], 3),
        "regex_cpu_s": round(best["regex"], 3),
        "compiled_us_per_post": round(best["compiled"] / len(texts) * 1e6, 3),
        "regex_us_per_post": round(best["regex"] / len(texts) * 1e6, 3),
        "speedup": round(best["regex"] / best["compiled"], 2),
        "same_text": outputs["compiled"].equals(outputs["regex"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result: dict[str, object] = {
        "command": "python " + " ".join(sys.argv),
        "load_avg": round(os.getloadavg()[0], 2),
        "simulated": measure(simulated(args.posts), args.repeat),
    }
    texts = real()
    result["real"] = measure(texts, args.repeat) if texts else "skipped: no ../shared/data"
    result["load_avg_after"] = round(os.getloadavg()[0], 2)
    write_result("normalise", result)


if __name__ == "__main__":
    main()
