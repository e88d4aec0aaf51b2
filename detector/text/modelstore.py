"""Save and load outage models in a safe format, with their model card.

A model directory holds two files:

- ``model.skops``: the fitted :class:`~detector.text.classifier.OutageClassifier`
  in the skops format (a zip of JSON and ``.npy`` arrays, never a pickle). Loading
  first lists the types the file would build (``skops.io.get_untrusted_types``) and
  refuses any type outside :data:`TRUSTED_TYPES`, so a crafted file cannot run code.
- ``card.json``: what the model is and how it was made (data files with sha256 and
  row counts, rows per class, parameters, CV metrics, library versions, created
  time in UTC) and the sha256 of ``model.skops``, checked on every load.

:func:`load_model` is the one entry point the rest of the package uses:
``load_model(None)`` is the default model of the registry (:mod:`.registry`), a
name is looked up on the registry's search path, anything else is a directory path.
The card's ``model_file`` must name a file directly inside the model directory.
This module depends on :mod:`.registry`, never the reverse.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import sys
import threading
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detector.errors import ModelError
from detector.text.registry import (
    CARD_FILE,
    MODEL_FILE,
    read_card,
    resolve_model_dir,
    safe_model_file,
    sha256_of,
)

__all__ = [
    "CARD_FILE",
    "MODEL_FILE",
    "TRUSTED_TYPES",
    "ModelRef",
    "OutageModel",
    "check_model",
    "load_model",
    "read_card",
    "save_model",
    "sha256_of",
    "text_hashes",
    "training_hashes",
    "write_training_hashes",
]


#: Types a model file may contain beyond those skops trusts by default; nothing else loads.
TRUSTED_TYPES: tuple[str, ...] = (
    "detector.text.classifier.OutageClassifier",
    "detector.text.features.PostVectorizer",
    "detector.text.features.PlainVectorizer",
    "detector.text.tiered.TieredClassifier",
)


#: The scikit-learn estimators a model file may hold (what ``train`` builds). skops trusts
#: every scikit-learn estimator by default and, to list them, imports all of
#: scikit-learn when it is first imported (about 1.5 s per process, in every worker);
#: :func:`skops_io` narrows that default to these.
SKLEARN_ESTIMATORS: tuple[str, ...] = (
    "sklearn.linear_model.LogisticRegression",
    "sklearn.feature_extraction.text.TfidfVectorizer",  # PlainVectorizer's word and char parts
    "sklearn.feature_extraction.text.TfidfTransformer",
)


@lru_cache(maxsize=1)
def skops_io() -> Any:
    """``skops.io``, trusting by default only the :data:`SKLEARN_ESTIMATORS`.

    A file holding any other scikit-learn estimator is then refused by
    :func:`load_estimator` (its type is reported as untrusted), which is stricter than
    skops' default, and the import no longer walks every scikit-learn module.

    >>> "sklearn.linear_model._logistic.LogisticRegression" in (
    ...     skops_io()._trusted_types.SKLEARN_ESTIMATOR_TYPE_NAMES)
    True
    """
    with _IMPORTING:  # two threads must not both patch scikit-learn and import skops
        if "skops.io" in sys.modules:  # imported elsewhere already: nothing to save
            import skops.io as sio

            return sio
        import sklearn.utils

        everything = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = lambda *_, **__: list(_sklearn_classes().items())
        try:
            import skops.io as sio
        finally:
            sklearn.utils.all_estimators = everything
        return sio


_IMPORTING = threading.Lock()


@lru_cache(maxsize=1)
def _sklearn_classes() -> dict[str, type]:
    out = {}
    for dotted in SKLEARN_ESTIMATORS:
        module, _, name = dotted.rpartition(".")
        out[name] = getattr(importlib.import_module(module), name)
    return out


def _foreign_sklearn_types(data: bytes) -> list[str]:
    """scikit-learn types in the model file *data* other than :data:`SKLEARN_ESTIMATORS`
    (checked here too, so the rule holds even when skops was imported with its wide
    default)."""
    from detector.text.compact import schema_types

    allowed = {f"{c.__module__}.{c.__name__}" for c in _sklearn_classes().values()}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    found = {
        f"{module}.{name}"
        for module, name in schema_types(schema)
        if isinstance(module, str) and isinstance(name, str) and module.startswith("sklearn")
    }
    return sorted(found - allowed)


#: Beside the model: the hashes of the posts it was trained on (:func:`text_hashes`).
TEXTS_FILE = "training_texts.u64"
TEXTS_HASH = (
    "the first 8 bytes of BLAKE2b of each training post's text (Unicode NFKC, case-folded, "
    "runs of white space as one space, trimmed), as a sorted array of little-endian uint64"
)


def _text_key(text: Any) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def text_hashes(texts: Sequence[Any]) -> np.ndarray:
    """One 8-byte hash per post (uint64, in order), equal for posts whose text differs only
    in case, Unicode form or white space (see :data:`TEXTS_HASH`): how a model's training
    posts are recognised in another file, whatever its encoding, delimiter or row order.

    >>> a, b, c = text_hashes(["Outlook  is DOWN ", "outlook is down", "outlook is up"])
    >>> bool(a == b), bool(a == c)
    (True, False)
    """
    return np.fromiter(
        (
            int.from_bytes(
                hashlib.blake2b(_text_key(t).encode("utf-8"), digest_size=8).digest(), "little"
            )
            for t in texts
        ),
        dtype=np.uint64,
        count=len(texts),
    )


def training_hashes(directory: str | Path, card: dict[str, Any]) -> np.ndarray | None:
    """The sorted hashes of the posts the model in *directory* was trained on (None for a
    model saved without them); ModelError when the file fails its card's sha256."""
    entry = card.get("training_texts")
    if not isinstance(entry, dict):
        return None
    path = Path(directory) / safe_model_file(entry.get("file", TEXTS_FILE))
    if not path.is_file():
        raise ModelError(f"model directory '{directory}' has no file '{path.name}' (card.json)")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry.get("sha256") or len(data) % 8:
        raise ModelError(f"'{path}' fails its hash check against card.json (modified?)")
    return np.frombuffer(data, dtype="<u8").astype(np.uint64)


