"""Does distilling the encoder into the fast model pay off? Leave-one-source-out, same run.

For each of the 14 real sources held out: a teacher (the fast model's features and the
frozen MiniLM encoder, probabilities averaged; symptoms 0.8 encoder + 0.2 fast) is
fitted on the other 13 sources + seed posts and labels the unlabelled posts of
``../shared/data/unlabeled/app_reviews_and_support.csv`` (never those of the held-out
source; only labels the teacher gives with probability >= ``--min-prob``). The student
is the fast model's logistic regression on ``post-nolex`` features fitted on the real
and pseudo-labelled rows; beside it the same model without pseudo-labels. Compared:
pooled and per-source PR-AUC of the outage class and symptom accuracy on true outage
posts (the models' own argmax, no keyword rules, no calibration: a ranking comparison).

Needs the ``encoder`` extra; ``--embedding-cache`` as in ``benchmarks/tiered.py``.
Writes ``benchmarks/results/distillation.json``.

Run: ``python benchmarks/distillation.py --embedding-cache /tmp/emb.npz``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from classifier import SEED, SHARED, real_posts  # noqa: E402

from detector.text.features import PostVectorizer  # noqa: E402
from detector.text.tiered import shared_encoder  # noqa: E402

UNLABELLED = SHARED / "unlabeled" / "app_reviews_and_support.csv"
RESULTS = REPO / "benchmarks" / "results" / "distillation.json"


def _lr(C: float, balanced: bool) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced" if balanced else None, max_iter=3000)


def _fast(texts: list[str], y: np.ndarray, sym: np.ndarray) -> tuple:
    vec = PostVectorizer(lexicon_weight=0.0).fit(texts)
    features = vec.transform(texts)
    has = (y == "outage") & pd.notna(sym)
    label = _lr(4.0, True).fit(features, y)
    symptom = _lr(10.0, False).fit(features[np.flatnonzero(has)], sym[has].astype(str))
    return vec, label, symptom


def run(real: pd.DataFrame, seed: pd.DataFrame, unl: pd.DataFrame, min_prob: float) -> dict:
    encoder = shared_encoder()
    emb_real = encoder.encode(real.text.astype(str).tolist())
    emb_seed = encoder.encode(seed.text.astype(str).tolist())
    emb_unl = encoder.encode(unl.text.astype(str).tolist())
    truth = (real.label == "outage").to_numpy()
    has_sym = truth & real.symptom.notna().to_numpy()
    prob = {v: np.zeros(len(real)) for v in ("fast", "student")}
    sym = {v: np.full(len(real), None, dtype=object) for v in ("fast", "student")}
    rows = {}
    for source in sorted(real.source.unique()):
        held = (real.source == source).to_numpy()
        rest = real[~held]
        texts = rest.text.tolist() + seed.text.tolist()
        y = np.asarray(rest.label.tolist() + seed.label.tolist(), dtype=object)
        s = np.asarray(rest.symptom.tolist() + seed.symptom.tolist(), dtype=object)
        emb = np.vstack([emb_real[~held], emb_seed])
        has = (y == "outage") & pd.notna(s)
        vec, label, symptom = _fast(texts, y, s)
        head = _lr(4.0, True).fit(emb, y)
        sym_head = _lr(2.0, False).fit(emb[has], s[has].astype(str))
        use = (unl.source != source).to_numpy()
        u_texts = unl.text[use].astype(str).tolist()
        u_feat = vec.transform(u_texts)
        teach = 0.5 * label.predict_proba(u_feat) + 0.5 * head.predict_proba(emb_unl[use])
        keep = teach.max(axis=1) >= min_prob
        u_label = label.classes_[teach.argmax(axis=1)]
        teach_sym = 0.2 * symptom.predict_proba(u_feat) + 0.8 * sym_head.predict_proba(emb_unl[use])
        u_sym = np.where(u_label == "outage", symptom.classes_[teach_sym.argmax(axis=1)], None)
        s_vec, s_label, s_symptom = _fast(
            texts + [t for t, k in zip(u_texts, keep, strict=True) if k],
            np.concatenate([y, u_label[keep]]),
            np.concatenate([s, u_sym[keep]]),
        )
        held_texts = real.text[held].tolist()
        for name, (v, lab, sy) in (
            ("fast", (vec, label, symptom)),
            ("student", (s_vec, s_label, s_symptom)),
        ):
            f = v.transform(held_texts)
            prob[name][held] = lab.predict_proba(f)[:, list(lab.classes_).index("outage")]
            sym[name][held] = sy.predict(f)
        t, hs = truth[held], has_sym[held]
        rows[source] = {
            "pseudo_labelled": int(keep.sum()),
            **{
                name: {
                    "pr_auc": round(float(average_precision_score(t, prob[name][held])), 4),
                    "symptom_accuracy": round(
                        float(np.mean(sym[name][held][hs] == real.symptom.to_numpy()[held][hs])),
                        4,
                    )
                    if hs.any()
                    else None,
                }
                for name in ("fast", "student")
            },
        }
        print(f"{source}: {rows[source]}", flush=True)
    pooled = {
        name: {
            "pr_auc": round(float(average_precision_score(truth, prob[name])), 4),
            "symptom_accuracy": round(
                float(np.mean(sym[name][has_sym] == real.symptom.to_numpy()[has_sym])), 4
            ),
        }
        for name in ("fast", "student")
    }
    return {"pooled": pooled, "per_source": rows, "min_prob": min_prob}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedding-cache", action="append", default=[], help=".npz file(s)")
    parser.add_argument("--min-prob", type=float, default=0.6)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    encoder = shared_encoder()
    for cache in args.embedding_cache:
        stored = np.load(cache, allow_pickle=False)
        encoder.remember(stored["texts"].tolist(), stored["vectors"])
    real, seed = real_posts(), pd.read_csv(SEED)
    unl = pd.read_csv(UNLABELLED)
    with threadpool_limits(1):
        result = run(real, seed, unl, args.min_prob)
    result["encoder"] = encoder.describe()
    result["machine"] = {"cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg()}
    print(json.dumps(result["pooled"]), flush=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
