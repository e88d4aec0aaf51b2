"""Does the tier's symptom mix, distilled through unlabelled real posts, lift the default
(fast) model's symptoms on sources it has never seen?

The default model names symptoms by an n-gram regression plus keyword rules (0.770
pooled leave-one-source-out); the optional tier by a mix with a fine-tuned
all-mpnet-base-v2 head (0.849), at a few hundred posts a second. Here, in each of
``--folds`` fits holding out groups of whole real sources (seed posts training-only):

- ``default``: the shipped default's recipe (its card's parameters) fitted on the other
  sources, symptoms by ``predict_symptom`` (regression + rules) on every true outage post
  of the held-out sources;
- ``teacher``: the tier's symptom fit (``encoder-large``: fast n-gram head, frozen MiniLM
  head, one fine-tuned mpnet head at the candidate's weight) on the same posts;
- ``student_*``: the default's symptom regression refitted on its labelled outage posts
  plus the teacher's symptoms of the unlabelled posts
  (``../shared/data/unlabeled/app_reviews_and_support.csv``) that the fold's default
  model calls outages, from the training sources only (never the held-out ones):
  ``hard`` the teacher's top symptom, ``soft`` every symptom weighted by its probability,
  each at pool weight 0.3 / 1.0; keyword rules on top as in the default;
- ``plain``: the issue's plain TF-IDF + LR fitted on the training outage posts' symptoms.

Run: ``python benchmarks/symptom_distillation.py --dump /tmp/distil.json`` (resumes from
the dump); writes ``benchmarks/results/symptom_distillation.json``. Needs the
``encoder`` extra (torch) and ``../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from classifier import SEED, baseline_pipeline, real_posts  # noqa: E402
from symptom_heads import (  # noqa: E402
    CANDIDATE,
    UNLABELED,
    fit_tier_symptoms,
    training_posts,
)
from tiered import source_folds  # noqa: E402

from detector.text import tiered  # noqa: E402
from detector.text.classifier import OutageClassifier  # noqa: E402
from detector.text.encoder import SentenceEncoder  # noqa: E402
from detector.text.modelstore import load_model  # noqa: E402
from detector.text.tiered import TieredClassifier, symptom_rows  # noqa: E402
from detector.text.training import CANDIDATES  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "symptom_distillation.json"
#: (name, soft labels, pool weight) of the students.
STUDENTS = (
    ("student_hard_w0.3", False, 0.3),
    ("student_hard_w1.0", False, 1.0),
    ("student_soft_w0.3", True, 0.3),
    ("student_soft_w1.0", True, 1.0),
)


def student_symptoms(
    model: OutageClassifier,
    labelled: list[str],
    labelled_symptoms: np.ndarray,
    pool: list[str],
    pool_proba: np.ndarray,
    classes: np.ndarray,
    held: list[str],
    *,
    soft: bool,
    weight: float,
) -> np.ndarray:
    """Symptoms of *held* by *model* with its symptom regression refitted on the labelled
    outage posts plus the *pool* posts labelled by the teacher (*pool_proba*, columns
    *classes*), the keyword rules on top; *model* is left as it was."""
    from sklearn.linear_model import LogisticRegression

    features = model.vectorizer_.transform(labelled + pool)
    n = len(labelled)
    rows, names, weights = list(range(n)), list(labelled_symptoms), [1.0] * n
    if soft:
        for c, name in enumerate(classes):
            keep = np.flatnonzero(pool_proba[:, c] >= 0.05)
            rows += (n + keep).tolist()
            names += [name] * len(keep)
            weights += (weight * pool_proba[keep, c]).tolist()
    else:
        rows += list(range(n, n + len(pool)))
        names += classes[pool_proba.argmax(1)].tolist()
        weights += [weight] * len(pool)
    student = LogisticRegression(C=model.symptom_C, max_iter=2000)
    with threadpool_limits(1):
        student.fit(features[rows], np.asarray(names), sample_weight=np.asarray(weights))
    kept = model.symptom_model_
    model.symptom_model_ = student
    try:
        return np.asarray(model.predict_symptom(held), dtype=object)
    finally:
        model.symptom_model_ = kept


def teacher_proba(tier: TieredClassifier, texts: list[str], tuned_weight: float) -> np.ndarray:
    """The tier's symptom probabilities of *texts* (its heads mixed, one tuned head at
    *tuned_weight*; columns: the fast model's symptom classes)."""
    return tier.mix_symptom_parts(tier.symptom_parts(texts), tuned_weights=[tuned_weight])


