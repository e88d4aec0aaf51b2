"""Benchmark of the outage classifier against the issue's targets, baselines in the same run.

Measures (and writes ``benchmarks/results/classifier.json``):

1. leave-one-source-out (LOSO) outage-vs-rest F1 on ``labeled_posts.csv``: for each
   source, train on the other sources (+ the project's seed posts) and score the
   held-out source; next to the plain baseline (TF-IDF word 1-2 + char 2-5 +
   logistic regression) trained on the same rows, and on the labelled rows only;
2. symptom accuracy on correctly detected outage posts (LOSO);
3. complaint detection on the Preotiuc-Pietro tweets with the ``train`` code path,
   10-fold CV, macro-F1;
4. batch throughput of ``OutageModel.predict_posts`` (1 and 2 processes) vs
   ``TfidfVectorizer + LogisticRegression.predict`` on the same posts, wall clock and
   CPU time (the machine is shared, so CPU time is the steadier number), and how the
   time splits between normalisation, tokenisation/vectorising and the models;
5. single-post latency and model load time.

Run: ``.venv/bin/python benchmarks/classifier.py [--model NAME] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline, make_union
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from detector.text.classifier import OutageClassifier  # noqa: E402
from detector.text.modelstore import load_model  # noqa: E402
from detector.text.training import train_model  # noqa: E402

SHARED = Path(os.environ.get("OUTAGE_SHARED_DATA", REPO.parent / "shared" / "data"))
LABELLED = SHARED / "posts" / "labeled_posts.csv"
SEED = REPO / "data" / "seed_posts.csv"
RESULTS = REPO / "benchmarks" / "results" / "classifier.json"


def baseline_pipeline() -> object:
    """The issue's plain baseline: TF-IDF word 1-2 + char 2-5, logistic regression."""
    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ),
        LogisticRegression(max_iter=2000, C=10),
    )


def loso(labelled: pd.DataFrame, seed: pd.DataFrame, params: dict) -> dict:
    """Leave-one-source-out F1 of our model and the baselines, per source and pooled."""
    rows = {}
    pooled = {"ours": ([], []), "baseline_same_rows": ([], []), "baseline_labelled_only": ([], [])}
    symptom_hits: list[bool] = []
    for source in sorted(labelled.source.unique()):
        held = labelled[labelled.source == source]
        rest = labelled[labelled.source != source]
        train = pd.concat([rest, seed], ignore_index=True)
        truth = (held.label == "outage").to_numpy()
        started = time.perf_counter()
        model = OutageClassifier(**params).fit(
            train.text.tolist(), train.label.tolist(), symptom=train.symptom.tolist()
        )
        cols = model.predict_columns(held.text.tolist())
        ours = cols["is_positive"]
        ok = truth & ours & held.symptom.notna().to_numpy()
        hits = cols["symptom"][ok] == held.symptom.to_numpy()[ok]
        symptom_hits.extend(hits.tolist())
        fit_s = time.perf_counter() - started
        with threadpool_limits(1):
            same = baseline_pipeline().fit(train.text, train.label == "outage")
            only = baseline_pipeline().fit(rest.text, rest.label == "outage")
        b_same = same.predict(held.text).astype(bool)
        b_only = only.predict(held.text).astype(bool)
        for key, pred in (
            ("ours", ours),
            ("baseline_same_rows", b_same),
            ("baseline_labelled_only", b_only),
        ):
            pooled[key][0].extend(truth.tolist())
            pooled[key][1].extend(pred.tolist())
        rows[source] = {
            "n": len(held),
            "outage_posts": int(truth.sum()),
            "f1": round(f1_score(truth, ours), 4),
            "predicted_outage": int(ours.sum()),
            "threshold": model.threshold_,
            "baseline_f1_same_rows": round(f1_score(truth, b_same), 4),
            "baseline_f1_labelled_only": round(f1_score(truth, b_only), 4),
            "symptom_accuracy": round(float(np.mean(hits)), 4) if len(hits) else None,
            "fit_seconds": round(fit_s, 1),
        }
        print(f"LOSO {source}: {rows[source]}", flush=True)
    result = {k: round(f1_score(t, p), 4) for k, (t, p) in pooled.items()}
    return {
        "pooled_f1": result["ours"],
        "pooled_baseline_f1_same_rows": result["baseline_same_rows"],
        "pooled_baseline_f1_labelled_only": result["baseline_labelled_only"],
        "macro_over_sources_f1": round(float(np.mean([r["f1"] for r in rows.values()])), 4),
        "symptom_accuracy_on_detected": round(float(np.mean(symptom_hits)), 4),
        "symptom_n": len(symptom_hits),
        "per_source": rows,
    }


def complaint_cv(folds: int) -> dict:
    """``train --label-col complaint --positive 1 --cv 10 [--threshold-metric macro_f1]``."""
    out = {}
    for metric in ("f1", "macro_f1"):
        with tempfile.TemporaryDirectory() as tmp:
            card = train_model(
                [LABELLED],
                Path(tmp) / "complaint",
                label_col="complaint",
                positive="1",
                cv=folds,
                params={"threshold_metric": metric},
            )
        cv = card["cv"]
        keys = ("precision", "recall", "f1", "macro_f1", "pr_auc", "n", "folds")
        out[f"threshold_metric={metric}"] = {k: cv[k] for k in keys}
    return out


def _score_chunk(args: tuple[str, list[str]]) -> tuple[float, float]:
    ref, texts = args
    model = _WORKER_MODEL.get(ref) or _WORKER_MODEL.setdefault(ref, load_model(ref))
    started, cpu = time.perf_counter(), time.process_time()
    model.predict_posts(texts)
    return time.perf_counter() - started, time.process_time() - cpu


_WORKER_MODEL: dict = {}


