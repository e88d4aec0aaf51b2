"""End-to-end throughput, memory and scale-out of ``outage-detector score``.

Everything is measured in one run, each figure beside its baseline:

1. **Local engine vs the bare script** on ``--posts`` (1M) simulated posts (CSV,
   ``load`` scenario). The bare script is what one would write by hand: read the
   CSV with pandas, run a word(1-2) TF-IDF + logistic regression ``predict`` over
   the texts. It runs as its own process like ``score`` does (interpreter start,
   imports, loading the fitted model from disk, reading, predicting); the ratio
   ``bare seconds / score seconds`` must reach 1.5. Both run ``--repeats`` (3)
   times, alternating, and the ratio is of their median runs: on this shared machine
   one run of either side can take half as long again as the next. Also reported:
   every pair, and the bare script's read + predict time alone (no start-up), as the
   issue measured it.
2. **Peak memory on ``--big-posts``** (10M) posts: the whole process tree of
   ``score`` (main + pool workers), target under 2 GB (``--big-posts 0`` skips it).
3. **Dask on a 2-worker LocalCluster over 8 input files** (the same posts as 8
   JSON Lines files): wall time, CPU seconds of the client process (the scheduler
   runs in it too) against all processes (client, nannies, workers): the client's
   share must stay under 20%; and every output compared with the local engine's on
   the same 8 files (posts.parquet rows, quarantine, duplicates, series,
   incidents, summary accounting).

Wall-time ratios suffer when other work shares the machine; CPU seconds of both
sides (all their processes) are reported too.

The machine is shared: the load average before and after each step is recorded.

    python benchmarks/score.py                          # 1M, 10M, dask
    python benchmarks/score.py --posts 200000 --big-posts 0      # quick
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cli, run_measured, write_result  # noqa: E402

BARE_SCRIPT = """
import pickle, sys, time
start = time.perf_counter()
cpu = time.process_time()
import pandas as pd
with open(sys.argv[2], "rb") as f:
    vec, clf = pickle.load(f)
read = time.perf_counter()
texts = pd.read_csv(sys.argv[1], usecols=["text"])["text"].astype(str).tolist()
predict = time.perf_counter()
for i in range(0, len(texts), 100_000):
    clf.predict(vec.transform(texts[i : i + 100_000]))
end = time.perf_counter()
print(f"{read - start} {predict - read} {end - predict} {time.process_time() - cpu}")
"""


def load() -> float:
    return round(os.getloadavg()[0], 2)


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


def fit_bare_model(data: Path, model: Path) -> None:
    """The bare script's model: TF-IDF (word 1-2) + LR fitted on 20k texts, pickled."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train = pd.read_csv(data, usecols=["text"], nrows=20_000)["text"].astype(str).tolist()
    labels = [("down" in t or "not working" in t) for t in train]
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
    clf = LogisticRegression(max_iter=200).fit(vec.fit_transform(train), labels)
    model.write_bytes(pickle.dumps((vec, clf)))


def posts_and_bare_model(work: Path, posts: int) -> tuple[Path, Path]:
    """*posts* simulated posts (``load`` scenario) in *work*, and the bare script's model
    fitted on them."""
    data = work / "posts.csv"
    simulate(data, posts)
    model = work / "bare.pkl"
    fit_bare_model(data, model)
    return data, model


def bare_baseline(data: Path, model: Path, work: Path, posts: int) -> dict[str, float]:
    script = work / "bare.py"
    script.write_text(BARE_SCRIPT)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(script), str(data), str(model)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    startup, read, predict, cpu = (float(x) for x in out.stdout.split())
    return {
        "seconds": round(seconds, 3),
        "cpu_s": round(cpu, 2),
        "posts_per_s": round(posts / seconds),
        "startup_and_model_s": round(startup, 3),
        "pandas_read_s": round(read, 3),
        "predict_s": round(predict, 3),
        "read_plus_predict_s": round(read + predict, 3),
    }