def run(real: pd.DataFrame, seed: pd.DataFrame, folds: int, dump: Path) -> dict:
    """Every fold's symptoms of each variant, written to *dump* after each fold."""
    params = dict(load_model(None).card["parameters"])
    tuner = dict(CANDIDATES[CANDIDATE]["symptom_tuner"])
    tuned_weight = float(CANDIDATES[CANDIDATE]["tuned_weight"])
    unlabelled = pd.read_csv(UNLABELED)
    unlabelled = unlabelled[~unlabelled.text.isin(set(real.text))].reset_index(drop=True)
    truth_all = (real.label == "outage").to_numpy() & real.symptom.notna().to_numpy()
    out: dict = json.loads(dump.read_text()) if dump.is_file() else {"folds": {}}
    for k, held_sources in enumerate(source_folds(real, folds)):
        if str(k) in out["folds"]:
            print(f"fold {k}: kept from {dump}", flush=True)
            continue
        started = time.perf_counter()
        held = real.source.isin(held_sources).to_numpy()
        rest = real[~held]
        texts, labels, symptom, groups = training_posts(rest, seed)
        rows = np.flatnonzero(held & truth_all)
        held_texts = real.text.iloc[rows].astype(str).tolist()

        default = OutageClassifier(**params).fit(texts, labels, symptom=symptom, groups=groups)
        pool_all = unlabelled[~unlabelled.source.isin(held_sources)]
        called = default.predict_columns(pool_all.text.astype(str).tolist())["is_positive"]
        pool = pool_all.text.astype(str)[np.asarray(called, dtype=bool)].tolist()

        tier, is_pos = fit_tier_symptoms(
            texts, labels, symptom, groups, [{**tuner, "random_state": 0}]
        )
        classes = tier.fast_.symptom_model_.classes_.astype(str)
        if list(classes) != list(default.symptom_model_.classes_.astype(str)):
            raise SystemExit(f"fold {k}: the tier's and the default's symptom classes differ")

        pool_proba = teacher_proba(tier, pool, tuned_weight)
        pred: dict[str, list] = {
            "default": list(default.predict_symptom(held_texts)),
            "teacher": classes[teacher_proba(tier, held_texts, tuned_weight).argmax(1)].tolist(),
        }
        names, usable = symptom_rows(symptom, is_pos)
        labelled = [texts[i] for i in np.flatnonzero(usable)]
        labelled_symptoms = names[usable]
        for name, soft, weight in STUDENTS:
            pred[name] = list(
                student_symptoms(
                    default,
                    labelled,
                    labelled_symptoms,
                    pool,
                    pool_proba,
                    classes,
                    held_texts,
                    soft=soft,
                    weight=weight,
                )
            )
        with threadpool_limits(1):
            plain = baseline_pipeline().fit(labelled, labelled_symptoms.astype(str))
        pred["plain"] = plain.predict(held_texts).tolist()
        out["folds"][str(k)] = {
            "sources": list(held_sources),
            "rows": rows.tolist(),
            "pool_posts": len(pool),
            "teacher_pool_symptoms": pd.Series(classes[pool_proba.argmax(1)])
            .value_counts()
            .sort_index()
            .to_dict(),
            "predicted": {name: [str(v) for v in p] for name, p in pred.items()},
        }
        dump.write_text(json.dumps(out))
        truth = real.symptom.to_numpy()[rows].astype(str)
        accs = {n: round(float(np.mean(np.asarray(p) == truth)), 4) for n, p in pred.items()}
        print(
            f"fold {k} ({','.join(held_sources)}): {len(rows)} outage posts, pool {len(pool)}, "
            f"{time.perf_counter() - started:.0f}s: {accs}",
            flush=True,
        )
    return out


def summarise(out: dict, real: pd.DataFrame, folds: int) -> dict:
    """Pooled and per-source accuracy of every variant over the stored folds."""
    truth_col = real.symptom.to_numpy()
    sources_col = real.source.to_numpy()
    hits: dict[str, list[np.ndarray]] = {}
    sources = []
    for fold in out["folds"].values():
        rows = np.asarray(fold["rows"])
        truth = truth_col[rows].astype(str)
        sources.append(sources_col[rows])
        for name, pred in fold["predicted"].items():
            hits.setdefault(name, []).append(np.asarray(pred) == truth)
    src = np.concatenate(sources)
    pooled = {n: np.concatenate(h) for n, h in hits.items()}
    per_source = {
        s: {
            "posts": int((src == s).sum()),
            **{n: round(float(h[src == s].mean()), 4) for n, h in pooled.items()},
        }
        for s in sorted(set(src))
    }
    rng = np.random.default_rng(0)
    names = sorted(set(src))
    gains = {}
    for n in pooled:
        if not n.startswith("student"):
            continue
        diff = pooled[n].astype(float) - pooled["default"].astype(float)
        by = {s: (diff[src == s].sum(), (src == s).sum()) for s in names}
        draws = []
        for _ in range(2000):
            pick = rng.choice(names, size=len(names))
            draws.append(sum(by[s][0] for s in pick) / sum(by[s][1] for s in pick))
        gains[n] = {
            "gain_over_default": round(float(diff.mean()), 4),
            "ci95_over_resampled_sources": [
                round(float(np.quantile(draws, 0.025)), 4),
                round(float(np.quantile(draws, 0.975)), 4),
            ],
        }
    return {
        "protocol": (
            f"{folds} fits holding out groups of whole real sources (seed posts training-only); "
            "accuracy over every true outage post of the held-out sources; students use only "
            "unlabelled posts of the training sources that the fold's default calls outages"
        ),
        "folds_done": len(out["folds"]),
        "posts": int(len(src)),
        "machine": {"cpus": os.cpu_count()},
        "pooled": {n: round(float(h.mean()), 4) for n, h in pooled.items()},
        "macro_over_sources": {
            n: round(float(np.mean([per_source[s][n] for s in per_source])), 4) for n in pooled
        },
        "students_vs_default": gains,
        "pool_posts": {k: f["pool_posts"] for k, f in out["folds"].items()},
        "per_source": per_source,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="groups of held-out sources")
    parser.add_argument("--dump", required=True, help="JSON the folds write (and resume from)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    real = real_posts()
    tiered._ENCODER.setdefault(128, SentenceEncoder(max_length=128))
    out = run(real, pd.read_csv(SEED), args.folds, Path(args.dump))
    result = summarise(out, real, args.folds)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("pooled", "students_vs_default")}, indent=1))


if __name__ == "__main__":
    main()
