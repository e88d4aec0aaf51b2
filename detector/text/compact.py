"""Read a fast model's numbers straight from its skops file, without scikit-learn or skops.

Scoring with the default model needs a vocabulary, two linear models, a calibration and a
threshold: numpy arrays and numbers. Importing scikit-learn and skops to rebuild the
estimators cost every ``score`` about 1.5 CPU-seconds in each process that loads a model
(a worker's share of a 1M-post run; half of a 2,000-post run's time), so the processes
that only score read the file here instead:

- the skops file is a zip of ``schema.json`` (a tree of typed nodes) and ``.npy``
  arrays. :func:`read_compact` walks the tree accepting only plain data (numbers,
  strings, lists, tuples, dicts, numpy arrays loaded with ``allow_pickle=False``) and
  the three classes a fast model is made of: :data:`CLASSES`. Every type the schema
  names, even where the reader does not look (a dict's key types), must be one of
  those (:data:`PLAIN_TYPES`), and no attribute may shadow a method. Nothing in the
  file is imported or called, so it is at least as safe as skops' own trusted load;
- anything else (the tiered model, the plain baseline's TF-IDF, a newer skops protocol,
  a node type not listed, a file the reader fails on in any way) gives None, and the
  caller loads the file the full way (:func:`detector.text.modelstore.load_estimator`),
  with its checks and errors;
- the result predicts with the same code as the fitted ``OutageClassifier``
  (:class:`~detector.text.linear.LinearPredictor`,
  :class:`~detector.text.postfeatures.PostFeatures`), so its outputs are the same, bit
  for bit (``tests/test_text_compact.py``).

>>> from pathlib import Path
>>> data = (Path(__file__).parents[2] / "models" / "outage-v2" / "model.skops").read_bytes()
>>> model = read_compact(data)
>>> type(model).__name__, model.predict(["is outlook down?", "lunch was great"]).tolist()
('CompactClassifier', ['outage', 'other'])
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from detector.text.linear import LinearModel, LinearPredictor
from detector.text.postfeatures import PostFeatures

__all__ = ["CLASSES", "CompactClassifier", "read_compact", "schema_types"]

#: The skops protocols whose schema this reader knows.
PROTOCOLS = (2,)


class CompactClassifier(LinearPredictor):
    """A fitted ``OutageClassifier``'s predicting half, read by :func:`read_compact`."""


class _Features(PostFeatures):
    """A fitted ``PostVectorizer``'s transform half."""


class _Linear:
    """A ``LogisticRegression``'s fitted numbers (every attribute, as plain data)."""


#: (module, class) of the objects a fast model holds -> the class that stands in for it.
CLASSES: dict[tuple[str, str], type] = {
    ("detector.text.classifier", "OutageClassifier"): CompactClassifier,
    ("detector.text.features", "PostVectorizer"): _Features,
    ("sklearn.linear_model._logistic", "LogisticRegression"): _Linear,
}


#: The plain types a node may name besides :data:`CLASSES` (skops writes these for JSON
#: values, lists, tuples, dicts, their key types and numpy arrays).
PLAIN_TYPES: frozenset[tuple[str, str]] = frozenset(
    {("builtins", name) for name in ("str", "int", "float", "bool", "NoneType")}
    | {("builtins", "list"), ("builtins", "tuple"), ("builtins", "dict"), ("numpy", "ndarray")}
)


class _Unsupported(Exception):
    """A node this reader does not take: the caller falls back to the full load."""


