"""Throughput of the service matcher (``Catalog.match_many``) on short real posts.

``match_many`` scans a batch with the compiled scan (:mod:`detector.text.fastscan`);
``match_many_regex`` is the same method with ``OUTAGE_COMPILED=0`` (the trie regex).
Baselines measured in the same run, on the same posts:
- ``naive``: one compiled, word-bounded, case-insensitive regex per service, each run
  over every post (what a first implementation does);
- ``alternation``: one regex alternation of every surface form, longest first, with
  ``re.IGNORECASE`` (no trie, no pre-lowering);
- references for the floor of any per-post Python work: ``str.split`` and a
  ``\\w+`` ``findall`` tokeniser pass, and TF-IDF + logistic regression ``predict``
  (the classifier baseline of issue 5).

Times are CPU seconds of this process (``time.process_time``), best of ``--repeat``,
so that other processes on a shared machine inflate them less; wall-clock rates and
the load average are recorded too. Prints a table and writes
``benchmarks/results/catalog.json`` (``_common.write_result``).

    .venv/bin/python benchmarks/catalog.py [--posts 40000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import time

import pandas as pd
from _common import SHARED, write_result

from detector.text.catalog import Catalog


def posts(n: int) -> list[str]:
    """Real short posts: the airline stream and the labelled posts, repeated to *n*."""
    texts = pd.read_csv(SHARED / "streams" / "airline_tweets_feb2015.csv").text.astype(str).tolist()
    texts += pd.read_csv(SHARED / "posts" / "labeled_posts.csv").text.astype(str).tolist()
    return (texts * (n // len(texts) + 1))[:n]


def naive_matcher(catalog: Catalog):
    patterns = []
    for service in catalog:
        forms = [service.name, *service.aliases, *service.handles, *service.hashtags]
        forms = sorted({f.lower() for f in forms}, key=len, reverse=True)
        body = "|".join(re.escape(f) for f in forms)
        patterns.append((service.name, re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)))

    def match_many(texts):
        return [[name for name, p in patterns if p.search(t)] for t in texts]

    return match_many


def alternation_matcher(catalog: Catalog):
    forms = {}
    for service in catalog:
        for f in (service.name, *service.aliases, *service.handles, *service.hashtags):
            forms[f.lower()] = service.name
    body = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)

    def match_many(texts):
        out = []
        for t in texts:
            found = []
            for m in pattern.finditer(t):
                name = forms[m.group().lower()]
                if name not in found:
                    found.append(name)
            out.append(found)
        return out

    return match_many


def tfidf_lr():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    data = pd.read_csv(SHARED / "posts" / "labeled_posts.csv")
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    model.fit(data.text.astype(str), data.label)
    return model.predict


def measure(fn, texts, repeat):
    best_cpu, best_wall = float("inf"), float("inf")
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn(texts)
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return len(texts) / best_cpu, len(texts) / best_wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = posts(args.posts)
    t0 = time.perf_counter()
    catalog = Catalog.from_records(Catalog.load().to_records())  # uncached: time the build
    build_seconds = time.perf_counter() - t0
    word = re.compile(r"\w+")
    predict = tfidf_lr()

    def regex_scan(ts: list[str]) -> list[list[str]]:
        os.environ["OUTAGE_COMPILED"] = "0"
        try:
            return catalog.match_many(ts)
        finally:
            os.environ.pop("OUTAGE_COMPILED")

    catalog.compile(batches=True)  # load the compiled scan's machine code before timing
    subjects = {
        "match_many": catalog.match_many,
        "match_many_regex": regex_scan,
        "alternation": alternation_matcher(catalog),
        "naive": naive_matcher(catalog),
        "ref_str_split": lambda ts: [t.split() for t in ts],
        "ref_word_findall": lambda ts: [word.findall(t) for t in ts],
        "ref_tfidf_lr_predict": predict,
    }
    rates = {}
    for name, fn in subjects.items():
        slow = name in ("naive", "alternation")  # 100-200x slower: a sample is enough
        sample = texts[: max(1, len(texts) // 20)] if slow else texts
        cpu, wall = measure(fn, sample, args.repeat)
        rates[name] = {
            "posts_per_cpu_second": round(cpu),
            "posts_per_wall_second": round(wall),
        }
    same = catalog.match_many(texts[:5000]) == [catalog.match(t) for t in texts[:5000]]
    same = same and catalog.match_many(texts) == regex_scan(texts)
    ours = rates["match_many"]["posts_per_cpu_second"]
    result = {
        "posts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "services": len(catalog),
        "surface_forms": len(catalog._table),
        "build_seconds": round(build_seconds, 3),
        "share_of_posts_naming_a_service": round(
            sum(1 for r in catalog.match_many(texts) if r) / len(texts), 3
        ),
        "match_many_equals_match_and_regex_scan": same,
        "load_average": os.getloadavg(),
        "rates": rates,
        "match_many_chars_per_cpu_second": round(ours * sum(map(len, texts)) / len(texts)),
        "ratios": {
            name: round(ours / r["posts_per_cpu_second"], 2)
            for name, r in rates.items()
            if name != "match_many"
        },
        "target_posts_per_second": 200_000,
    }
    for name, r in rates.items():
        print(
            f"{name:22s} {r['posts_per_cpu_second']:>10,} posts/cpu-s "
            f"{r['posts_per_wall_second']:>10,} posts/wall-s"
        )
    write_result("catalog", result)


if __name__ == "__main__":
    main()
