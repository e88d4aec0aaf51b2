"""End-to-end throughput and memory of ``outage-detector score``.

Baseline measured in the same run: a bare ``TfidfVectorizer + LogisticRegression``
predict loop over the same texts (one process, the texts already in memory).
Writes ``benchmarks/results/score.json``.

    python benchmarks/score.py                    # 1M posts, 10M for memory, dask
    python benchmarks/score.py --posts 200000 --big-posts 0 --no-dask   # quick
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cli, run_measured, write_result  # noqa: E402


def simulate(path: Path, posts: int, seed: int = 7) -> None:
    run_measured(
        [
            *cli(),
            "simulate",
            "--scenario",
            "load",
            "--posts",
            str(posts),
            "--seed",
            str(seed),
            "--out",
            str(path),
        ]
    )


def bare_baseline(texts: list[str]) -> dict[str, float]:
    """TF-IDF (word 1-2) + logistic regression fitted on a slice, predict over all."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train = texts[:20000]
    labels = [("down" in t or "not working" in t) for t in train]
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
    clf = LogisticRegression(max_iter=200).fit(vec.fit_transform(train), labels)
    start = time.perf_counter()
    for i in range(0, len(texts), 100_000):
        clf.predict(vec.transform(texts[i : i + 100_000]))
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "posts_per_s": round(len(texts) / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--big-posts", type=int, default=10_000_000)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "posts.csv"
        simulate(data, args.posts)
        texts = pd.read_csv(data, usecols=["text"])["text"].astype(str).tolist()
        baseline = bare_baseline(texts)
        local = run_measured([*cli(), "score", str(data), "--out", str(work / "local"), "-q"])
        local["posts_per_s"] = round(args.posts / local["seconds"])
        summary = json.loads((work / "local" / "summary.json").read_text())
        result: dict = {
            "posts": args.posts,
            "baseline_tfidf_lr_predict": baseline,
            "score_local": local,
            "summary_local": summary,
            "throughput_ratio_vs_baseline": round(
                local["posts_per_s"] / baseline["posts_per_s"], 2
            ),
            "target_ratio": 1.5,
        }
        if not args.no_dask:
            dask = run_measured(
                [
                    *cli(),
                    "score",
                    str(data),
                    "--out",
                    str(work / "dask"),
                    "--engine",
                    "dask",
                    "--workers",
                    "2",
                    "-q",
                ]
            )
            same = (work / "dask" / "incidents.json").read_text() == (
                work / "local" / "incidents.json"
            ).read_text()
            dask["posts_per_s"] = round(args.posts / dask["seconds"])
            result["score_dask_localcluster_2"] = dask
            result["dask_overhead_ratio"] = round(dask["seconds"] / local["seconds"], 2)
            result["dask_incidents_identical"] = same
        if args.big_posts:
            big = work / "big.csv"
            simulate(big, args.big_posts, seed=8)
            run = run_measured([*cli(), "score", str(big), "--out", str(work / "big"), "-q"])
            result["big"] = {"posts": args.big_posts, **run, "target_peak_rss_mb": 2048}
    write_result("score", result)


if __name__ == "__main__":
    main()
