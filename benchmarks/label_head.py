"""Does a fine-tuned label head lift the tier's outage decision on sources it never saw?

Five fits, each holding out a group of whole real sources (the groups of
``benchmarks/tiered.py --folds 5``; the seed posts are training-only). In each fit, on the
other sources plus the seed posts (the baseline on the other sources only, as in
``benchmarks/tiered.py``):

- the tier without a label head (candidate ``encoder``: fast model + frozen MiniLM head on
  the uncertain band, threshold chosen on its grouped out-of-fold scores);
- the label head of candidate ``encoder-large-ft``: MiniLM-L6's top 2 layers and a linear
  head fine-tuned on the labels (:data:`~detector.text.training.LABEL_FINETUNE_BAND`);
- the plain TF-IDF + LR baseline (threshold 0.5).

Every held-out post's outage probabilities go to a ``.npz`` dump (a stopped run resumes).
``--summarise`` then scores, pooled over all 12,145 real posts and per source: PR-AUC and
F1 of the tier, the fast model, the tuned head alone (at 0.5) and the baseline; the head
mixed in at weights 0-1 on the band only (what :class:`~detector.text.tiered.TieredClassifier`
does with a ``label_tuner``: posts whose fast probability is in ``[band_low, band_high]``)
and on every post, each at the tier's own threshold; the weight chosen nested (on the
other fits' posts) and a (weight, threshold) pair chosen nested, for comparison.

Run: ``python benchmarks/label_head.py --dump /tmp/label_head.npz`` (about 30 minutes on
2 cores) then ``python benchmarks/label_head.py --summarise /tmp/label_head.npz``. Needs the
``encoder`` extra (torch) and ``../shared/data``. Writes
``benchmarks/results/label_head.json``.
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
from sklearn.metrics import average_precision_score, f1_score
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from classifier import SEED, baseline_pipeline, real_posts  # noqa: E402
from tiered import FAST, source_folds  # noqa: E402

from detector.text import tiered  # noqa: E402
from detector.text.encoder import SentenceEncoder  # noqa: E402
from detector.text.tiered import TieredClassifier  # noqa: E402
from detector.text.training import CANDIDATES  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "label_head.json"
CANDIDATE = "encoder-large-ft"
#: Weights of the tuned head compared (the rest is the tier's own probability).
WEIGHTS = tuple(w / 10 for w in range(11))
#: Thresholds the (weight, threshold) nested choice searches.
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.1, 0.91, 0.02))
PARTS = ("rows", "tier", "tier_pred", "fast", "fast_pred", "tuned", "base", "thr")


def fit_folds(real: pd.DataFrame, seed: pd.DataFrame, dump: Path, folds: int = 5) -> None:
    """One fit per held-out group of sources; each part of it into *dump*."""
    from detector.text.finetune import TopTuner

    tuner_params = {"random_state": 0, **CANDIDATES[CANDIDATE]["label_tuner"]}
    out: dict[str, np.ndarray] = {}
    if dump.is_file():
        with np.load(dump, allow_pickle=False) as stored:
            out = {k: stored[k] for k in stored.files}
    for k, fold in enumerate(source_folds(real, folds)):
        if f"fold{k}_rows" in out:
            print(f"fold {k} ({','.join(fold)}): kept from {dump}", flush=True)
            continue
        held = real.source.isin(fold).to_numpy()
        rest = real[~held]
        texts = rest.text.astype(str).tolist() + seed.text.astype(str).tolist()
        labels = rest.label.tolist() + seed.label.tolist()
        started = time.perf_counter()
        tier = TieredClassifier(fast_params=FAST).fit(
            texts,
            labels,
            symptom=rest.symptom.tolist() + seed.symptom.tolist(),
            groups=rest.source.tolist() + [None] * len(seed),
        )
        held_texts = real.text[held].astype(str).tolist()
        cols = tier.predict_columns(held_texts)
        fast = tier.fast_.predict_columns(held_texts)
        tier_s = time.perf_counter() - started
        tuner = TopTuner(**tuner_params).fit(texts, labels)
        tuned = tuner.predict_proba(held_texts)[:, list(tuner.classes_).index("outage")]
        tuner_s = time.perf_counter() - started - tier_s
        with threadpool_limits(1):
            base = baseline_pipeline().fit(rest.text, rest.label == "outage")
            base_p = base.predict_proba(held_texts)[:, 1]
        out.update(
            {
                f"fold{k}_rows": np.flatnonzero(held),
                f"fold{k}_tier": cols["positive_prob"],
                f"fold{k}_tier_pred": cols["is_positive"],
                f"fold{k}_fast": fast["positive_prob"],
                f"fold{k}_fast_pred": fast["is_positive"],
                f"fold{k}_tuned": tuned,
                f"fold{k}_base": base_p,
                f"fold{k}_thr": np.asarray(tier.threshold_),
            }
        )
        np.savez(dump, **out)
        print(
            f"fold {k} ({','.join(fold)}): tier {tier_s:.0f}s, tuned head {tuner_s:.0f}s",
            flush=True,
        )


def _metrics(y: np.ndarray, prob: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        "pr_auc": round(float(average_precision_score(y, prob)), 4),
        "f1": round(float(f1_score(y, pred)), 4),
    }


def summarise(dump: Path, real: pd.DataFrame, out: Path) -> dict:
    """Pooled and per-source scores of every variant in *dump* (see the module docstring)."""
    truth = (real.label == "outage").to_numpy()
    with np.load(dump, allow_pickle=False) as stored:
        done = [k for k in range(10) if f"fold{k}_rows" in stored]
        folds = [{p: stored[f"fold{k}_{p}"] for p in PARTS} for k in done]
    band = TieredClassifier()
    for f in folds:
        f["y"] = truth[f["rows"]]
        f["band"] = band._band(f["fast"])

    def mixed(f: dict, a: float, where: str) -> np.ndarray:
        m = a * f["tuned"] + (1 - a) * f["tier"]
        return np.where(f["band"], m, f["tier"]) if where == "band" else m

    def pooled(key: str) -> np.ndarray:
        return np.concatenate([f[key] for f in folds])

    y = pooled("y")
    sources = real.source.to_numpy()[pooled("rows")]
    models = {
        "tier_without_label_head": (pooled("tier"), pooled("tier_pred")),
        "fast": (pooled("fast"), pooled("fast_pred")),
        "tuned_head_alone_at_0.5": (pooled("tuned"), pooled("tuned") >= 0.5),
        "baseline_at_0.5": (pooled("base"), pooled("base") >= 0.5),
    }
    result: dict = {"pooled": {k: _metrics(y, *v) for k, v in models.items()}, "mixes": {}}
    for where in ("band", "every_post"):
        for a in WEIGHTS:
            prob = np.concatenate([mixed(f, a, where) for f in folds])
            pred = np.concatenate([mixed(f, a, where) >= float(f["thr"]) for f in folds])
            result["mixes"][f"{where}_w{a:.1f}_tier_threshold"] = _metrics(y, prob, pred)
    # nested: each fit's weight (and, for comparison, weight and threshold) chosen on the
    # other fits' posts only
    nested_w, nested_wt, chosen = [], [], []
    for i, f in enumerate(folds):
        others = [g for j, g in enumerate(folds) if j != i]
        y_o = np.concatenate([g["y"] for g in others])

        def f1_at(a: float, thr: float | None, others: list = others, y_o=y_o) -> float:
            pred = [
                mixed(g, a, "band") >= (float(g["thr"]) if thr is None else thr) for g in others
            ]
            return round(float(f1_score(y_o, np.concatenate(pred))), 6)

        a = max(WEIGHTS, key=lambda a: (f1_at(a, None), -abs(a - 0.5)))
        at = max(((a, t) for a in WEIGHTS for t in THRESHOLDS), key=lambda p: f1_at(*p))
        chosen.append({"weight": a, "weight_and_threshold": list(at)})
        nested_w.append(mixed(f, a, "band") >= float(f["thr"]))
        nested_wt.append(mixed(f, at[0], "band") >= at[1])
    result["nested"] = {
        "weight_at_tier_threshold_f1": round(float(f1_score(y, np.concatenate(nested_w))), 4),
        "weight_and_threshold_f1": round(float(f1_score(y, np.concatenate(nested_wt))), 4),
        "chosen": chosen,
    }
    shipped = CANDIDATES[CANDIDATE]["label_tuned_weight"]
    prob = np.concatenate([mixed(f, shipped, "band") for f in folds])
    pred = np.concatenate([mixed(f, shipped, "band") >= float(f["thr"]) for f in folds])
    per_source = {}
    for source in sorted(set(sources)):
        at = sources == source
        per_source[source] = {"posts": int(at.sum()), "outage_posts": int(y[at].sum())}
        for name, (p, d) in {**models, f"{CANDIDATE}_band_w{shipped}": (prob, pred)}.items():
            per_source[source][name] = (
                _metrics(y[at], p[at], d[at]) if 0 < y[at].sum() < at.sum() else None
            )
    result = {
        "protocol": (
            f"{len(folds)} fits holding out groups of whole real sources (seed posts "
            "training-only); tier = candidate 'encoder' (fast + frozen MiniLM head on the "
            "band 0.1-0.9, threshold from its grouped out-of-fold scores); tuned head = "
            f"{CANDIDATE}'s label head fitted on the same posts; mixes average the tuned "
            "head's outage probability with the tier's (on the band only, or on every post) "
            "and decide at the tier's own threshold"
        ),
        "candidate": CANDIDATE,
        "label_tuner": CANDIDATES[CANDIDATE]["label_tuner"],
        "shipped_weight": shipped,
        "posts": int(len(y)),
        "band_share": round(float(pooled("band").mean()), 4),
        "tier_thresholds": [float(f["thr"]) for f in folds],
        "machine": {"cpus": os.cpu_count()},
        **result,
        f"{CANDIDATE}_band_w{shipped}": _metrics(y, prob, pred),
        "per_source": per_source,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", help=".npz of every fit's held-out probabilities (resumes)")
    parser.add_argument("--summarise", help="score the variants of this dump")
    parser.add_argument("--out", default=str(RESULTS), help="where --summarise writes JSON")
    args = parser.parse_args()
    real = real_posts()
    if args.summarise:
        result = summarise(Path(args.summarise), real, Path(args.out))
        keys = ("pooled", "nested", f"{CANDIDATE}_band_w{result['shipped_weight']}")
        print(json.dumps({k: result[k] for k in keys}, indent=2))
        return
    if not args.dump:
        parser.error("give --dump FILE.npz (or --summarise FILE.npz)")
    tiered._ENCODER.setdefault(128, SentenceEncoder(max_length=128))
    fit_folds(real, pd.read_csv(SEED), Path(args.dump))


if __name__ == "__main__":
    main()
