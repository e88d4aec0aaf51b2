"""Leave-one-source-out of the tier's symptom heads alone: each head's class probabilities
on every true outage post of each held-out source, written to an ``.npz`` so that ways of
combining them (weights, several fine-tuned heads) are compared without refitting.

The symptom decision of :class:`~detector.text.tiered.TieredClassifier` does not depend on
its label heads, so each fit here is the tier's own symptom fit only: the fast model
(``OutageClassifier``, as the tier fits it) for its n-gram symptom regression, the
frozen-embedding head and ``--heads`` fine-tuned heads of candidate ``encoder-large``
(random_state 0, 1, ...), all on the other 13 real sources plus the seed posts
(training-only). Head 0 is the shipped recipe's own head (random_state 0), so head 0 at
the candidate's ``tuned_weight`` is the shipped recipe.

``--summarise`` reads the ``.npz`` and writes ``benchmarks/results/symptom_heads.json``:
pooled and per-source accuracy of each (heads, weight) variant, the nested choice
(each fit's weight and head count chosen on the other fits' posts, scored on its own), and
each variant at weights 0.5-0.7 with a symptom prior shift (one offset per class on the
log-probabilities, fitted on the other fits' posts: ``prior_shift_nested``).

Run: ``python benchmarks/symptom_heads.py --heads 2 --dump /tmp/sym.npz`` (``--folds 5``:
five fits holding out groups of whole sources instead of 14) then
``python benchmarks/symptom_heads.py --summarise /tmp/sym.npz``. Needs the ``encoder``
extra (torch) and ``../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from classifier import SEED, real_posts  # noqa: E402
from tiered import source_folds  # noqa: E402

from detector.text import tiered  # noqa: E402
from detector.text.encoder import SentenceEncoder  # noqa: E402
from detector.text.tiered import TieredClassifier, symptom_rows  # noqa: E402
from detector.text.training import CANDIDATES  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "symptom_heads.json"
UNLABELED = REPO.parent / "shared" / "data" / "unlabeled" / "app_reviews_and_support.csv"
CANDIDATE = "encoder-large"
FAST = {
    k: v
    for k, v in CANDIDATES[CANDIDATE].items()
    if k not in ("tier", "symptom_tuner", "tuned_weight")
}
#: Tuned-head weights compared (the rest of the weight is the frozen heads' mix).
WEIGHTS = tuple(w / 10 for w in range(11))
#: Which frozen-embedding head the mix uses: the tier's (MiniLM), a logistic regression on
#: all-mpnet-base-v2's own sentence embedding (its lower layers are the tuned heads'), both.
FROZEN = ("minilm", "mpnet", "both")
_MPNET: dict[str, np.ndarray] = {}
#: A tier with the default mixing weights, for :meth:`TieredClassifier.mix_symptom_parts`.
_TIER = TieredClassifier()


def mpnet_embeddings(texts: list[str]) -> np.ndarray:
    """all-mpnet-base-v2's sentence embedding (mean-pooled, L2-normalised) of *texts*; its
    lower 10 layers come from :func:`~detector.text.finetune.lower_states` (memoised, and
    shared with the tuned heads' fits), the top 2 are the pretrained ones."""
    import torch

    from detector.text.finetune import _pad, _Top, lower_states

    missing = sorted({t for t in texts if t not in _MPNET}, key=len)
    if missing:
        states = lower_states(missing, split=10, base="mpnet-base", max_length=128)
        top = _Top(10, 2, 0.0, "mpnet-base")
        top.train(False)
        with torch.inference_mode():
            for i in range(0, len(missing), 64):
                x, mask = _pad(states[i : i + 64])
                pooled = torch.nn.functional.normalize(top.pooled(x, mask), dim=1).numpy()
                _MPNET.update(zip(missing[i : i + 64], pooled, strict=True))
    return np.stack([_MPNET[t] for t in texts])


def extra_posts(labels: Path, texts: Path) -> pd.DataFrame:
    """The outage posts with a symptom of the labelled file *labels*, their texts looked up
    by ``uid`` in *texts* when *labels* has none (:class:`~detector.text.training.TextsById`)."""
    from detector.text.training import TextsById, read_table

    frame = read_table(labels)
    if "text" not in frame.columns:
        frame = TextsById.read([texts]).attach(frame, labels, "text")
    symptom = frame.symptom.fillna("").astype(str).str.strip()
    return frame[(frame.label == "outage") & (symptom != "")].reset_index(drop=True)


def training_posts(rest: pd.DataFrame, seed: pd.DataFrame) -> tuple[list, list, list, list]:
    """A fit's training posts: texts, labels, symptoms and groups of the real posts *rest*
    and the seed posts (group None: training-only)."""
    return (
        rest.text.astype(str).tolist() + seed.text.astype(str).tolist(),
        rest.label.tolist() + seed.label.tolist(),
        rest.symptom.tolist() + seed.symptom.tolist(),
        rest.source.tolist() + [None] * len(seed),
    )


def fit_tier_symptoms(
    texts: list, labels: list, symptom: list, groups: list, tuners: list[dict]
) -> tuple[TieredClassifier, np.ndarray]:
    """The tier's own symptom fit (fast model, frozen-embedding head, the fine-tuned heads
    of *tuners*) and which posts are outages."""
    tier = TieredClassifier(fast_params=FAST, symptom_tuner=tuners)
    fast = tier._fit_fast(texts, labels, symptom, groups)
    is_pos = np.asarray([str(v) for v in labels]) == fast.positive_label
    emb = tiered.shared_encoder(tier.max_length).encode(texts)
    tier._fit_symptom_head(symptom, is_pos, emb, texts)
    return tier, is_pos


def fit_parts(
    real: pd.DataFrame,
    seed: pd.DataFrame,
    heads: int,
    dump: Path,
    folds: int,
    *,
    fraction: float = 1.0,
    extra: pd.DataFrame | None = None,
    mpnet: bool = True,
    max_length: int | None = None,
    tuned: dict[str, Any] | None = None,
    shard: tuple[int, int] = (0, 1),
    seed_symptoms: bool = True,
) -> None:
    """One symptom fit per held-out source (or per group of *folds* sources); every head's
    probabilities on the held-out outage posts go to *dump* (written after each fit, so a
    stopped run keeps its folds and a new one resumes).

    *fraction* < 1 trains each fit on that share of the other sources' posts (a fixed
    random sample: a learning curve); *extra* labelled posts (``text, source, label,
    symptom``) join the training posts of every fit that does not hold out their source,
    and are never scored; ``mpnet=False`` skips the mpnet-embedding head; *max_length*
    replaces the tuned heads' word-piece limit, *tuned* their other parameters (e.g.
    ``{"top_layers": 4, "epochs": 5}``); *shard* ``(i, n)`` fits only the folds whose
    number is *i* modulo *n* (n processes share a run, each with its own *dump*);
    ``seed_symptoms=False`` keeps the seed posts' labels but not their symptoms (the
    symptom heads then learn from real posts only)."""
    tuner = dict(CANDIDATES[CANDIDATE]["symptom_tuner"])
    if max_length is not None:
        tuner["max_length"] = max_length
    tuner.update(tuned or {})
    truth_all = (real.label == "outage").to_numpy() & real.symptom.notna().to_numpy()
    held_out = source_folds(real, folds)
    options = json.dumps(
        {
            "heads": heads,
            "folds": folds,
            "fraction": fraction,
            "extra_posts": 0 if extra is None else len(extra),
            "mpnet": mpnet,
            **({} if max_length is None else {"tuned_max_length": max_length}),
            **({f"tuned_{k}": v for k, v in sorted((tuned or {}).items())}),
            **({} if seed_symptoms else {"seed_symptoms": False}),
        },
        sort_keys=True,
    )
    out: dict[str, np.ndarray] = {"fits": np.asarray(len(held_out)), "options": np.asarray(options)}
    if dump.is_file():
        with np.load(dump, allow_pickle=False) as stored:
            kept = str(stored["options"]) if "options" in stored.files else None
            if kept is not None and kept != options:
                raise SystemExit(f"{dump} was made with {kept}, not {options}: give another --dump")
            out = {k: stored[k] for k in stored.files}
            out["options"] = np.asarray(options)
    if not seed_symptoms:
        seed = seed.assign(symptom=np.nan)
    for k, held_sources in enumerate(held_out):
        source = ",".join(held_sources)
        if k % shard[1] != shard[0]:
            continue
        if f"fold{k}_rows" in out:
            print(f"fold {k} ({source}): kept from {dump}", flush=True)
            continue
        held = real.source.isin(held_sources).to_numpy()
        rest = real[~held]
        if fraction < 1:
            rest = rest.sample(frac=fraction, random_state=0).sort_index()
        if extra is not None:
            rest = pd.concat([rest, extra[~extra.source.isin(held_sources)]], ignore_index=True)
        texts, labels, symptom, groups = training_posts(rest, seed)
        started = time.perf_counter()
        tier, is_pos = fit_tier_symptoms(
            texts, labels, symptom, groups, [{**tuner, "random_state": r} for r in range(heads)]
        )
        fast = tier.fast_
        rows = np.flatnonzero(held & truth_all)
        parts = tier.symptom_parts(real.text.iloc[rows].astype(str).tolist())
        out[f"fold{k}_rows"] = rows
        out[f"fold{k}_fast"] = parts["fast"]
        out[f"fold{k}_frozen"] = parts["frozen"]
        if mpnet:
            out[f"fold{k}_mpnet"] = _mpnet_head(tier, texts, symptom, is_pos, rows, real)
        for h, head in enumerate(parts["tuned"]):
            out[f"fold{k}_tuned{h}"] = head
        out["classes"] = fast.symptom_model_.classes_.astype(str)
        np.savez(dump, **out)
        print(
            f"fold {k} ({source}): {len(rows)} outage posts, fitted in "
            f"{time.perf_counter() - started:.0f}s",
            flush=True,
        )


def _mpnet_head(
    tier: TieredClassifier,
    texts: list[str],
    symptom: list,
    is_pos: np.ndarray,
    rows: np.ndarray,
    real: pd.DataFrame,
) -> np.ndarray:
    """A logistic regression (the frozen head's C) on mpnet's sentence embedding of the
    training outage posts; its probabilities on the held-out *rows* (fast-model classes)."""
    from sklearn.linear_model import LogisticRegression

    names, usable = symptom_rows(symptom, is_pos)
    head = LogisticRegression(C=tier.symptom_C, max_iter=3000).fit(
        mpnet_embeddings([texts[i] for i in np.flatnonzero(usable)]), names[usable].astype(str)
    )
    classes = tier.fast_.symptom_model_.classes_
    proba = head.predict_proba(mpnet_embeddings(real.text.iloc[rows].astype(str).tolist()))
    order = [int(np.flatnonzero(head.classes_ == c)[0]) for c in classes]
    return proba[:, order]


def _mix(parts: dict, weight: float, heads: int, frozen: str = "minilm") -> np.ndarray:
    """The tier's mix (:meth:`TieredClassifier.mix_symptom_parts`) with the first *heads*
    tuned heads at *weight* in all; *frozen* names the frozen-embedding head."""
    if frozen == "minilm":
        head = parts["frozen"]
    elif frozen == "mpnet":
        head = parts["mpnet"]
    else:
        head = (parts["frozen"] + parts["mpnet"]) / 2
    return _TIER.mix_symptom_parts(
        {"fast": parts["fast"], "frozen": head, "tuned": parts["tuned"][:heads]},
        tuned_weights=[weight / heads] * heads,
    )


def _prior_shift(proba: np.ndarray, truth: np.ndarray, l2: float) -> np.ndarray:
    """Per-class offsets to the log-probabilities (a change of class priors, Saerens et al.
    2002) that maximise the likelihood of *truth* on *proba*, with a ridge *l2*; centred."""
    from scipy.optimize import minimize

    logp = np.log(np.maximum(proba, 1e-9))
    n, k = logp.shape
    observed = np.bincount(truth, minlength=k) / n

    def loss(shift: np.ndarray) -> tuple[float, np.ndarray]:
        z = logp + shift
        z -= z.max(axis=1, keepdims=True)
        norm = np.log(np.exp(z).sum(axis=1))
        nll = -float(np.mean(z[np.arange(n), truth] - norm)) + l2 * float(shift @ shift)
        return nll, np.exp(z - norm[:, None]).mean(axis=0) - observed + 2 * l2 * shift

    found = minimize(loss, np.zeros(k), jac=True, method="L-BFGS-B").x
    return found - found.mean()


def _greedy_shift(proba: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per-class offsets on a 0.1 grid in [-1, 1] that maximise accuracy, one class at a
    time, three rounds (ties: the smaller offset)."""
    logp = np.log(np.maximum(proba, 1e-9))
    shift = np.zeros(logp.shape[1])
    for _ in range(3):
        for c in range(len(shift)):
            best = (-1.0, 0.0)
            for g in np.round(np.arange(-1.0, 1.01, 0.1), 1):
                trial = shift.copy()
                trial[c] = g
                acc = float(np.mean((logp + trial).argmax(axis=1) == truth))
                if acc > best[0] + 1e-12 or (abs(acc - best[0]) < 1e-12 and abs(g) < abs(best[1])):
                    best = (acc, g)
            shift[c] = best[1]
    return shift


#: Ways of fitting the prior shift compared: maximum likelihood with a ridge of 1e-3 and
#: of 1e-2, and the accuracy-greedy grid.
SHIFTS = {
    "ml_l2_0.001": lambda p, t: _prior_shift(p, t, 1e-3),
    "ml_l2_0.01": lambda p, t: _prior_shift(p, t, 1e-2),
    "greedy_accuracy": _greedy_shift,
}


def _nested_prior_shift(folds: list[dict], classes: np.ndarray, variants: list) -> dict:
    """Pooled accuracy of each variant with a symptom prior shift (one offset per class
    added to the log of the mixed probabilities), each fold's offsets fitted on the other
    folds' held-out posts only (as ``train`` could fit them on its cross-validation's),
    for each way of fitting them (:data:`SHIFTS`); beside it the variant without."""
    truths = [np.searchsorted(classes, f["truth"]) for f in folds]
    total = sum(len(t) for t in truths)
    pooled: dict[str, dict[str, float]] = {}
    for h, w, z in variants:
        mixed = [_mix(f, w, h, z) for f in folds]
        name = f"heads{h}_w{w:.1f}_{z}"
        plain = sum(int(np.sum(p.argmax(axis=1) == t)) for p, t in zip(mixed, truths, strict=True))
        pooled[name] = {"no_shift": round(plain / total, 4)}
        for how, fit in SHIFTS.items():
            hits = 0
            for i, (proba, truth) in enumerate(zip(mixed, truths, strict=True)):
                rest = [k for k in range(len(folds)) if k != i]
                shift = fit(
                    np.vstack([mixed[k] for k in rest]), np.concatenate([truths[k] for k in rest])
                )
                logp = np.log(np.maximum(proba, 1e-9))
                hits += int(np.sum((logp + shift).argmax(axis=1) == truth))
            pooled[name][how] = round(hits / total, 4)
    return pooled


def _merged(dumps: list[Path]) -> dict[str, np.ndarray]:
    """The arrays of *dumps* (shards of one run: the same options) as one dump."""
    stored: dict[str, np.ndarray] = {}
    for dump in dumps:
        with np.load(dump, allow_pickle=False) as part:
            if "options" in stored and str(part["options"]) != str(stored["options"]):
                raise SystemExit(f"{dump} was made with other options than {dumps[0]}")
            stored.update({k: part[k] for k in part.files})
    return stored


def summarise(dumps: list[Path], real: pd.DataFrame, out: Path) -> dict:
    """Accuracy of every (heads, weight) variant, per source and pooled, and the nested
    choice of both (each fit's choice made on the other fits' posts)."""
    stored = _merged(dumps)
    classes = stored["classes"]
    folds = []
    done = [k for k in range(int(stored["fits"])) if f"fold{k}_rows" in stored]
    has_mpnet = all(f"fold{k}_mpnet" in stored for k in done)
    for k in done:
        rows = stored[f"fold{k}_rows"]
        tuned = sorted(f for f in stored if f.startswith(f"fold{k}_tuned"))
        folds.append(
            {
                "sources": real.source.to_numpy()[rows],
                "truth": real.symptom.to_numpy()[rows].astype(str),
                "fast": stored[f"fold{k}_fast"],
                "frozen": stored[f"fold{k}_frozen"],
                "mpnet": stored[f"fold{k}_mpnet"] if has_mpnet else None,
                "tuned": [stored[f] for f in tuned],
            }
        )
    n_heads = min(len(f["tuned"]) for f in folds)
    frozen_heads = FROZEN if has_mpnet else ("minilm",)  # a --no-mpnet dump: the tier's only
    variants = [(h, w, z) for h in range(1, n_heads + 1) for w in WEIGHTS for z in frozen_heads]
    correct = {
        v: [classes[_mix(f, v[1], v[0], v[2]).argmax(1)] == f["truth"] for f in folds]
        for v in variants
    }
    sources = np.concatenate([f["sources"] for f in folds])
    total = len(sources)

    def pooled(v: tuple[int, float, str], skip: int | None = None) -> float:
        return float(np.concatenate([c for i, c in enumerate(correct[v]) if i != skip]).mean())

    nested_hits = 0
    chosen = []
    for i, fold in enumerate(folds):
        best = max(
            variants,
            key=lambda v: (round(pooled(v, skip=i), 6), v[2] == "minilm", -v[0], -abs(v[1] - 0.5)),
        )
        held = sorted(set(fold["sources"]))
        chosen.append({"sources": held, "heads": best[0], "weight": best[1], "frozen": best[2]})
        nested_hits += int(correct[best][i].sum())
    shifted = _nested_prior_shift(folds, classes, [v for v in variants if v[1] in (0.5, 0.6, 0.7)])
    per_source = {}
    for source in sorted(set(sources)):
        at = sources == source
        per_source[source] = {"posts": int(at.sum())}
        for h, w, z in variants:
            if w in (0.5, 0.6, 1.0):
                hits = np.concatenate(correct[(h, w, z)])[at]
                per_source[source][f"heads{h}_w{w:.1f}_{z}"] = round(float(hits.mean()), 4)
    result = {
        "protocol": (
            f"{int(stored['fits'])} fits holding out whole real sources (seed posts "
            "training-only); each fit is the tier's symptom fit (fast n-gram head, "
            "frozen-embedding heads (minilm: the tier's; mpnet: a regression on "
            "all-mpnet-base-v2's sentence embedding; both: their mean; only when the run had "
            "the mpnet head), fine-tuned heads of "
            f"{CANDIDATE} with random_state 0..{n_heads - 1}); accuracy over every true "
            "outage post of the held-out sources. nested: each fit's (heads, weight, frozen) "
            "chosen by pooled accuracy on the other fits' posts"
        ),
        "options": json.loads(str(stored["options"])) if "options" in stored else None,
        "fits": len(folds),
        "posts": total,
        "machine": {"cpus": os.cpu_count()},
        "pooled": {f"heads{h}_w{w:.1f}_{z}": round(pooled((h, w, z)), 4) for h, w, z in variants},
        "per_source": per_source,
        "nested": {"pooled_accuracy": round(nested_hits / total, 4), "chosen": chosen},
        "prior_shift_nested": shifted,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _shard(text: str) -> tuple[int, int]:
    """``I/N`` -> ``(I, N)``."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise SystemExit(f"--shard takes I/N. Got {text!r} instead.") from None
    if not 0 <= i < n:
        raise SystemExit(f"--shard I/N needs 0 <= I < N. Got {text!r} instead.")
    return i, n


def _tuner_param(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` -> ``(KEY, VALUE)``, the value read as JSON when it is (a number)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise SystemExit(f"--tuned takes KEY=VALUE. Got {text!r} instead.")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", type=int, default=2, help="fine-tuned heads a fit")
    parser.add_argument(
        "--folds", type=int, default=0, help="0: one fit per source; N: N groups of sources"
    )
    parser.add_argument("--dump", default=None, help=".npz the fits write (and resume from)")
    parser.add_argument(
        "--summarise", nargs="+", default=None, help=".npz to summarise (or the shards of one run)"
    )
    parser.add_argument(
        "--shard", default="0/1", metavar="I/N", help="fit only the folds numbered I modulo N"
    )
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument(
        "--fraction", type=float, default=1.0, help="share of the training posts (learning curve)"
    )
    parser.add_argument(
        "--extra",
        default=None,
        help="more labelled posts (source, label, symptom, and text or uid): training only, "
        "outage posts with a symptom, e.g. data/project_labels.csv",
    )
    parser.add_argument(
        "--extra-texts",
        default=str(UNLABELED),
        help="texts of --extra posts given by uid (default: the shared unlabelled posts)",
    )
    parser.add_argument("--no-mpnet", action="store_true", help="skip the mpnet-embedding head")
    parser.add_argument(
        "--max-length",
        type=int,
        default=None,
        help="word pieces the tuned heads read (default: the candidate's)",
    )
    parser.add_argument(
        "--tuned",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter of the tuned heads (TopTuner), e.g. top_layers=4 or epochs=5",
    )
    parser.add_argument(
        "--no-seed-symptoms",
        action="store_true",
        help="the seed posts keep their labels but not their symptoms: symptom heads learn "
        "from real posts only",
    )
    args = parser.parse_args()
    real = real_posts()
    if args.summarise:
        result = summarise([Path(p) for p in args.summarise], real, Path(args.out))
        best = sorted(result["pooled"].items(), key=lambda kv: -kv[1])[:8]
        print(json.dumps({"best_pooled": best, "nested": result["nested"]}, indent=1))
        return
    if not args.dump:
        parser.error("give --dump FILE.npz (or --summarise FILE.npz)")
    tiered._ENCODER.setdefault(128, SentenceEncoder(max_length=128))
    if not 0 < args.fraction <= 1:
        parser.error("--fraction must be in (0, 1]")
    fit_parts(
        real,
        pd.read_csv(SEED),
        args.heads,
        Path(args.dump),
        args.folds,
        fraction=args.fraction,
        extra=extra_posts(Path(args.extra), Path(args.extra_texts)) if args.extra else None,
        mpnet=not args.no_mpnet,
        max_length=args.max_length,
        tuned=dict(_tuner_param(kv) for kv in args.tuned),
        shard=_shard(args.shard),
        seed_symptoms=not args.no_seed_symptoms,
    )


if __name__ == "__main__":
    main()
