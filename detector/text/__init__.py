"""Text: normalise posts, classify them (outage / complaint / other + symptom), match services.

The pipeline for one batch of posts::

    normalize (vectorised RE2 rules) -> PostVectorizer (stemmed word n-grams + outage
    lexicon groups) -> OutageClassifier (calibrated outage_prob, threshold, symptom)

Models are stored safely (skops, hash-checked) with a model card (:mod:`.modelstore`)
in a registry searched from any folder (:mod:`.registry`); :mod:`.training` holds the
logic of the ``train``/``evaluate`` commands. Service matching is :mod:`.catalog`.

>>> from detector.text import normalize_many
>>> normalize_many(["Teams wont load"])
['teams wont neg_load']
"""

from __future__ import annotations

from typing import Any

from detector.text.normalize import normalize_many

__all__ = [
    "Catalog",
    "OutageClassifier",
    "OutageModel",
    "PostVectorizer",
    "load_model",
    "normalize_many",
]

_LAZY = {
    "Catalog": "detector.text.catalog",
    "OutageClassifier": "detector.text.classifier",
    "OutageModel": "detector.text.modelstore",
    "PostVectorizer": "detector.text.features",
    "load_model": "detector.text.modelstore",
}


def __getattr__(name: str) -> Any:  # imports heavy modules only when used
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'detector.text' has no attribute {name!r}")
