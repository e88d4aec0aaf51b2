"""Benchmark of the outage classifier against its targets, the plain baseline in the same run.

Measures (and writes ``benchmarks/results/classifier.json``):

1. leave-one-source-out (LOSO) over all 14 real sources (``labeled_posts.csv`` +
   ``labeled_posts_extra.csv``): for each source, fit on the other 13 (plus the
   project's self-written ``data/seed_posts.csv`` as training-only rows: never
   scored, never used for the threshold) and score the held-out source. Per source
   and pooled: PR-AUC, and precision/recall/F1 at the model's own threshold (chosen
   inside each fit on grouped out-of-fold scores of real posts only); beside it the
   same model without seed posts, and the plain baseline (word 1-2 + char_wb 2-5
   TF-IDF + LogisticRegression C=10, threshold 0.5) fitted on the same real rows;
2. symptom accuracy per source: on every true outage post (``predict_symptom``)
   and on correctly detected ones, beside the plain pipeline fitted on the symptoms of
   the training sources' outage posts; the confusion of symptoms per source;
3. complaint detection (``complaint`` column of the preotiuc2019 posts): a
   stratified 75/25 split (``--complaint-seeds N``: N splits); the ``train`` code path
   (candidate selection against the plain baseline, macro-F1 threshold; ``--candidates``
   adds e.g. ``plain-encoder``) fitted on 75% and scored on the held-out 25%, beside the
   plain baseline fitted on the same 75%: macro-F1;
4. batch throughput of ``OutageModel.predict_posts`` (1 and 2 processes), posts/s;
5. single-post latency and model load time.

Run: ``.venv/bin/python benchmarks/classifier.py [--model NAME] [--quick]
[--skip loso,complaint,speed] [--complaint-seeds 5] [--candidates
post,post-nolex,plain,plain-encoder --embedding-cache /tmp/emb.npz]``. Needs
``../shared/data`` (or ``$OUTAGE_SHARED_DATA``); encoder candidates need the
``encoder`` extra. A skipped section is kept from the previous result file.
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
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline, make_union
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from detector.text.classifier import OutageClassifier  # noqa: E402
from detector.text.modelstore import load_model  # noqa: E402
from detector.text.training import CANDIDATES, binary_metrics, train_model  # noqa: E402

SHARED = Path(os.environ.get("OUTAGE_SHARED_DATA", REPO.parent / "shared" / "data"))
LABELLED = SHARED / "posts" / "labeled_posts.csv"
EXTRA = SHARED / "posts" / "labeled_posts_extra.csv"
SEED = REPO / "data" / "seed_posts.csv"
RESULTS = REPO / "benchmarks" / "results" / "classifier.json"


def baseline_pipeline() -> object:
    """The issue's plain baseline: TF-IDF word 1-2 + char_wb 2-5, logistic regression."""
    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ),
        LogisticRegression(max_iter=2000, C=10),
    )


def real_posts() -> pd.DataFrame:
    """All labelled real posts of the 14 sources."""
    frames = [pd.read_csv(LABELLED), pd.read_csv(EXTRA)]
    cols = ["uid", "source", "text", "label", "symptom", "complaint"]
    return pd.concat([f[cols] for f in frames], ignore_index=True)


def _scores(truth: np.ndarray, pred: np.ndarray, prob: np.ndarray) -> dict:
    m = binary_metrics(truth, pred, prob)
    return {k: m[k] for k in ("pr_auc", "f1", "precision", "recall")}