def run_with_cpu(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run *cmd*; wall seconds, peak RSS and CPU seconds of the top process vs all."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    cpu: dict[int, float] = {}
    peak = 0
    while proc.poll() is None:
        try:
            family = [proc, *proc.children(recursive=True)]
            rss = 0
            for p in family:
                try:
                    times = p.cpu_times()
                    cpu[p.pid] = times.user + times.system
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-3000:]}")
    client = cpu.get(proc.pid, 0.0)
    total = sum(cpu.values())
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak / 2**20, 1),
        "cpu_client_s": round(client, 2),
        "cpu_total_s": round(total, 2),
        "client_cpu_share": round(client / total, 3) if total else 0.0,
    }


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time (the lower middle one of an even count).

    >>> median_run([{"seconds": 3}, {"seconds": 1}, {"seconds": 2}])
    {'seconds': 2}
    """
    return sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]


def split_jsonl(data: Path, folder: Path, files: int = 8) -> list[str]:
    """The posts of *data* as *files* JSON Lines files (consecutive slices)."""
    frame = pd.read_csv(data, dtype=str)
    size = -(-len(frame) // files)
    paths = []
    for i in range(files):
        path = folder / f"part-{i}.jsonl"
        frame.iloc[i * size : (i + 1) * size].to_json(path, orient="records", lines=True)
        paths.append(str(path))
    return paths


def same_outputs(a: Path, b: Path) -> dict[str, bool]:
    posts = pd.read_parquet(a / "posts.parquet").equals(pd.read_parquet(b / "posts.parquet"))
    out = {"posts.parquet": bool(posts)}
    for name in ("quarantine.csv", "duplicates.csv", "series.csv", "incidents.json"):
        out[name] = (a / name).read_bytes() == (b / name).read_bytes()
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    for s in (sa, sb):
        for key in ("seconds", "engine"):
            s.pop(key)
    out["summary.json"] = sa == sb
    return out


def dask_vs_local(data: Path, work: Path, workers: int) -> dict:
    folder = work / "eight"
    folder.mkdir()
    inputs = split_jsonl(data, folder)
    env = {**os.environ, "OUTAGE_PSEUDONYM_KEY": "benchmark"}  # same pseudonyms in both
    before = load()
    local = run_with_cpu(
        [*cli(), "score", *inputs, "--out", str(work / "eight-local"), "-q"], env=env
    )
    dask = run_with_cpu(
        [
            *cli(),
            "score",
            *inputs,
            "--out",
            str(work / "eight-dask"),
            "--engine",
            "dask",
            "--workers",
            str(workers),
            "-q",
        ],
        env=env,
    )
    same = same_outputs(work / "eight-local", work / "eight-dask")
    return {
        "inputs": len(inputs),
        "format": "jsonl",
        "local": local,
        "dask_localcluster": {"workers": workers, **dask},
        "dask_time_ratio_vs_local": round(dask["seconds"] / local["seconds"], 2),
        "client_cpu_share": dask["client_cpu_share"],
        "target_client_cpu_share": 0.2,
        "outputs_equal_local": same,
        "all_equal": all(same.values()),
        "load_avg": [before, load()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--big-posts", type=int, default=10_000_000)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--dask-workers", type=int, default=2)
    parser.add_argument(
        "--repeats", type=int, default=3, help="alternating bare/score runs (median kept)"
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    result: dict = {"posts": args.posts, "command": "python " + " ".join(sys.argv)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data, model = posts_and_bare_model(work, args.posts)
        before = load()
        pairs = []
        for _ in range(args.repeats):  # alternating: both sides see the same machine
            baseline = bare_baseline(data, model, work, args.posts)
            shutil.rmtree(work / "local", ignore_errors=True)
            local = run_with_cpu([*cli(), "score", str(data), "--out", str(work / "local"), "-q"])
            local["posts_per_s"] = round(args.posts / local["seconds"])
            local["summary"] = json.loads((work / "local" / "summary.json").read_text())
            pairs.append((baseline, local))
        baseline = median_run([b for b, _ in pairs])
        local = median_run([s for _, s in pairs])
        summary = local.pop("summary")  # that run's own summary.json
        for _, other in pairs:
            other.pop("summary", None)
        result.update(
            {
                "load_avg": [before, load()],
                "repeats": args.repeats,
                "runs": [
                    {
                        "bare_s": b["seconds"],
                        "score_s": s["seconds"],
                        "ratio": round(b["seconds"] / s["seconds"], 2),
                    }
                    for b, s in pairs
                ],
                "baseline_bare_script": baseline,
                "score_local": local,
                "summary_local": summary,
                # medians of alternating runs: one run of either side can be off by half
                "throughput_ratio_vs_bare_script": round(baseline["seconds"] / local["seconds"], 2),
                "throughput_ratio_vs_read_plus_predict": round(
                    baseline["read_plus_predict_s"] / local["seconds"], 2
                ),
                # CPU seconds (all processes) are less sensitive to a shared machine's load
                "cpu_ratio_vs_bare_script": round(baseline["cpu_s"] / local["cpu_total_s"], 2),
                "target_ratio": 1.5,
            }
        )
        if not args.no_dask:
            result["dask_8_files"] = dask_vs_local(data, work, args.dask_workers)
        if args.big_posts:
            big = work / "big.csv"
            simulate(big, args.big_posts, seed=8)
            before = load()
            run = run_measured([*cli(), "score", str(big), "--out", str(work / "big"), "-q"])
            result["big"] = {
                "posts": args.big_posts,
                **run,
                "target_peak_rss_mb": 2048,
                "load_avg": [before, load()],
            }
    write_result("score", result)


if __name__ == "__main__":
    main()