def read_compact(data: bytes, *, arrays: bool = True) -> CompactClassifier | None:
    """The fast model in the skops file *data*, ready to predict; None when the file holds
    anything but a fast model made of plain data (load it the full way then).

    ``arrays=False`` only walks the schema (no array is read): the result tells whether
    the file can be read this way, and cannot predict.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
            if not isinstance(schema, dict) or schema.get("protocol") not in PROTOCOLS:
                return None
            _check_types(schema)
            model = _Reader(archive, arrays).node(schema)
    except Exception:  # unsupported, broken, too deep or too large: the full load decides
        return None
    if not isinstance(model, CompactClassifier) or not _complete(model):
        return None
    for name in ("model_", "symptom_model_"):
        linear = getattr(model, name)
        if isinstance(linear, _Linear):
            setattr(model, name, LinearModel(linear.coef_, linear.intercept_, linear.classes_))
    return model


def schema_types(schema: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """``(module, class)`` of every node of a skops *schema* that names a type (walked
    without recursion: a deep schema cannot overflow the stack).

    >>> sorted(set(schema_types({"__module__": "builtins", "__class__": "list",
    ...     "content": [{"__module__": "numpy", "__class__": "ndarray"}]})))
    [('builtins', 'list'), ('numpy', 'ndarray')]
    """
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__module__" in node or "__class__" in node:
                yield node.get("__module__"), node.get("__class__")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _check_types(schema: dict[str, Any]) -> None:
    """Raise :class:`_Unsupported` when any node of *schema* names a type outside
    :data:`CLASSES` and :data:`PLAIN_TYPES`."""
    for named in schema_types(schema):
        if named not in PLAIN_TYPES and named not in CLASSES:
            raise _Unsupported(f"type {named[0]}.{named[1]}")


def _complete(model: CompactClassifier) -> bool:
    """Does *model* have every attribute predicting reads, of the right kind?"""
    needed = ("classes_", "positive_label", "positive_index_", "calibration_", "threshold_")
    if not all(hasattr(model, name) for name in (*needed, "symptom_classes_")):
        return False
    linears = [model.model_] + ([model.symptom_model_] if model.symptom_model_ else [])
    features = model.vectorizer_
    return (
        isinstance(features, _Features)
        and all(
            hasattr(features, name)
            for name in (
                "ngram_range",
                "lexicon_weight",
                "length_weight",
                "vocabulary_terms_",
                "vocabulary_columns_",
                "idf_",
                "n_features_out_",
            )
        )
        and all(
            isinstance(linear, _Linear)
            and all(hasattr(linear, n) for n in ("coef_", "intercept_", "classes_"))
            for linear in linears
        )
    )


class _Reader:
    """Turns skops schema nodes into plain values (see :func:`read_compact`)."""

    def __init__(self, archive: zipfile.ZipFile, arrays: bool = True) -> None:
        self.archive = archive
        self.arrays = arrays

    def node(self, node: Any) -> Any:
        if not isinstance(node, dict):
            raise _Unsupported(f"not a node: {type(node).__name__}")
        loader = node.get("__loader__")
        content = node.get("content")
        if loader == "JsonNode":
            return json.loads(content)
        if loader == "ListNode":
            return [self.node(item) for item in content]
        if loader == "TupleNode":
            return tuple(self.node(item) for item in content)
        if loader == "DictNode":
            return self._mapping(content)
        if loader == "NdArrayNode":
            return self._array(node)
        if loader == "ObjectNode":
            return self._object(node)
        raise _Unsupported(f"node type {loader!r}")

    def _mapping(self, content: Any) -> dict[str, Any]:
        if not isinstance(content, dict):
            raise _Unsupported("a dict node without a mapping")
        return {str(key): self.node(value) for key, value in content.items()}

    def _array(self, node: dict[str, Any]) -> np.ndarray:
        if node.get("type") == "numpy":
            if not self.arrays:
                return np.empty(0)
            with self.archive.open(str(node["file"])) as file:
                return np.load(io.BytesIO(file.read()), allow_pickle=False)
        if node.get("type") == "json":  # skops keeps object arrays (labels) as JSON
            items = [self.node(item) for item in node["content"]]
            shape = self.node(node["shape"])
            out = np.empty(len(items), dtype=object)
            out[:] = items
            return out.reshape(shape)
        raise _Unsupported(f"array type {node.get('type')!r}")

    def _object(self, node: dict[str, Any]) -> object:
        cls = CLASSES.get((node.get("__module__"), node.get("__class__")))
        if cls is None:
            raise _Unsupported(f"class {node.get('__module__')}.{node.get('__class__')}")
        content = node.get("content")
        state = (
            self.node(content)
            if isinstance(content, dict) and "__loader__" in content
            else self._mapping(content)
        )
        if not isinstance(state, dict):
            raise _Unsupported("an object whose state is not a mapping")
        shadowing = sorted(name for name in state if hasattr(cls, name))
        if shadowing:  # e.g. a list where a method is: the full load decides
            raise _Unsupported(f"attributes shadowing the class's own: {shadowing}")
        instance = cls.__new__(cls)
        instance.__dict__.update(state)
        return instance
