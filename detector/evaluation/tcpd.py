"""Change-point metrics of the Turing Change Point Dataset (van den Burg & Williams, 2020).

Two scores compare predicted change points with the points several annotators marked:

* :func:`f_measure`: F1 with a margin of 5 points. Index 0 counts as a change point in
  every annotation and in the prediction; precision is taken against the union of all
  annotators' points, recall is averaged over annotators; a true point is matched to at
  most one predicted point (no double counting).
* :func:`covering`: segmentation covering (Arbelaez et al., 2010) of each annotator's
  partition by the predicted partition, averaged over annotators.

Change points are 0-based indices of the first point of a new segment, which is what
ruptures' breakpoints are once the final ``n`` is dropped (:func:`from_breakpoints`).

>>> annotations = {"1": [50], "2": [60], "3": []}
>>> round(f_measure(annotations, [51, 80]), 4)
0.7407
>>> round(covering(annotations, [51, 80], n_obs=100), 4)
0.6667

:func:`load_tcpd` reads the dataset's ``datasets/*.json`` and ``annotations.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detector.errors import DataError, InputMissingError, UsageError

Annotations = Mapping[str, Sequence[int]]


def true_positives(truth: Iterable[int], predicted: Iterable[int], margin: int = 5) -> set[int]:
    """True change points matched by a predicted point within ``margin`` (each used once).

    Points of ``truth`` are visited in ascending order and take the closest free
    predicted point (the earlier one on ties), as in the reference implementation.

    >>> sorted(true_positives([10, 12], [11]))
    [10]
    >>> sorted(true_positives([0, 40], [0, 46]))
    [0]
    """
    if margin < 0:
        raise UsageError(f"The 'margin' parameter must be >= 0. Got {margin!r} instead.")
    free = set(predicted)
    hits: set[int] = set()
    for tau in sorted(set(truth)):
        close = sorted((abs(tau - x), x) for x in free if abs(tau - x) <= margin)
        if not close:
            continue
        hits.add(tau)
        free.remove(close[0][1])
    return hits


def f_measure(
    annotations: Annotations,
    predictions: Iterable[int],
    *,
    margin: int = 5,
    alpha: float = 0.5,
    return_pr: bool = False,
) -> float | tuple[float, float, float]:
    """F-measure of ``predictions`` against several annotators (``alpha=0.5`` is F1).

    ``annotations`` maps an annotator id to that annotator's change points. With
    ``return_pr=True`` returns ``(F, precision, recall)``.

    >>> f_measure({"a": [], "b": []}, [])  # nothing marked, nothing predicted
    1.0
    >>> f_measure({"a": [20]}, [20, 60], return_pr=True)
    (0.8, 0.6666666666666666, 1.0)
    """
    if not annotations:
        raise DataError("f_measure needs at least one annotator; 'annotations' is empty.")
    truths = [set(points) | {0} for points in annotations.values()]
    predicted = set(predictions) | {0}
    union = set().union(*truths)
    precision = len(true_positives(union, predicted, margin)) / len(predicted)
    recall = sum(len(true_positives(t, predicted, margin)) / len(t) for t in truths) / len(truths)
    score = precision * recall / (alpha * recall + (1 - alpha) * precision)
    return (score, precision, recall) if return_pr else score


def partition(points: Iterable[int], n_obs: int) -> list[range]:
    """The segments ``[start, end)`` of ``range(n_obs)`` cut at ``points``.

    >>> partition([3, 0, 7, 20], 10)
    [range(0, 3), range(3, 7), range(7, 10)]
    """
    cuts = sorted({p for p in points if 0 < p < n_obs})
    bounds = [0, *cuts, n_obs]
    return [range(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _overlap(a: range, b: range) -> float:
    inter = max(0, min(a.stop, b.stop) - max(a.start, b.start))
    return inter / (len(a) + len(b) - inter)


def cover_single(predicted: Sequence[range], truth: Sequence[range]) -> float:
    """Covering of the partition ``truth`` by the partition ``predicted``.

    >>> cover_single(partition([5], 10), partition([5], 10))
    1.0
    >>> cover_single(partition([], 10), partition([5], 10))
    0.5
    """
    n_obs = sum(len(r) for r in truth)
    if n_obs != sum(len(r) for r in predicted):
        raise DataError("cover_single: the two partitions do not cover the same points.")
    total = 0.0
    for seg in truth:
        total += len(seg) * max(_overlap(seg, other) for other in predicted)
    return total / n_obs


def covering(annotations: Annotations, predictions: Iterable[int], n_obs: int) -> float:
    """Segmentation covering of the annotators' partitions by the prediction, averaged.

    >>> covering({"a": [], "b": [50]}, [], n_obs=100)
    0.75
    """
    if not annotations:
        raise DataError("covering needs at least one annotator; 'annotations' is empty.")
    if n_obs < 1:
        raise DataError(f"covering needs n_obs >= 1. Got {n_obs!r} instead.")
    predicted = partition(predictions, n_obs)
    scores = [cover_single(predicted, partition(points, n_obs)) for points in annotations.values()]
    return sum(scores) / len(scores)


def from_breakpoints(bkps: Sequence[int], n_obs: int) -> list[int]:
    """ruptures breakpoints (segment ends, last == n) as TCPD change points.

    >>> from_breakpoints([30, 70, 100], 100)
    [30, 70]
    """
    return [int(b) for b in bkps if 0 < b < n_obs]


@dataclass(frozen=True)
class TcpdSeries:
    """One TCPD series: ``values`` has shape ``(n_obs, n_dim)`` (NaN where missing)."""

    name: str
    values: np.ndarray
    annotations: dict[str, list[int]]

    @property
    def n_obs(self) -> int:
        """Number of observations."""
        return int(self.values.shape[0])


def load_tcpd(root: str | Path) -> list[TcpdSeries]:
    """Read every ``datasets/*.json`` of a TCPD checkout with its annotations, by name."""
    root = Path(root)
    ann_path = root / "annotations.json"
    if not ann_path.is_file():
        raise InputMissingError(f"TCPD annotations not found: {ann_path}")
    annotations = json.loads(ann_path.read_text())
    out = []
    for path in sorted((root / "datasets").glob("*.json")):
        data = json.loads(path.read_text())
        name = data["name"]
        if name not in annotations:
            raise DataError(f"{path}: no annotations for series {name!r} in {ann_path}")
        cols = [
            np.array([np.nan if v is None else v for v in s["raw"]], dtype=float)
            for s in data["series"]
        ]
        out.append(TcpdSeries(name, np.column_stack(cols), dict(annotations[name])))
    if not out:
        raise InputMissingError(f"no TCPD series found under {root / 'datasets'}")
    return out


__all__ = [
    "TcpdSeries",
    "cover_single",
    "covering",
    "f_measure",
    "from_breakpoints",
    "load_tcpd",
    "partition",
    "true_positives",
]
