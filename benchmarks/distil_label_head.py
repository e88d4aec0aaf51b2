"""Does the fine-tuned label head, distilled through unlabelled real posts, lift the default model?

The default ``score`` path is the fast model (``post-nolex``: stemmed word n-grams, one
logistic regression; 50,000+ posts a second). The tier's fine-tuned MiniLM label head
ranks outages far better on sources it never saw (PR-AUC 0.895 alone,
``benchmarks/label_head.py``) but reads about 10-200 posts a second. Distillation keeps
the fast model's speed: the head labels unlabelled real posts and the fast model learns
from those labels too.

Five fits, each holding out a group of whole real sources (the groups of
``benchmarks/tiered.py --folds 5``; the seed posts are training-only). In each fit:

- the teacher: the label head (:data:`~detector.text.training.LABEL_FINETUNE_BAND`)
  fine-tuned on the other sources plus the seed posts;
- it labels the unlabelled posts of ``../shared/data/unlabeled/app_reviews_and_support.csv``
  whose source is not held out (never a held-out source's posts, labelled or not) and whose
  text is not already a training post: its most probable label of outage / complaint /
  other;
- the students: the default's recipe (``post-nolex``, threshold chosen on grouped
  out-of-fold scores of the real posts, exactly as ``train`` does) fitted on the real and
  seed posts plus the pseudo-labelled ones (training-only rows: they never choose the
  threshold), once with every pseudo-label and once with only those the teacher gives
  with probability >= 0.8;
- beside them, in the same fit: the fast model without pseudo-labels, the teacher alone
  at 0.5 and the plain TF-IDF + LR baseline at 0.5 (fitted on the other real sources).

Every held-out post's outage probability and decision go to a ``.npz`` dump (a stopped run
resumes); ``--summarise`` scores them pooled over all 12,145 real posts and per source:
PR-AUC, and F1 at each model's own decision.

Run: ``python benchmarks/distil_label_head.py --dump /tmp/distil.npz`` (about an hour on
2 cores) then ``python benchmarks/distil_label_head.py --summarise /tmp/distil.npz``.
Needs the ``encoder`` extra (torch) and ``../shared/data``. Writes
``benchmarks/results/distil_label_head.json``.
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

from classifier import SEED, SHARED, baseline_pipeline, real_posts  # noqa: E402
from label_head import _metrics  # noqa: E402
from tiered import source_folds  # noqa: E402

from detector.text.classifier import OutageClassifier  # noqa: E402
from detector.text.training import CANDIDATES, LABEL_FINETUNE_BAND  # noqa: E402

UNLABELLED = SHARED / "unlabeled" / "app_reviews_and_support.csv"
RESULTS = REPO / "benchmarks" / "results" / "distil_label_head.json"
#: The default model's recipe (``models/outage-v2``).
STUDENT = CANDIDATES["post-nolex"]
#: Students: name -> the least teacher probability a pseudo-label needs.
STUDENTS = {"student_all": 0.0, "student_conf0.8": 0.8}
MODELS = ("fast", *STUDENTS, "teacher_at_0.5", "baseline_at_0.5")


def _unlabelled() -> pd.DataFrame:
    unl = pd.read_csv(UNLABELLED, dtype=str, keep_default_na=False)
    unl = unl[unl.text.str.strip().astype(bool)]
    return unl.drop_duplicates("text").reset_index(drop=True)


def fit_folds(real: pd.DataFrame, seed: pd.DataFrame, unl: pd.DataFrame, dump: Path) -> None:
    """One fit per held-out group of sources; each model's held-out scores into *dump*."""
    from detector.text.finetune import TopTuner

    out: dict[str, np.ndarray] = {}
    if dump.is_file():
        with np.load(dump, allow_pickle=False) as stored:
            out = {k: stored[k] for k in stored.files}
    for k, fold in enumerate(source_folds(real, 5)):
        if f"fold{k}_rows" in out:
            print(f"fold {k} ({','.join(fold)}): kept from {dump}", flush=True)
            continue
        started = time.perf_counter()
        held = real.source.isin(fold).to_numpy()
        rest = real[~held]
        texts = rest.text.astype(str).tolist() + seed.text.astype(str).tolist()
        labels = rest.label.tolist() + seed.label.tolist()
        symptoms = rest.symptom.tolist() + seed.symptom.tolist()
        groups = rest.source.tolist() + [None] * len(seed)
        held_texts = real.text[held].astype(str).tolist()

        teacher = TopTuner(random_state=0, **LABEL_FINETUNE_BAND).fit(texts, labels)
        classes = list(teacher.classes_)
        pool = unl[~unl.source.isin(fold) & ~unl.text.isin(set(texts))]
        pool_texts = pool.text.tolist()
        pool_p = teacher.predict_proba(pool_texts, remember=True)
        held_p = teacher.predict_proba(held_texts)[:, classes.index("outage")]
        teacher_s = time.perf_counter() - started
        part = {
            f"fold{k}_rows": np.flatnonzero(held),
            f"fold{k}_pseudo": np.asarray(len(pool_texts)),
            f"fold{k}_teacher_at_0.5": held_p,
            f"fold{k}_teacher_at_0.5_pred": held_p >= 0.5,
        }
        pseudo_label = np.asarray(classes, dtype=object)[pool_p.argmax(axis=1)]
        confidence = pool_p.max(axis=1)
        for name, least in {"fast": None, **STUDENTS}.items():
            if least is None:
                extra_t, extra_y = [], []
            else:
                keep = confidence >= least
                extra_t = [t for t, k_ in zip(pool_texts, keep, strict=True) if k_]
                extra_y = pseudo_label[keep].tolist()
            model = OutageClassifier(random_state=0, **STUDENT).fit(
                texts + extra_t,
                labels + extra_y,
                symptom=symptoms + [None] * len(extra_t),
                groups=groups + [None] * len(extra_t),
            )
            cols = model.predict_columns(held_texts)
            part[f"fold{k}_{name}"] = cols["positive_prob"]
            part[f"fold{k}_{name}_pred"] = cols["is_positive"]
            part[f"fold{k}_{name}_added"] = np.asarray(len(extra_t))
        with threadpool_limits(1):
            base = baseline_pipeline().fit(rest.text, rest.label == "outage")
            base_p = base.predict_proba(held_texts)[:, 1]
        part[f"fold{k}_baseline_at_0.5"] = base_p
        part[f"fold{k}_baseline_at_0.5_pred"] = base_p >= 0.5
        out.update(part)
        np.savez(dump, **out)
        print(
            f"fold {k} ({','.join(fold)}): teacher {teacher_s:.0f}s, "
            f"{len(pool_texts)} unlabelled posts, total {time.perf_counter() - started:.0f}s",
            flush=True,
        )


