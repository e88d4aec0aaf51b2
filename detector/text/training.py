"""Train and evaluate outage models on labelled files (the logic behind ``train``/``evaluate``).

- :func:`read_labelled` reads CSV, TSV, JSON Lines, JSON or Parquet (``.gz``/``.zst``/
  ``.bz2``/``.xz`` too) and keeps the text, label and optional symptom columns.
- :func:`map_labels` turns a user's label values into the classes the model learns:
  exactly ``outage/complaint/other`` trains the 3-class model; otherwise the value
  named by ``positive`` (default ``outage``; without it ``1``/``true``/``yes``) is
  the positive class and everything else is the rest (binary mode).
- :func:`train_model` cross-validates (stratified), fits on everything and writes the
  model and its card; :func:`evaluate_model` scores a model on a labelled file.

Metrics are positive-vs-rest: ``precision, recall, f1``, ``macro_f1`` (mean of the
F1 of the positive class and of the rest), ``pr_auc`` (average precision of the
calibrated probability), ``n`` and ``confusion`` as ``{"tp", "fp", "fn", "tn"}``.

>>> y, task = map_labels(pd.Series(["complained", "fine", "fine"]), positive="complained")
>>> y.tolist(), task["mode"], task["positive"]
(['outage', 'other', 'other'], 'binary', 'complained')
>>> binary_metrics([1, 0, 1, 0], [1, 0, 0, 0], [0.9, 0.2, 0.4, 0.1])["confusion"]
{'tp': 1, 'fp': 0, 'fn': 1, 'tn': 2}
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detector.errors import (
    DataError,
    InputMissingError,
    SchemaError,
    TooLittleDataError,
    UsageError,
)
from detector.text.modelstore import OutageModel, save_model, sha256_of

__all__ = [
    "MIN_EXAMPLES_PER_CLASS",
    "LabelledData",
    "binary_metrics",
    "cross_validate",
    "evaluate_model",
    "map_labels",
    "read_labelled",
    "read_table",
    "train_model",
]

#: Fewer examples than this of any class is refused (TooLittleDataError).
MIN_EXAMPLES_PER_CLASS = 20
THREE_CLASSES = ("complaint", "other", "outage")
TRUE_VALUES = ("1", "true", "yes")

#: Where known training files come from and under which terms (written into the card).
KNOWN_SOURCES: dict[str, str] = {
    "labeled_posts.csv": (
        "outage-detector shared labelled posts (hand-labelled by LABELING.md); sources: "
        "Preotiuc-Pietro, Gaman & Aletras, ACL 2019 complaints corpus (no licence stated, "
        "research use with citation); power outage tweets 2019 (no licence stated); Comcast "
        "FCC consumer complaints 2015 (no licence stated); Twitter US Airline Sentiment, Feb "
        "2015 (CC BY-NC-SA 4.0)"
    ),
    "seed_posts.csv": (
        "seed posts written by the outage-detector project (tools/make_seed_posts.py), MIT licence"
    ),
}

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------
_COMPRESSION = {".gz": "gzip", ".zst": "zstd", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV/TSV/JSONL/JSON/Parquet file (optionally compressed) into a DataFrame."""
    path = Path(path)
    if not path.is_file():
        raise InputMissingError(f"--data file '{path}' does not exist or is not a regular file")
    suffixes = [s.lower() for s in path.suffixes]
    compression = _COMPRESSION.get(suffixes[-1]) if suffixes else None
    fmt_suffix = suffixes[-2] if compression and len(suffixes) >= 2 else (suffixes or [""])[-1]
    fmt = _FORMATS.get(fmt_suffix)
    if fmt is None:
        raise UsageError(
            f"--data file '{path}' must end in one of {', '.join(sorted(_FORMATS))} "
            f"(optionally followed by {', '.join(sorted(_COMPRESSION))}). "
            f"Got '{''.join(path.suffixes) or 'no suffix'}' instead."
        )
    try:
        if fmt == "csv":
            return pd.read_csv(path, compression=compression, dtype=str, keep_default_na=False)
        if fmt == "tsv":
            return pd.read_csv(
                path, sep="\t", compression=compression, dtype=str, keep_default_na=False
            )
        if fmt == "jsonl":
            return pd.read_json(path, lines=True, compression=compression, dtype=False)
        if fmt == "json":
            return pd.read_json(path, compression=compression, dtype=False)
        return pd.read_parquet(path)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(f"cannot read --data file '{path}' as {fmt.upper()}: {message}") from err
    except Exception as err:  # pyarrow and decompressors raise their own types
        raise DataError(
            f"cannot read --data file '{path}' as {fmt.upper()}: {type(err).__name__}: {err}"
        ) from err