def save_model(
    estimator: Any,
    directory: str | Path,
    card: dict[str, Any],
    *,
    check: bool = True,
    texts: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Write *estimator* and its *card* into *directory*; returns the card as written.

    With *check* (the default) a model the store would refuse to load (a type outside
    :data:`TRUSTED_TYPES` and :data:`SKLEARN_ESTIMATORS`) is not written at all, so
    ``train`` never replaces a model with one that cannot be loaded. With *texts* (the
    training posts) their hashes are written beside it (:data:`TEXTS_FILE`: 8 bytes a
    distinct post) and described in the card's ``training_texts``.
    """
    data = skops_io().dumps(estimator, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    refused = refused_types(data, "the model") if check else []
    if refused:
        raise ModelError(
            f"the model holds types the model store refuses to load: {', '.join(refused)}"
        )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    staged = directory / f".{MODEL_FILE}.new"
    staged.write_bytes(data)
    staged.replace(model_path)
    card = dict(card)
    card["model_file"] = MODEL_FILE
    card["model_sha256"] = hashlib.sha256(data).hexdigest()
    card["model_bytes"] = len(data)
    if texts is not None:
        card = write_training_hashes(directory, card, text_hashes(texts), write_card=False)
    (directory / CARD_FILE).write_text(json.dumps(card, indent=2, default=_jsonable) + "\n")
    return card


def write_training_hashes(
    directory: str | Path, card: dict[str, Any], hashes: np.ndarray, *, write_card: bool = True
) -> dict[str, Any]:
    """Keep *hashes* (of the training posts, :func:`text_hashes`) beside the model in
    *directory* (:data:`TEXTS_FILE`) and describe them in the card's ``training_texts``;
    returns the card (written to ``card.json`` too with *write_card*)."""
    data = np.unique(np.asarray(hashes, dtype=np.uint64)).astype("<u8").tobytes()
    (Path(directory) / TEXTS_FILE).write_bytes(data)
    card = dict(card)
    card["training_texts"] = {
        "file": TEXTS_FILE,
        "posts": len(data) // 8,
        "hash": TEXTS_HASH,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    if write_card:
        text = json.dumps(card, indent=2, default=_jsonable) + "\n"
        (Path(directory) / CARD_FILE).write_text(text)
    return card


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def checked_file(directory: str | Path, card: dict[str, Any]) -> tuple[Path, bytes]:
    """The model file of *directory* and its bytes, once they match the sha256 of its
    *card*. The file is read once: what is checked is what gets loaded."""
    directory = Path(directory)
    path = directory / safe_model_file(card.get("model_file", MODEL_FILE))
    if not path.is_file():
        raise ModelError(f"model directory '{directory}' has no model file '{path.name}'")
    data = path.read_bytes()
    expected = card.get("model_sha256")
    actual = hashlib.sha256(data).hexdigest()
    if expected != actual:
        raise ModelError(
            f"model file '{path}' fails its hash check: card.json says sha256 {expected}, "
            f"the file has {actual} (modified or corrupted; retrain or restore it)"
        )
    return path, data


def refused_types(data: bytes, where: object) -> list[str]:
    """The types in the skops file *data* that the store refuses (sorted; none: ``[]``);
    *where* names it in errors."""
    sio = skops_io()
    try:
        untrusted = [*sio.get_untrusted_types(data=data), *_foreign_sklearn_types(data)]
    except Exception as err:  # a broken zip or schema
        raise ModelError(f"model file '{where}' is not a readable skops file: {err}") from err
    return sorted(set(untrusted) - set(TRUSTED_TYPES))


def load_estimator(
    directory: str | Path,
    card: dict[str, Any] | None = None,
    *,
    checked: tuple[Path, bytes] | None = None,
) -> Any:
    """Load the estimator of a model directory after checking its sha256 and types
    (*checked*: :func:`checked_file`'s answer, when the caller has it already)."""
    sio = skops_io()
    card = read_card(Path(directory)) if card is None else card
    path, data = checked or checked_file(directory, card)
    refused = refused_types(data, path)
    if refused:
        raise ModelError(
            f"model file '{path}' contains types outside the trusted list: {', '.join(refused)}"
        )
    try:
        return sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as err:
        raise ModelError(f"cannot load model file '{path}': {err}") from err


@dataclass
class OutageModel:
    """A loaded model: the estimator, its card and the name it was loaded by.

    ``predict_posts(texts)`` gives one row per post, in order, with ``label``
    (outage|complaint|other), ``is_outage``, ``outage_prob`` (calibrated) and
    ``symptom`` (None unless the post is an outage).
    """

    name: str
    path: Path
    card: dict[str, Any] = field(repr=False)
    estimator: Any = field(repr=False)

    def predict_posts(self, texts: Sequence[str]) -> pd.DataFrame:
        """Classify posts; same length and order as *texts*."""
        if isinstance(texts, pd.Series):
            texts = texts.reset_index(drop=True)
        columns = self.estimator.predict_columns(texts)
        labels = columns["label"]
        if self.estimator.positive_label != "outage" or set(self.estimator.classes_) - {
            "outage",
            "complaint",
            "other",
        }:  # a model trained outside ``train``: report positive-vs-rest
            labels = np.where(columns["is_positive"], "outage", "other").astype(object)
        return pd.DataFrame(
            {
                "label": labels,
                "is_outage": columns["is_positive"],
                "outage_prob": columns["positive_prob"],
                "symptom": columns["symptom"],
            },
            copy=False,
        )

    @property
    def threshold(self) -> float:
        """Probability at or above which a post counts as an outage."""
        return float(self.estimator.threshold_)


@dataclass(frozen=True)
class ModelRef:
    """A model found and hash-checked but not loaded (:func:`check_model`)."""

    name: str
    path: Path
    card: dict[str, Any] = field(repr=False)
    #: Can it be read without scikit-learn (:func:`detector.text.compact.read_compact`)?
    compact: bool = False


def check_model(ref: str | Path | None = None, *, root: str | Path | None = None) -> ModelRef:
    """Find a model and check its card and file hash without loading it (nor importing
    scikit-learn): for a process that only hands the model to its workers. The types the
    file holds are checked when it is loaded (:func:`load_model`).

    >>> check_model("outage-v2").name
    'outage-v2'
    """
    from detector.text.compact import read_compact

    directory, name = resolve_model_dir(ref, root=root)
    card = read_card(directory)
    _, data = checked_file(directory, card)
    compact = read_compact(data, arrays=False) is not None
    return ModelRef(name=name, path=directory, card=card, compact=compact)


def load_model(
    ref: str | Path | None = None, *, root: str | Path | None = None, compact: bool = False
) -> OutageModel:
    """Load a model: None = the registry's default, a name under ``models/``, or a path.

    ``compact=True`` is for scoring only: a fast model is then read without importing
    scikit-learn or skops (:mod:`detector.text.compact`; the same predictions, about 1.5
    CPU-seconds less), any other model the full way. Its estimator predicts
    (``predict_columns``, ``predict``, ``predict_proba``) but cannot be refitted or saved.

    Raises InputMissingError naming what was looked for (and the models available)
    when there is no such model, and ModelError when its files fail their checks.
    """
    directory, name = resolve_model_dir(ref, root=root)
    card = read_card(directory)
    estimator, checked = None, None
    if compact:
        from detector.text.compact import read_compact

        checked = checked_file(directory, card)  # read and hashed once for both loads
        estimator = read_compact(checked[1])
    if estimator is None:
        estimator = load_estimator(directory, card, checked=checked)
    return OutageModel(name=name, path=directory, card=card, estimator=estimator)