def loso(real: pd.DataFrame, seed: pd.DataFrame, params: dict, no_seed: bool = False) -> dict:
    """Leave-one-source-out: ours (and, with *no_seed*, ours without seed posts), baseline."""
    n = len(real)
    truth_all = (real.label == "outage").to_numpy()
    variants = ("ours", "ours_no_seed", "baseline") if no_seed else ("ours", "baseline")
    prob = {v: np.zeros(n) for v in variants}
    pred = {v: np.zeros(n, dtype=bool) for v in variants}
    sym_all = np.full(n, None, dtype=object)
    sym_base = np.full(n, None, dtype=object)
    sym_detected = np.full(n, None, dtype=object)
    has_sym = truth_all & real.symptom.notna().to_numpy()
    rows = {}
    for source in sorted(real.source.unique()):
        held = (real.source == source).to_numpy()
        rest = real[~held]
        texts = rest.text.tolist() + seed.text.tolist()
        labels = rest.label.tolist() + seed.label.tolist()
        symptoms = rest.symptom.tolist() + seed.symptom.tolist()
        groups = rest.source.tolist() + [None] * len(seed)
        held_texts = real.text[held].tolist()
        started = time.perf_counter()
        model = OutageClassifier(**params).fit(texts, labels, symptom=symptoms, groups=groups)
        fit_s = time.perf_counter() - started
        cols = model.predict_columns(held_texts)
        prob["ours"][held], pred["ours"][held] = cols["positive_prob"], cols["is_positive"]
        sym_detected[held] = cols["symptom"]
        sym_all[held] = model.predict_symptom(held_texts)
        alone = None
        if no_seed:
            alone = OutageClassifier(**params).fit(
                rest.text.tolist(),
                rest.label.tolist(),
                symptom=rest.symptom.tolist(),
                groups=rest.source.tolist(),
            )
            cols = alone.predict_columns(held_texts)
            prob["ours_no_seed"][held] = cols["positive_prob"]
            pred["ours_no_seed"][held] = cols["is_positive"]
        with threadpool_limits(1):
            base = baseline_pipeline().fit(rest.text, rest.label == "outage")
            # the symptom baseline: the same pipeline on the real outage posts' symptoms
            known = rest[(rest.label == "outage") & rest.symptom.notna()]
            sym_pipe = baseline_pipeline().fit(known.text, known.symptom.astype(str))
        if (held & has_sym).any():
            sym_base[held & has_sym] = sym_pipe.predict(real.text[held & has_sym].tolist())
        prob["baseline"][held] = base.predict_proba(held_texts)[:, 1]
        pred["baseline"][held] = prob["baseline"][held] >= 0.5
        truth = truth_all[held]
        row: dict = {"n": int(held.sum()), "outage_posts": int(truth.sum())}
        for v in variants:
            row[v] = _scores(truth, pred[v][held], prob[v][held])
        row["threshold"] = round(model.threshold_, 3)
        if alone is not None:
            row["threshold_no_seed"] = round(alone.threshold_, 3)
        row["symptom_accuracy"] = _symptom_acc(real[held], sym_all[held])
        row["symptom_accuracy_baseline"] = _symptom_acc(real[held], sym_base[held])
        row["symptom_confusion"] = _confusion(real[held], sym_all[held])
        row["fit_seconds"] = round(fit_s, 1)
        rows[source] = row
        print(
            f"LOSO {source}: ours PR-AUC {row['ours']['pr_auc']} F1 {row['ours']['f1']} | "
            f"baseline {row['baseline']['pr_auc']} {row['baseline']['f1']}",
            flush=True,
        )
    pooled = {v: _scores(truth_all, pred[v], prob[v]) for v in variants}
    macro = {
        v: {k: round(float(np.mean([r[v][k] for r in rows.values()])), 4) for k in ("pr_auc", "f1")}
        for v in variants
    }
    ok = truth_all & pred["ours"] & real.symptom.notna().to_numpy()
    return {
        "pooled": pooled,
        "macro_over_sources": macro,
        "symptom_accuracy_all_outage_posts": _symptom_acc(real, sym_all),
        "symptom_accuracy_all_outage_posts_baseline": _symptom_acc(real, sym_base),
        "symptom_accuracy_macro_over_sources": {
            "ours": _mean([r["symptom_accuracy"] for r in rows.values()]),
            "baseline": _mean([r["symptom_accuracy_baseline"] for r in rows.values()]),
        },
        "symptom_confusion": _confusion(real, sym_all),
        "symptom_accuracy_detected": round(
            float(np.mean(sym_detected[ok] == real.symptom.to_numpy()[ok])), 4
        ),
        "per_source": rows,
        "notes": (
            "ours: fitted on 13 real sources + seed posts (training-only); threshold chosen "
            "inside the fit on grouped out-of-fold scores of real posts. ours_no_seed (with "
            "--no-seed-variant): same without seed posts. baseline: plain TF-IDF + LR on the "
            "same 13 real sources, threshold 0.5. Symptom accuracy: over every true outage "
            "post of the held-out source, ours by predict_symptom (model + keyword rules), "
            "the baseline by the same plain pipeline fitted on the symptoms of the 13 "
            "sources' real outage posts. symptom_confusion: truth -> predicted -> posts."
        ),
    }


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def _confusion(frame: pd.DataFrame, predicted: np.ndarray) -> dict:
    """``{truth: {predicted: posts}}`` over the true outage posts with a symptom."""
    ok = ((frame.label == "outage") & frame.symptom.notna()).to_numpy()
    table = pd.crosstab(frame.symptom.to_numpy()[ok], predicted[ok].astype(str))
    return {t: {p: int(v) for p, v in row.items() if v} for t, row in table.iterrows()}