@dataclass
class LabelledData:
    """Labelled posts read from one or more files, with where they came from."""

    text: list[str]
    label: pd.Series
    symptom: pd.Series | None
    files: list[dict[str, Any]] = field(default_factory=list)


def _clean_value(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    if text.lower() in ("", "nan", "none", "null", "na", "<na>"):
        return None
    try:  # "1.0" in a CSV read as text
        number = float(text)
        if number.is_integer() and "." in text:
            return str(int(number))
    except ValueError:
        pass
    return text


def read_labelled(
    paths: Sequence[str | Path],
    *,
    text_col: str = "text",
    label_col: str = "label",
    symptom_col: str | None = None,
    progress: Progress = _quiet,
) -> LabelledData:
    """Read labelled posts; rows without text or label are dropped (and counted)."""
    texts: list[str] = []
    labels: list[str] = []
    symptoms: list[str | None] = []
    files = []
    use_symptom = False
    for raw_path in paths:
        path = Path(raw_path)
        frame = read_table(path)
        columns = [str(c) for c in frame.columns]
        for option, column in (("--text-col", text_col), ("--label-col", label_col)):
            if column not in frame.columns:
                raise SchemaError(
                    f"--data file '{path}' has no column '{column}' ({option}); "
                    f"columns found: {', '.join(columns) or 'none'}"
                )
        file_symptom = symptom_col if symptom_col in frame.columns else None
        if symptom_col is not None and file_symptom is None and symptom_col != "symptom":
            raise SchemaError(
                f"--data file '{path}' has no column '{symptom_col}' (--symptom-col); "
                f"columns found: {', '.join(columns)}"
            )
        use_symptom = use_symptom or file_symptom is not None
        text = frame[text_col].map(lambda v: None if v is None else str(v))
        label = frame[label_col].map(_clean_value)
        usable = text.notna() & (text.str.strip().str.len() > 0) & label.notna()
        texts.extend(text[usable].tolist())
        labels.extend(label[usable].tolist())
        if file_symptom is not None:
            symptoms.extend(frame[file_symptom].map(_clean_value)[usable].tolist())
        else:
            symptoms.extend([None] * int(usable.sum()))
        info = {
            "path": str(path),
            "file": path.name,
            "sha256": sha256_of(path),
            "rows": len(frame),
            "rows_used": int(usable.sum()),
        }
        if path.name in KNOWN_SOURCES:
            info["source"] = KNOWN_SOURCES[path.name]
        files.append(info)
        dropped = len(frame) - int(usable.sum())
        progress(
            f"read {path}: {len(frame)} rows, {int(usable.sum())} labelled"
            + (f" ({dropped} without text or {label_col} skipped)" if dropped else "")
        )
    return LabelledData(
        text=texts,
        label=pd.Series(labels, dtype=object),
        symptom=pd.Series(symptoms, dtype=object) if use_symptom else None,
        files=files,
    )


# ---------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------
def map_labels(labels: pd.Series, positive: str | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Map user labels to the model's classes; returns ``(y, task)``.

    >>> map_labels(pd.Series(["outage", "other", "complaint"]))[1]["mode"]
    '3class'
    >>> map_labels(pd.Series(["1", "0"]))[0].tolist()
    ['outage', 'other']
    >>> map_labels(pd.Series(["a", "b"]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    detector.errors.DataError: no positive class: the label values are a, b and none is ...
    """
    values = labels.astype(str)
    lowered = values.str.lower()
    found = sorted(set(values))
    if len(found) < 2:
        raise TooLittleDataError(
            f"the labels have only one value ({', '.join(found) or 'none'}); "
            "training needs at least two classes"
        )
    if set(lowered) == set(THREE_CLASSES) and positive in (None, "outage"):
        return lowered.to_numpy(dtype=object), {"mode": "3class", "positive": "outage"}
    if positive is not None:
        matches = lowered == str(positive).strip().lower()
        if not matches.any():
            raise DataError(
                f"--positive '{positive}' is not a label value; values found: "
                f"{', '.join(found[:20])}{' ...' if len(found) > 20 else ''}"
            )
        is_pos = matches.to_numpy()
        pos_name = str(positive)
    elif (lowered == "outage").any():
        is_pos = (lowered == "outage").to_numpy()
        pos_name = "outage"
    elif lowered.isin(TRUE_VALUES).any():
        is_pos = lowered.isin(TRUE_VALUES).to_numpy()
        pos_name = "/".join(v for v in TRUE_VALUES if (lowered == v).any())
    else:
        raise DataError(
            f"no positive class: the label values are {', '.join(found[:20])} and none is "
            "'outage', '1', 'true' or 'yes'; name the positive value with --positive"
        )
    y = np.where(is_pos, "outage", "other").astype(object)
    return y, {"mode": "binary", "positive": pos_name}


def check_enough(
    y: np.ndarray, task: dict[str, Any], label_col: str, minimum: int
) -> dict[str, int]:
    """Rows per class (user-facing names); TooLittleDataError when a class is under *minimum*."""
    names, counts = np.unique(y, return_counts=True)
    per_class = {str(n): int(c) for n, c in zip(names, counts, strict=True)}
    if task["mode"] == "binary":
        per_class = {
            task["positive"]: per_class.get("outage", 0),
            f"not {task['positive']}": per_class.get("other", 0),
        }
    for name, count in sorted(per_class.items(), key=lambda kv: kv[1]):
        if count < minimum:
            raise TooLittleDataError(
                f"too little data: class '{name}' of --label-col '{label_col}' has {count} "
                f"examples; at least {minimum} per class are needed"
            )
    return per_class


# ---------------------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------------------
def binary_metrics(
    truth: Sequence[Any], predicted: Sequence[Any], prob: Sequence[float] | None = None
) -> dict[str, Any]:
    """Positive-vs-rest metrics of boolean *truth*/*predicted* (and *prob* for PR-AUC)."""
    from sklearn.metrics import average_precision_score

    t = np.asarray(truth).astype(bool)
    p = np.asarray(predicted).astype(bool)
    tp = int(np.sum(t & p))
    fp = int(np.sum(~t & p))
    fn = int(np.sum(t & ~p))
    tn = int(np.sum(~t & ~p))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    f1_rest = 2 * tn / (2 * tn + fp + fn) if tn + fp + fn else 0.0
    pr_auc = None
    if prob is not None and t.any() and not t.all():
        pr_auc = float(average_precision_score(t, np.asarray(prob, dtype=float)))
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "macro_f1": round((f1 + f1_rest) / 2, 4),
        "pr_auc": None if pr_auc is None else round(pr_auc, 4),
        "n": int(len(t)),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


# ---------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------
def _estimator(seed: int, params: dict[str, Any] | None) -> Any:
    from detector.text.classifier import OutageClassifier

    return OutageClassifier(random_state=seed, **(params or {}))


def cross_validate(
    texts: Sequence[str],
    y: np.ndarray,
    symptom: pd.Series | None,
    *,
    folds: int,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Stratified *folds*-fold CV of the classifier; metrics of the out-of-fold predictions."""
    from sklearn.model_selection import StratifiedKFold

    texts = list(texts)
    n = len(texts)
    labels = np.empty(n, dtype=object)
    prob = np.zeros(n)
    sym_pred = np.full(n, None, dtype=object)
    per_fold = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for i, (train, test) in enumerate(splitter.split(np.zeros(n), y), start=1):
        model = _estimator(seed, params).fit(
            [texts[j] for j in train],
            y[train],
            symptom=None if symptom is None else symptom.iloc[train].tolist(),
        )
        frame = model.predict_frame([texts[j] for j in test])
        labels[test] = frame["label"].to_numpy(dtype=object)
        prob[test] = frame["positive_prob"].to_numpy()
        sym_pred[test] = frame["symptom"].to_numpy(dtype=object)
        fold = binary_metrics(y[test] == "outage", labels[test] == "outage")
        per_fold.append(fold["f1"])
        progress(f"cv fold {i}/{folds}: f1 {fold['f1']:.3f}, macro-F1 {fold['macro_f1']:.3f}")
    metrics = binary_metrics(y == "outage", labels == "outage", prob)
    metrics["folds"] = folds
    metrics["f1_per_fold"] = per_fold
    metrics["f1_std"] = round(float(np.std(per_fold)), 4)
    if set(np.unique(y)) == set(THREE_CLASSES):
        from sklearn.metrics import accuracy_score, f1_score

        metrics["accuracy_3class"] = round(float(accuracy_score(y, labels)), 4)
        metrics["macro_f1_3class"] = round(float(f1_score(y, labels, average="macro")), 4)
    if symptom is not None:
        truth = symptom.to_numpy(dtype=object)
        ok = (y == "outage") & (labels == "outage") & pd.notna(truth)
        if ok.any():
            metrics["symptom_accuracy"] = round(float(np.mean(sym_pred[ok] == truth[ok])), 4)
            metrics["symptom_n"] = int(ok.sum())
    return metrics


def _versions() -> dict[str, str]:
    import nltk
    import pyarrow
    import scipy
    import sklearn
    import skops

    from detector import __version__

    return {
        "python": platform.python_version(),
        "outage-detector": __version__,
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "nltk": nltk.__version__,
    }


def train_model(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    text_col: str = "text",
    label_col: str = "label",
    positive: str | None = None,
    symptom_col: str | None = None,
    cv: int = 5,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    min_examples: int = MIN_EXAMPLES_PER_CLASS,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Read, check, cross-validate, fit and save a model in *out*; returns its card."""
    if cv < 2:
        raise UsageError(f"The 'cv' parameter of train must be an int >= 2. Got {cv!r} instead.")
    data = read_labelled(
        paths,
        text_col=text_col,
        label_col=label_col,
        symptom_col=symptom_col or "symptom",
        progress=progress,
    )
    y, task = map_labels(data.label, positive)
    per_class = check_enough(y, task, label_col, min_examples)
    smallest = min(per_class.values())
    if smallest < cv:
        raise TooLittleDataError(
            f"too little data for {cv}-fold CV: the smallest class has {smallest} examples"
        )
    symptom = data.symptom if task["mode"] == "3class" or task["positive"] == "outage" else None
    progress(
        f"training a {task['mode']} model on {len(y)} posts "
        f"({', '.join(f'{k}: {v}' for k, v in per_class.items())}); {cv}-fold CV"
    )
    metrics = cross_validate(
        data.text, y, symptom, folds=cv, seed=seed, params=params, progress=progress
    )
    progress(
        f"cv: precision {metrics['precision']:.3f}, recall {metrics['recall']:.3f}, "
        f"f1 {metrics['f1']:.3f}, macro-F1 {metrics['macro_f1']:.3f}"
    )
    model = _estimator(seed, params).fit(
        data.text, y, symptom=None if symptom is None else symptom.tolist()
    )
    out = Path(out)
    card = {
        "name": out.name,
        "format_version": 1,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "task": {
            "mode": task["mode"],
            "positive": task["positive"],
            "classes": [str(c) for c in model.classes_],
            "text_col": text_col,
            "label_col": label_col,
            "symptom_col": (symptom_col or "symptom") if symptom is not None else None,
            "symptoms": [str(s) for s in model.symptom_classes_],
        },
        "data": data.files,
        "rows": len(y),
        "rows_per_class": per_class,
        "parameters": {k: v for k, v in model.get_params().items()},
        "threshold": round(float(model.threshold_), 4),
        "cv": metrics,
        "library_versions": _versions(),
    }
    card = save_model(model, out, card)
    progress(f"wrote {out} ({card['model_bytes'] / 1e6:.1f} MB)")
    return card


def evaluate_model(
    model: OutageModel,
    paths: Sequence[str | Path],
    *,
    text_col: str = "text",
    label_col: str = "label",
    positive: str | None = None,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Positive-vs-rest metrics of *model* on labelled files."""
    data = read_labelled(paths, text_col=text_col, label_col=label_col, progress=progress)
    if positive is None:
        card_positive = (model.card.get("task") or {}).get("positive")
        lowered = set(data.label.astype(str).str.lower())
        if card_positive and str(card_positive).lower() in lowered:
            positive = str(card_positive)
    y, task = map_labels(data.label, positive)
    scored = model.predict_posts(data.text)
    metrics = binary_metrics(
        y == "outage", scored["is_outage"].to_numpy(), scored["outage_prob"].to_numpy()
    )
    metrics["positive"] = task["positive"]
    metrics["model"] = model.name
    return metrics