def _gain_interval(y: np.ndarray, a: tuple, b: tuple, n: int = 1000) -> dict[str, list[float]]:
    """95% paired bootstrap intervals (posts resampled) of a's PR-AUC and F1 minus b's."""
    rng = np.random.default_rng(0)
    gains: dict[str, list[float]] = {"pr_auc": [], "f1": []}
    for _ in range(n):
        at = rng.integers(0, len(y), len(y))
        ma, mb = _metrics(y[at], a[0][at], a[1][at]), _metrics(y[at], b[0][at], b[1][at])
        for k in gains:
            gains[k].append(ma[k] - mb[k])
    return {
        k: [round(float(q), 4) for q in np.percentile(v, [2.5, 97.5])] for k, v in gains.items()
    }


def summarise(dump: Path, real: pd.DataFrame, out: Path) -> dict:
    """Pooled and per-source PR-AUC and F1 of every model in *dump*."""
    truth = (real.label == "outage").to_numpy()
    with np.load(dump, allow_pickle=False) as stored:
        done = [k for k in range(5) if f"fold{k}_rows" in stored]
        rows = np.concatenate([stored[f"fold{k}_rows"] for k in done])
        scores = {
            m: (
                np.concatenate([stored[f"fold{k}_{m}"] for k in done]),
                np.concatenate([stored[f"fold{k}_{m}_pred"] for k in done]).astype(bool),
            )
            for m in MODELS
        }
        added = {m: [int(stored[f"fold{k}_{m}_added"]) for k in done] for m in ("fast", *STUDENTS)}
    y = truth[rows]
    sources = real.source.to_numpy()[rows]
    per_source = {}
    for source in sorted(set(sources)):
        at = sources == source
        per_source[source] = {"posts": int(at.sum()), "outage_posts": int(y[at].sum())}
        for m, (p, d) in scores.items():
            per_source[source][m] = (
                _metrics(y[at], p[at], d[at]) if 0 < y[at].sum() < at.sum() else None
            )
    result = {
        "protocol": (
            f"{len(done)} fits holding out groups of whole real sources (seed posts "
            "training-only); teacher = the label head of encoder-large-ft fitted on the other "
            "sources + seed posts; students = post-nolex (the default's recipe, threshold from "
            "grouped out-of-fold scores of real posts) fitted on real + seed + the teacher's "
            "labels of unlabelled posts of the non-held-out sources"
        ),
        "student_recipe": STUDENT,
        "teacher": LABEL_FINETUNE_BAND,
        "pseudo_labelled_added_per_fit": added,
        "posts": int(len(y)),
        "pooled": {m: _metrics(y, *v) for m, v in scores.items()},
        "student_all_minus_fast_bootstrap_95": _gain_interval(
            y, scores["student_all"], scores["fast"]
        ),
        "per_source": per_source,
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", type=Path, help="fit the five folds into this .npz (resumes)")
    ap.add_argument("--summarise", type=Path, help="score a dump made by --dump")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"needs the shared data at {SHARED}")
    real = real_posts()
    if args.dump:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        fit_folds(real, pd.read_csv(SEED), _unlabelled(), args.dump)
    if args.summarise or args.dump:
        result = summarise(args.summarise or args.dump, real, args.out)
        print(json.dumps(result["pooled"], indent=2))


if __name__ == "__main__":
    main()
