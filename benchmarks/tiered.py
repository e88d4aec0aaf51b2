"""Benchmark of the encoder tier (``train --candidates encoder``) against the fast model and
the plain baseline, all in the same run, on real posts only.

Measures (and writes ``benchmarks/results/tiered.json``):

1. leave-one-source-out over the 14 real sources (``labeled_posts.csv`` +
   ``labeled_posts_extra.csv``; ``data/seed_posts.csv`` as training-only rows): one
   :class:`~detector.text.tiered.TieredClassifier` fit per held-out source gives both
   the tier and its fast model (the default pipeline, ``post-nolex``); beside them the
   plain baseline (word 1-2 + char_wb 2-5 TF-IDF + LR C=10, threshold 0.5) on the same
   real rows. Per source and pooled: PR-AUC, F1 at each model's own threshold, and
   symptom accuracy on every true outage post (the baseline's symptom model: the same
   plain TF-IDF + LR fitted on the symptoms of the outage posts);
2. complaint detection on the ``complaint`` column of the preotiuc2019 posts (stratified
   75/25 split, seed 0): ``train`` with the default candidates and with the encoder
   candidate added, beside the plain baseline fitted on the same 75%: macro-F1;
3. speed of the tier on the labelled posts (cold: nothing memoised), posts/s.

``--embedding-cache FILE.npz`` keeps the encoder's vectors of the labelled and seed
posts between runs (same encoder, same recipe; the file is written when missing).
Needs the ``encoder`` extra (torch) and ``../shared/data``.

Run: ``python benchmarks/tiered.py [--embedding-cache /tmp/emb.npz] [--skip complaint]``
(a skipped section is kept from the previous result file)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from classifier import SEED, baseline_pipeline, real_posts  # noqa: E402

from detector.text import tiered  # noqa: E402
from detector.text.encoder import SentenceEncoder  # noqa: E402
from detector.text.modelstore import load_model  # noqa: E402
from detector.text.tiered import TieredClassifier, shared_encoder  # noqa: E402
from detector.text.training import CANDIDATES, binary_metrics, train_model  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "tiered.json"
FAST = {k: v for k, v in CANDIDATES["encoder"].items() if k != "tier"}
#: The candidate whose fine-tuned symptom head the tier uses (``--tuned``), and the other
#: one, fitted on the same posts in each fold and swapped in as a variant.
TUNED_CANDIDATES = ("encoder-large", "encoder-tuned")
#: Symptom variants from the same fitted tier: (name, weight of its own fine-tuned head,
#: weight of the other candidate's head); the rest of the weight is the frozen heads'.
SYMPTOM_VARIANTS = (
    ("tier", None, 0.0),  # the --tuned candidate's own weight
    ("tier_frozen_heads_only", 0.0, 0.0),
    ("tuned_head_only", 1.0, 0.0),
    ("tier_tuned_weight_0.3", 0.3, 0.0),
    ("tier_tuned_weight_0.5", 0.5, 0.0),
    ("tier_tuned_weight_0.7", 0.7, 0.0),
    ("tier_with_other_tuned_head", 0.0, CANDIDATES["encoder-tuned"]["tuned_weight"]),
    ("other_tuned_head_only", 0.0, 1.0),
    ("tier_both_tuned_heads", 0.25, 0.25),
    ("tier_both_tuned_heads_0.7", 0.35, 0.35),
    ("both_tuned_heads_only", 0.5, 0.5),
)
#: The grid of (own, other) tuned-head weights the nested choice picks from.
WEIGHT_GRID = tuple((a / 10, b / 10) for a in range(11) for b in range(11 - a))


def _tuner_params(candidate: str) -> dict:
    return dict(CANDIDATES[candidate]["symptom_tuner"])


def _scores(truth: np.ndarray, pred: np.ndarray, prob: np.ndarray) -> dict:
    m = binary_metrics(truth, pred, prob)
    return {k: m[k] for k in ("pr_auc", "f1", "precision", "recall")}


def _acc(truth: np.ndarray, pred: np.ndarray) -> float | None:
    return round(float(np.mean(pred == truth)), 4) if len(truth) else None


def source_folds(real: pd.DataFrame, folds: int) -> list[list[str]]:
    """The held-out sources of each fit: one source a fit (*folds* 0, leave-one-source-out)
    or *folds* groups of whole sources of about equal size (scikit-learn's GroupKFold)."""
    sources = sorted(real.source.unique())
    if not folds:
        return [[s] for s in sources]
    from sklearn.model_selection import GroupKFold

    splits = GroupKFold(n_splits=folds).split(real, groups=real.source)
    return [sorted(real.source.iloc[test].unique()) for _, test in splits]


def loso(
    real: pd.DataFrame,
    seed: pd.DataFrame,
    folds: int = 0,
    tuned: str = "encoder-large",
    dump_path: str | None = None,
    other_head: bool = True,
) -> dict:
    """Leave-one-source-out (or *folds* groups of sources held out together): tier (with the
    symptom head of candidate *tuned*), its fast model, plain baseline (label and symptom),
    per source and pooled; the other candidate's tuned head as a variant (unless not
    *other_head*: then only the variants without it)."""
    from detector.text.finetune import TopTuner, to_state

    other = next(c for c in TUNED_CANDIDATES if c != tuned)
    own_weight = CANDIDATES[tuned]["tuned_weight"]
    symptom_variants_run = [
        (name, own_weight if own_w is None else own_w, other_w)
        for name, own_w, other_w in SYMPTOM_VARIANTS
        if other_head or not other_w
    ]
    grid = [w for w in WEIGHT_GRID if other_head or not w[1]]
    n = len(real)
    truth_all = (real.label == "outage").to_numpy()
    has_sym = truth_all & real.symptom.notna().to_numpy()
    variants = ("tier", "fast", "baseline")
    prob = {v: np.zeros(n) for v in variants}
    pred = {v: np.zeros(n, dtype=bool) for v in variants}
    sym = {v: np.full(n, None, dtype=object) for v in variants}
    extra = [name for name, _, _ in symptom_variants_run if name != "tier"]
    dump: dict | None = {} if dump_path else None
    sym.update({v: np.full(n, None, dtype=object) for v in extra})
    rows = {}
    fits = {}
    nested: list[dict] = []
    nested_truth: list[np.ndarray] = []
    for fold in source_folds(real, folds):
        held = real.source.isin(fold).to_numpy()
        rest = real[~held]
        held_texts = real.text[held].tolist()
        started = time.perf_counter()
        tier = TieredClassifier(fast_params=FAST, symptom_tuner=_tuner_params(tuned)).fit(
            rest.text.tolist() + seed.text.tolist(),
            rest.label.tolist() + seed.label.tolist(),
            symptom=rest.symptom.tolist() + seed.symptom.tolist(),
            groups=rest.source.tolist() + [None] * len(seed),
        )
        fit_s = time.perf_counter() - started
        # the other candidate's head, on the posts the tier tuned its own on
        train_sym = pd.concat([rest, seed])
        train_sym = train_sym[(train_sym.label == "outage") & train_sym.symptom.notna()]
        other_state = None
        if other_head:
            other_tuner = TopTuner(**{"random_state": tier.random_state, **_tuner_params(other)})
            other_state = to_state(
                other_tuner.fit(train_sym.text.astype(str).tolist(), train_sym.symptom.astype(str))
            )
        own_state, tier.symptom_tuned_ = tier.symptom_tuned_, None  # labels only here:
        for name, model in (("tier", tier), ("fast", tier.fast_)):  # no tuned head needed
            cols = model.predict_columns(held_texts)
            prob[name][held], pred[name][held] = cols["positive_prob"], cols["is_positive"]
        tier.symptom_tuned_ = own_state
        held_sym = held & has_sym
        sym_texts = real.text[held_sym].tolist()
        if sym_texts:
            parts = _symptom_parts(tier, sym_texts, other_state)
            for name, own_w, other_w in symptom_variants_run:
                sym[name][held_sym] = _mixed(tier, parts, own_w, other_w)
            nested.append({"by_weight": {w: _mixed(tier, parts, *w) for w in grid}})
            nested_truth.append(real.symptom.to_numpy()[held_sym].astype(str))
            if dump is not None:
                dump[f"fold{len(nested) - 1}_rows"] = np.flatnonzero(held_sym)
                dump[f"fold{len(nested) - 1}_fast"] = parts["fast"]
                dump[f"fold{len(nested) - 1}_frozen"] = parts["frozen"]
                for k, head in enumerate(parts["tuned"]):
                    dump[f"fold{len(nested) - 1}_tuned{k}"] = head
            sym["fast"][held_sym] = tier.fast_.predict_symptom(sym_texts)
        with threadpool_limits(1):
            base = baseline_pipeline().fit(rest.text, rest.label == "outage")
            prob["baseline"][held] = base.predict_proba(held_texts)[:, 1]
            pred["baseline"][held] = prob["baseline"][held] >= 0.5
            train_sym = rest[(rest.label == "outage") & rest.symptom.notna()]
            if sym_texts:
                base_sym = baseline_pipeline().fit(train_sym.text, train_sym.symptom)
                sym["baseline"][held_sym] = base_sym.predict(sym_texts)
        for source in fold:
            fits[source] = {
                "held_out_with": fold,
                "threshold_tier": round(tier.threshold_, 3),
                "threshold_fast": round(tier.fast_.threshold_, 3),
                "fit_seconds": round(fit_s, 1),
            }
        print(f"fold {fold}: fitted in {fit_s:.0f}s", flush=True)
    for source in sorted(real.source.unique()):
        held = (real.source == source).to_numpy()
        held_sym = held & has_sym
        truth = truth_all[held]
        row: dict = {"n": int(held.sum()), "outage_posts": int(truth.sum())}
        for v in variants:
            row[v] = _scores(truth, pred[v][held], prob[v][held])
            row[v]["symptom_accuracy"] = _acc(real.symptom.to_numpy()[held_sym], sym[v][held_sym])
        row["symptom_accuracy_variants"] = {
            v: _acc(real.symptom.to_numpy()[held_sym], sym[v][held_sym]) for v in extra
        }
        row.update(fits[source])
        rows[source] = row
        print(
            f"held-out {source}: tier PR-AUC {row['tier']['pr_auc']} F1 {row['tier']['f1']} sym "
            f"{row['tier']['symptom_accuracy']} | fast {row['fast']['pr_auc']} "
            f"{row['fast']['f1']} {row['fast']['symptom_accuracy']} | baseline "
            f"{row['baseline']['pr_auc']} {row['baseline']['f1']} "
            f"{row['baseline']['symptom_accuracy']}",
            flush=True,
        )
    sym_truth = real.symptom.to_numpy()[has_sym]
    pooled = {}
    for v in variants:
        pooled[v] = _scores(truth_all, pred[v], prob[v])
        pooled[v]["symptom_accuracy"] = _acc(sym_truth, sym[v][has_sym])
    macro = {
        v: {
            k: round(float(np.mean([r[v][k] for r in rows.values() if r[v][k] is not None])), 4)
            for k in ("pr_auc", "f1", "symptom_accuracy")
        }
        for v in variants
    }
    symptom_variants = {
        v: {
            "pooled": _acc(sym_truth, sym[v][has_sym]),
            "macro_over_sources": round(
                float(
                    np.mean(
                        [
                            r["symptom_accuracy_variants"][v]
                            for r in rows.values()
                            if r["symptom_accuracy_variants"][v] is not None
                        ]
                    )
                ),
                4,
            ),
        }
        for v in extra
    }
    if dump is not None:
        np.savez(dump_path, classes=tier.fast_.symptom_model_.classes_.astype(str), **dump)
    return {
        "pooled": pooled,
        "macro_over_sources": macro,
        "symptom_variants": symptom_variants,
        "symptom_tuned_weights_nested": nested_weights(nested, nested_truth, grid),
        "symptom_confusion_tier": _confusion(sym_truth, sym["tier"][has_sym]),
        "per_source": rows,
        "notes": (
            "protocol: "
            + (
                "leave-one-source-out (one fit per source)"
                if not folds
                else f"{folds} fits, each holding out a group of whole sources (GroupKFold; "
                "held_out_with names them): every source is scored by a model that saw none "
                "of its posts, and fitted on fewer sources than leave-one-source-out"
            )
            + ". tier and fast: one TieredClassifier fit per held-out source on the other real "
            "sources + seed posts (training-only); fast is the tier's own fast model (the "
            "post-nolex pipeline). Thresholds chosen inside each fit on grouped out-of-fold "
            "scores of real posts. baseline: plain TF-IDF + LR on the same real sources, "
            "threshold 0.5; its symptoms from the same pipeline fitted on their outage posts. "
            "Symptom accuracy is over every true outage post of the held-out source. The tier "
            f"is candidate {tuned}: its fine-tuned symptom head (top 2 layers + linear head of "
            f"{_tuner_params(tuned).get('base', 'minilm-l6')}, fitted on the training sources' "
            "outage posts) averaged with the frozen heads; symptom_variants are the same "
            "fitted tier with that head left out (frozen heads only), alone, at other weights, "
            f"or replaced by or averaged with candidate {other}'s head fitted on the same posts "
            "(tier_with_other_tuned_head, other_tuned_head_only, *both_tuned_heads*: "
            "weights own/other 0.25/0.25, 0.35/0.35, 0.5/0.5). symptom_tuned_weights_nested: "
            "the (own, other) weights chosen on a 0.1 grid by the accuracy of the other fits' "
            "held-out posts, scored on each fit's own (no choice sees the posts it scores)."
        ),
    }


def _symptom_parts(tier: TieredClassifier, texts: list[str], other: dict | None) -> dict:
    """The tier's symptom heads' probabilities on *texts*, the other candidate's tuned head
    (fitted on the same posts; zeros when not fitted, only ever weighted 0) appended to
    ``tuned``."""
    from detector.text.finetune import from_state

    parts = tier.symptom_parts(texts)
    extra = (
        np.zeros_like(parts["fast"]) if other is None else from_state(other).predict_proba(texts)
    )
    parts["tuned"] = parts["tuned"] + [extra]
    return parts


def _mixed(tier: TieredClassifier, parts: dict, own: float, other: float) -> np.ndarray:
    proba = tier.mix_symptom_parts(parts, tuned_weights=[own, other])
    return tier.fast_.symptom_model_.classes_[proba.argmax(axis=1)]


def nested_weights(
    folds: list[dict], truth: list[np.ndarray], grid: Sequence[tuple[float, float]] = WEIGHT_GRID
) -> dict:
    """Tuned-head weights chosen without the scored posts: for each fold the
    *grid* point (default :data:`WEIGHT_GRID`) with the best accuracy on the other folds'
    posts, scored on its own; pooled accuracy of those choices, and the choice on all folds."""

    def correct(i: int, w: tuple[float, float]) -> int:
        return int(np.sum(folds[i]["by_weight"][w] == truth[i]))

    chosen, hits = [], 0
    for i in range(len(folds)):
        others = [j for j in range(len(folds)) if j != i]
        best = max(grid, key=lambda w: (sum(correct(j, w) for j in others), -w[1]))
        chosen.append(best)
        hits += correct(i, best)
    overall = max(grid, key=lambda w: sum(correct(j, w) for j in range(len(folds))))
    total = sum(len(t) for t in truth)
    return {
        "pooled_accuracy_of_nested_choice": round(hits / total, 4),
        "chosen_per_fold": [list(w) for w in chosen],
        "best_on_all_folds": list(overall),
        "its_pooled_accuracy_in_hindsight": round(
            sum(correct(j, overall) for j in range(len(folds))) / total, 4
        ),
    }


def _confusion(truth: np.ndarray, predicted: np.ndarray) -> dict:
    """``{truth: {predicted: posts}}``."""
    table = pd.crosstab(truth, predicted.astype(str))
    return {t: {p: int(v) for p, v in row.items() if v} for t, row in table.iterrows()}


def complaint(real: pd.DataFrame, cv: int) -> dict:
    """``train --label-col complaint --positive 1`` with and without the encoder candidate."""
    pre = real[real.source == "preotiuc2019"].dropna(subset=["complaint"]).copy()
    pre["complaint"] = pre.complaint.astype(int)
    train, test = train_test_split(pre, test_size=0.25, stratify=pre.complaint, random_state=0)
    truth = test.complaint.to_numpy() == 1
    out: dict = {"n_train": len(train), "n_test": len(test), "split": "stratified 75/25, seed 0"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.csv"
        train[["text", "complaint"]].to_csv(path, index=False)
        for name, candidates in (
            ("train_default", None),
            ("train_with_encoder", ["post", "post-nolex", "plain", "encoder", "plain-encoder"]),
        ):
            card = train_model(
                [path],
                Path(tmp) / name,
                label_col="complaint",
                positive="1",
                cv=cv,
                candidates=candidates,
                params={"threshold_metric": "macro_f1"},
            )
            scored = load_model(Path(tmp) / name).predict_posts(test.text.tolist())
            out[name] = binary_metrics(
                truth, scored.is_outage.to_numpy(), scored.outage_prob.to_numpy()
            )
            out[name]["selected"] = card["selection"]["winner"]
            out[name]["candidates_cv"] = card["selection"]["candidates"]
    with threadpool_limits(1):
        base = baseline_pipeline().fit(train.text, train.complaint == 1)
    p = base.predict_proba(test.text)[:, 1]
    out["baseline"] = binary_metrics(truth, p >= 0.5, p)
    print(
        "complaint macro-F1: "
        + ", ".join(f"{k} {out[k]['macro_f1']}" for k in ("train_default", "train_with_encoder"))
        + f", baseline {out['baseline']['macro_f1']}",
        flush=True,
    )
    return out


def speed(real: pd.DataFrame, n: int) -> dict:
    """Cold posts/s of the encoder (nothing memoised), and of each tuned symptom head's
    frozen lower layers (most of its cost; it reads only the posts called outages)."""
    from detector.text.finetune import TopTuner, lower_states

    texts = real.text.sample(n, random_state=1).tolist()
    encoder = shared_encoder()
    started = time.perf_counter()
    encoder._forward(sorted(texts, key=len))  # not memoised: every post goes through torch
    wall = time.perf_counter() - started
    out = {"posts": n, "encoder_posts_per_s": round(n / wall, 1)}
    for candidate in TUNED_CANDIDATES:
        tuner = TopTuner(**_tuner_params(candidate))
        started = time.perf_counter()
        lower_states(texts, split=tuner.split, base=tuner.base, remember=False)
        wall = time.perf_counter() - started
        out[f"{candidate}_symptom_head_frozen_layers_posts_per_s"] = round(n / wall, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedding-cache", default=None, help=".npz of texts and vectors")
    parser.add_argument("--skip", default="", help="comma list of: loso,complaint,speed")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument(
        "--folds",
        type=int,
        default=0,
        help="0: leave-one-source-out (14 fits); N: N fits holding out groups of whole sources "
        "(the fine-tuned symptom head costs CPU minutes per fit)",
    )
    parser.add_argument(
        "--tuned",
        choices=TUNED_CANDIDATES,
        default=TUNED_CANDIDATES[0],
        help="the candidate whose fine-tuned symptom head the tier uses (the shipped tier's)",
    )
    parser.add_argument(
        "--no-other-head",
        action="store_true",
        help="do not fit the other candidate's tuned head (its variants are left out)",
    )
    parser.add_argument(
        "--dump", default=None, help=".npz of every symptom head's probabilities per fold"
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    real = real_posts()
    seed = pd.read_csv(SEED)
    # one torch thread: the machine is shared (another run may be timing speed)
    encoder = tiered._ENCODER.setdefault(128, SentenceEncoder(max_length=128, threads=1))
    result: dict = {
        "encoder": encoder.describe(),
        "fast_params": FAST,
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()},
    }
    texts = real.text.astype(str).tolist() + seed.text.astype(str).tolist()
    cache = Path(args.embedding_cache) if args.embedding_cache else None
    if cache is not None and cache.is_file():
        stored = np.load(cache, allow_pickle=False)
        encoder.remember(stored["texts"].tolist(), stored["vectors"])
        print(f"embedding cache: {len(stored['texts'])} vectors from {cache}", flush=True)
    started = time.perf_counter()
    vectors = encoder.encode(texts)
    print(f"encoded {len(texts)} posts in {time.perf_counter() - started:.0f}s", flush=True)
    if cache is not None and not cache.is_file():
        np.savez(cache, texts=np.asarray(texts), vectors=vectors)
    if "speed" not in skip:
        result["speed"] = speed(real, 500)
        print(f"speed: {result['speed']}", flush=True)
    if "loso" not in skip:
        result["loso"] = loso(real, seed, args.folds, args.tuned, args.dump, not args.no_other_head)
        print(json.dumps(result["loso"]["pooled"]), flush=True)
    if "complaint" not in skip:
        result["complaint"] = complaint(real, 5)
    result["machine"]["load_avg_at_end"] = os.getloadavg()
    out = Path(args.out)
    if skip and out.is_file():  # keep the sections this run skipped from the last run
        previous = json.loads(out.read_text())
        for key in ("speed", "loso", "complaint"):
            if key in previous and key not in result:
                result[key] = previous[key]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