def _symptom_acc(frame: pd.DataFrame, predicted: np.ndarray) -> float | None:
    ok = ((frame.label == "outage") & frame.symptom.notna()).to_numpy()
    if not ok.any():
        return None
    return round(float(np.mean(predicted[ok] == frame.symptom.to_numpy()[ok])), 4)


def complaint_split(
    real: pd.DataFrame, cv: int, split_seed: int = 0, candidates: list[str] | None = None
) -> dict:
    """``train --label-col complaint --positive 1`` on 75% of preotiuc2019, scored on 25%."""
    pre = real[real.source == "preotiuc2019"].dropna(subset=["complaint"]).copy()
    pre["complaint"] = pre.complaint.astype(int)
    train, test = train_test_split(
        pre, test_size=0.25, stratify=pre.complaint, random_state=split_seed
    )
    truth = test.complaint.to_numpy() == 1
    out: dict = {
        "n_train": len(train),
        "n_test": len(test),
        "split": f"stratified 75/25, seed {split_seed}",
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.csv"
        train[["text", "complaint"]].to_csv(path, index=False)
        card = train_model(
            [path],
            Path(tmp) / "complaint",
            label_col="complaint",
            positive="1",
            cv=cv,
            params={"threshold_metric": "macro_f1"},
            candidates=candidates,
        )
        model = load_model(Path(tmp) / "complaint")
        scored = model.predict_posts(test.text.tolist())
    out["train"] = binary_metrics(truth, scored.is_outage.to_numpy(), scored.outage_prob.to_numpy())
    out["train"]["selected"] = card["selection"]["winner"]
    out["train"]["candidates_cv"] = card["selection"]["candidates"]
    with threadpool_limits(1):
        base = baseline_pipeline().fit(train.text, train.complaint == 1)
    p = base.predict_proba(test.text)[:, 1]
    out["baseline"] = binary_metrics(truth, p >= 0.5, p)
    print(
        f"complaint: train macro-F1 {out['train']['macro_f1']} "
        f"(selected {out['train']['selected']}), baseline {out['baseline']['macro_f1']}",
        flush=True,
    )
    return out


def _embed(real: pd.DataFrame, cache: str | None) -> None:
    """Fill the shared encoder's memo with the labelled posts (from *cache* when given)."""
    from detector.text import tiered
    from detector.text.encoder import SentenceEncoder

    # one torch thread: the benchmark shares a 2-core machine (another run may time speed)
    encoder = tiered._ENCODER.setdefault(128, SentenceEncoder(max_length=128, threads=1))
    path = Path(cache) if cache else None
    if path is not None and path.is_file():
        stored = np.load(path, allow_pickle=False)
        encoder.remember(stored["texts"].tolist(), stored["vectors"])
        print(f"embedding cache: {len(stored['texts'])} vectors from {path}", flush=True)
    texts = real.text.astype(str).tolist()
    started = time.perf_counter()
    vectors = encoder.encode(texts)
    print(f"encoded {len(texts)} posts in {time.perf_counter() - started:.0f}s", flush=True)
    if path is not None and not path.is_file():
        np.savez(path, texts=np.asarray(texts), vectors=vectors)


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
    parser.add_argument("--model", default=None, help="model to measure (default: the default)")
    parser.add_argument("--params", default=None, help="JSON classifier parameters to use instead")
    parser.add_argument("--quick", action="store_true", help="fewer posts and folds")
    parser.add_argument("--skip", default="", help="comma list of: loso,complaint,speed")
    parser.add_argument("--out", default=str(RESULTS), help="result file")
    parser.add_argument(
        "--no-seed-variant", action="store_true", help="also LOSO without the seed posts"
    )
    parser.add_argument(
        "--complaint-seeds", type=int, default=1, help="complaint split repeated on N seeds"
    )
    parser.add_argument(
        "--candidates",
        default=None,
        help="comma list of train candidates for the complaint task (default: train's own; "
        "the plain baseline is always compared); e.g. post,post-nolex,plain,plain-encoder",
    )
    parser.add_argument(
        "--embedding-cache",
        default=None,
        help=".npz (texts, vectors) of sentence embeddings of the labelled posts, as written "
        "by benchmarks/tiered.py: read when present, written when missing (encoder candidates)",
    )
    args = parser.parse_args()
    if not (LABELLED.is_file() and EXTRA.is_file()):
        sys.exit(f"shared data not found at {SHARED}")
    skip = set(filter(None, args.skip.split(",")))
    real = real_posts()
    seed = pd.read_csv(SEED)
    model = load_model(args.model)
    params = dict(model.card["parameters"])
    if args.params:
        params.update(json.loads(args.params))
    result: dict = {
        "model": model.name,
        "model_parameters": params,
        **(
            {
                "model_note": (
                    "this model was distilled from a fine-tuned teacher (its card's "
                    "'distillation'); the leave-one-source-out fits below refit its regression "
                    "on the labelled posts alone, without the teacher: "
                    "benchmarks/distil_label_head.py measures the distillation"
                )
            }
            if "distillation" in model.card
            else {}
        ),
        "targets": {
            "loso_f1_goal": 0.85,
            "complaint_macro_f1": 0.87,
            "symptom_accuracy": 0.85,
            "posts_per_s_2proc": 50_000,
        },
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()},
    }
    if "loso" not in skip:
        result["loso"] = loso(real, seed, params, args.no_seed_variant)
        print(json.dumps(result["loso"]["pooled"]), flush=True)
    candidates = args.candidates.split(",") if args.candidates else None
    if "complaint" not in skip:
        if candidates and any(CANDIDATES[c].get("tier") == "encoder" for c in candidates):
            _embed(real, args.embedding_cache)
        result["complaint"] = complaint_split(real, 3 if args.quick else 5, 0, candidates)
        if args.complaint_seeds > 1:  # does train lose to the baseline on any split?
            runs = [result["complaint"]] + [
                complaint_split(real, 3 if args.quick else 5, s, candidates)
                for s in range(1, args.complaint_seeds)
            ]
            result["complaint_over_splits"] = {
                "splits": len(runs),
                "train_macro_f1": [r["train"]["macro_f1"] for r in runs],
                "baseline_macro_f1": [r["baseline"]["macro_f1"] for r in runs],
                "selected": [r["train"]["selected"] for r in runs],
                "train_mean": round(float(np.mean([r["train"]["macro_f1"] for r in runs])), 4),
                "baseline_mean": round(
                    float(np.mean([r["baseline"]["macro_f1"] for r in runs])), 4
                ),
                "train_below_baseline": sum(
                    r["train"]["macro_f1"] < r["baseline"]["macro_f1"] for r in runs
                ),
            }
            print(f"complaint over splits: {result['complaint_over_splits']}", flush=True)
    if "speed" not in skip:
        n = 50_000 if args.quick else 200_000
        result["throughput"] = throughput(args.model, real, n, 100_000 if n > 100_000 else n)
        result["latency"] = latency(args.model, real, 300 if args.quick else 1000)
    result["machine"]["load_avg_at_end"] = os.getloadavg()
    out = Path(args.out)
    if skip and out.is_file():  # keep the sections this run skipped from the last run
        previous = json.loads(out.read_text())
        for key in ("loso", "complaint", "complaint_over_splits", "throughput", "latency"):
            if key in previous and key not in result:
                result[key] = previous[key]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