def throughput(ref: str | None, labelled: pd.DataFrame, n_posts: int, chunk: int) -> dict:
    """Posts per second of predict_posts (1 and 2 processes) and of the TF-IDF+LR baseline."""
    texts = (labelled.text.tolist() * (n_posts // len(labelled) + 1))[:n_posts]
    model = load_model(ref)
    out: dict = {"posts": n_posts, "chunk": chunk}

    # the baseline: TfidfVectorizer (default word tokens) + LogisticRegression.predict
    with threadpool_limits(1):
        vec = TfidfVectorizer(sublinear_tf=True, min_df=2).fit(labelled.text)
        clf = LogisticRegression(max_iter=2000).fit(
            vec.transform(labelled.text), labelled.label == "outage"
        )
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, n_posts, chunk):
        clf.predict(vec.transform(texts[i : i + chunk]))
    base_wall, base_cpu = time.perf_counter() - wall, time.process_time() - cpu
    out["baseline_tfidf_lr_posts_per_s"] = round(n_posts / base_wall)
    out["baseline_tfidf_lr_posts_per_cpu_s"] = round(n_posts / base_cpu)

    # ours, one process, with the split of the time
    est = model.estimator
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, n_posts, chunk):
        model.predict_posts(texts[i : i + chunk])
    one_wall, one_cpu = time.perf_counter() - wall, time.process_time() - cpu
    out["ours_1proc_posts_per_s"] = round(n_posts / one_wall)
    out["ours_1proc_posts_per_cpu_s"] = round(n_posts / one_cpu)
    part = texts[:chunk]
    t0 = time.process_time()
    normalised = est.vectorizer_.normalise(part)
    t1 = time.process_time()
    features = est.vectorizer_.transform_normalised(normalised)
    t2 = time.process_time()
    est.predict_columns(normalised)
    t3 = time.process_time()
    vec_base = TfidfVectorizer()
    t4 = time.process_time()
    vec_base.build_analyzer()  # sklearn's default token pattern, for comparison
    analyzer = vec_base.build_analyzer()
    for text in part:
        analyzer(text)
    t5 = time.process_time()
    out["split_cpu_s_per_100k"] = {
        "normalise": round((t1 - t0) * 1e5 / len(part), 3),
        "tokenise_vectorise": round((t2 - t1) * 1e5 / len(part), 3),
        "models_and_output": round(((t3 - t2) - (t2 - t1)) * 1e5 / len(part), 3),
        "sklearn_default_token_pattern_only": round((t5 - t4) * 1e5 / len(part), 3),
    }
    out["n_features"] = int(features.shape[1])

    # ours, two processes (what the batch engine does)
    chunks = [(ref, texts[i : i + chunk]) for i in range(0, n_posts, chunk)]
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        pool.map(_score_chunk, chunks[:2])  # load the model in each worker first
        wall = time.perf_counter()
        timings = pool.map(_score_chunk, chunks)
        two_wall = time.perf_counter() - wall
    out["ours_2proc_posts_per_s"] = round(n_posts / two_wall)
    out["ours_2proc_posts_per_cpu_s_per_worker"] = round(n_posts / sum(t[1] for t in timings))
    out["ratio_2proc_vs_baseline_wall"] = round(two_wall and base_wall / two_wall, 2)
    out["ratio_1proc_vs_baseline_cpu"] = round(base_cpu / one_cpu, 2)
    print(f"throughput: {out}", flush=True)
    return out


def latency(ref: str | None, labelled: pd.DataFrame, repeats: int) -> dict:
    """Single-post latency of predict_posts, and the model load time."""
    started = time.perf_counter()
    model = load_model(ref)
    load_s = time.perf_counter() - started
    texts = labelled.text.sample(repeats, replace=True, random_state=0).tolist()
    model.predict_posts([texts[0]])
    wall, cpu = [], []
    for text in texts:
        t, c = time.perf_counter(), time.process_time()
        model.predict_posts([text])
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    out = {
        "model": model.name,
        "load_seconds": round(load_s, 3),
        "single_post_median_ms": round(statistics.median(wall) * 1000, 3),
        "single_post_p95_ms": round(float(np.percentile(wall, 95)) * 1000, 3),
        "single_post_median_cpu_ms": round(statistics.median(cpu) * 1000, 3),
        "repeats": repeats,
    }
    print(f"latency: {out}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model to time (default: the default)")
    parser.add_argument("--quick", action="store_true", help="fewer posts and folds")
    parser.add_argument("--skip", default="", help="comma list of: loso,complaint,speed")
    args = parser.parse_args()
    if not LABELLED.is_file():
        sys.exit(f"shared data not found at {LABELLED}")
    skip = set(filter(None, args.skip.split(",")))
    labelled = pd.read_csv(LABELLED)
    seed = pd.read_csv(SEED)
    model = load_model(args.model)
    params = {k: v for k, v in model.card["parameters"].items()}
    result: dict = {
        "model": model.name,
        "model_parameters": params,
        "targets": {
            "loso_f1": 0.85,
            "complaint_macro_f1": 0.87,
            "symptom_accuracy": 0.80,
            "posts_per_s": 100_000,
            "single_post_median_ms": 2.0,
        },
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()},
    }
    if "loso" not in skip:
        result["loso"] = loso(labelled, seed, params)
    if "complaint" not in skip:
        result["complaint_cv"] = complaint_cv(3 if args.quick else 10)
        print(f"complaint: {result['complaint_cv']}", flush=True)
    if "speed" not in skip:
        n = 50_000 if args.quick else 200_000
        result["throughput"] = throughput(args.model, labelled, n, 100_000 if n > 100_000 else n)
        result["latency"] = latency(args.model, labelled, 300 if args.quick else 1000)
    result["machine"]["load_avg_at_end"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
