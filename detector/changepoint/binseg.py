"""Binary segmentation on prefix sums: ruptures' ``Binseg``, vectorised for long series.

ruptures evaluates one Python-level cost call per candidate split, so a 100,000-point
series takes minutes. Here every cost in this module is a difference of prefix sums,
so scanning all splits of a segment is one vectorised numpy expression; the greedy
order of splits is computed once and a penalty only decides where to stop, so a
penalty can be swept without refitting (``predict`` is cheap after the first call).

The search is the same as ruptures' (same candidates ``range(start, end, jump)`` with
``min_size`` on both sides, the same tie-breaks: the later split within a segment,
the earlier segment among segments), so it returns the same breakpoints
(``tests/test_segment_equivalence.py`` checks this against ruptures).

>>> import numpy as np
>>> x = np.r_[np.zeros(50), np.full(50, 5.0)] + np.random.default_rng(0).normal(0, 1, 100)
>>> FastBinseg(model="l2").fit(x).predict(pen=20)
[50, 100]
"""

from __future__ import annotations

import heapq
from typing import Protocol

import numpy as np

from detector.changepoint.poisson import CostPoisson
from detector.errors import NotFittedError, UsageError

#: Costs with a prefix-sum implementation here (``"normal"`` for 1-D signals only).
FAST_MODELS = ("l2", "normal", "poisson")


class VectorCost(Protocol):
    """A segment cost that evaluates many segments at once."""

    def errors(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray: ...


class PrefixL2:
    """Sum of squared deviations from the segment mean (ruptures' ``l2``)."""

    def __init__(self, signal: np.ndarray) -> None:
        x = signal - signal.mean(axis=0)  # centring keeps the prefix sums accurate
        # one prefix-sum row per dimension (contiguous), so 1-D lookups are fast
        self._s1 = np.hstack([np.zeros((x.shape[1], 1)), np.cumsum(x, axis=0).T])
        self._s2 = np.hstack([np.zeros((x.shape[1], 1)), np.cumsum(x * x, axis=0).T])

    def errors(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        n = ends - starts
        total = np.zeros(np.shape(n))
        for s1_, s2_ in zip(self._s1, self._s2, strict=True):
            s1 = s1_[ends] - s1_[starts]
            total += np.maximum((s2_[ends] - s2_[starts]) - s1 * s1 / n, 0.0)
        return total


class PrefixNormal(PrefixL2):
    """Gaussian likelihood with a mean and a variance per segment (ruptures' ``normal``).

    ``n * log(var + 1e-6)``, the same small bias ruptures adds for constant segments.
    """

    def errors(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        n = ends - starts
        var = super().errors(starts, ends) / n
        return n * np.log(var + 1e-6)


def vector_cost(model: str, signal: np.ndarray, exposure: np.ndarray | None = None) -> VectorCost:
    """The prefix-sum cost called ``model`` fitted on ``signal`` (shape ``(n, d)``)."""
    if model == "l2":
        return PrefixL2(signal)
    if model == "normal":
        if signal.shape[1] != 1:
            raise UsageError("The fast 'normal' cost handles 1-D signals only.")
        return PrefixNormal(signal)
    if model == "poisson":
        return CostPoisson(exposure=exposure).fit(signal)
    raise UsageError(
        f"The 'model' parameter of FastBinseg must be one of {FAST_MODELS}. Got {model!r} instead."
    )


class FastBinseg:
    """Greedy binary segmentation with a prefix-sum cost (ruptures' ``Binseg``, fast).

    Parameters
    ----------
    model: ``"l2"``, ``"normal"`` or ``"poisson"``.
    min_size: minimum segment length.
    jump: only ``start + k * jump`` are candidate splits of a segment ``[start, end)``.
    exposure: expected count per point for ``model="poisson"`` (see ``CostPoisson``).
    """

    def __init__(
        self,
        model: str = "l2",
        *,
        min_size: int = 2,
        jump: int = 1,
        exposure: np.ndarray | None = None,
    ) -> None:
        self.model = model
        self.min_size = min_size
        self.jump = jump
        self.exposure = exposure

    def fit(self, signal: np.ndarray) -> FastBinseg:
        """Prepare the prefix sums of ``signal`` (shape ``(n,)`` or ``(n, d)``)."""
        x = np.asarray(signal, dtype=float)
        x = x.reshape(-1, 1) if x.ndim == 1 else x
        self.cost_ = vector_cost(self.model, x, self.exposure)
        self.n_samples_ = x.shape[0]
        # ruptures' Binseg uses max(min_size, cost.min_size); l2 has 1, normal 2, poisson 1.
        self._min_size = max(self.min_size, 2 if self.model == "normal" else 1)
        self.splits_: list[tuple[int, float]] = []
        self._heap: list[tuple[float, int, int, int]] = []
        self._exhausted = False
        self._push(0, self.n_samples_)
        return self

    def _best_split(self, start: int, end: int) -> tuple[int | None, float]:
        first = start + self._min_size
        cands = np.arange(start, end, self.jump)
        cands = cands[(cands >= first) & (cands <= end - self._min_size)]
        if cands.size == 0:
            return None, 0.0
        whole = self.cost_.errors(np.array([start]), np.array([end]))[0]
        left = self.cost_.errors(np.full(cands.size, start), cands)
        right = self.cost_.errors(cands, np.full(cands.size, end))
        gains = (whole - left) - right
        best = cands.size - 1 - int(np.argmax(gains[::-1]))  # the later split on ties
        return int(cands[best]), float(gains[best])

    def _push(self, start: int, end: int) -> None:
        bkp, gain = self._best_split(start, end)
        # (-gain, start): the highest gain first, the earlier segment on ties.
        heapq.heappush(self._heap, (-gain, start, end, -1 if bkp is None else bkp))

    def _extend(self) -> bool:
        """Add the next greedy split to ``splits_``; False when none is left."""
        if self._exhausted or not self._heap:
            self._exhausted = True
            return False
        neg_gain, start, end, bkp = heapq.heappop(self._heap)
        if bkp < 0:
            self._exhausted = True
            return False
        self.splits_.append((bkp, -neg_gain))
        self._push(start, bkp)
        self._push(bkp, end)
        return True

    def predict(self, pen: float | None = None, n_bkps: int | None = None) -> list[int]:
        """Breakpoints (segment ends, last == n) for a penalty or a number of changes."""
        if not hasattr(self, "cost_"):
            raise NotFittedError("FastBinseg.predict was called before fit(signal).")
        if (pen is None) == (n_bkps is None):
            raise UsageError("FastBinseg.predict needs exactly one of 'pen' or 'n_bkps'.")
        chosen: list[int] = []
        k = 0
        while True:
            if k >= len(self.splits_) and not self._extend():
                break
            bkp, gain = self.splits_[k]
            if n_bkps is not None and k >= n_bkps:
                break
            if pen is not None and not gain > pen:
                break
            chosen.append(bkp)
            k += 1
        if n_bkps is not None and len(chosen) < n_bkps:
            raise UsageError(
                f"FastBinseg cannot place n_bkps={n_bkps} changes in {self.n_samples_} points "
                f"with min_size={self.min_size}; at most {len(chosen)} fit."
            )
        return sorted(chosen) + [self.n_samples_]

    def select(self, pen: float, max_bkps: int) -> list[int]:
        """The best of the first ``max_bkps`` greedy segmentations for penalty ``pen``.

        Unlike ``predict(pen=...)``, which stops at the first split not worth ``pen``,
        this minimises ``cost + pen * k`` over the nested path ``k = 0..max_bkps``, so
        a short bump (whose first split gains little and whose second gains a lot) is
        not missed. Used for pilot segmentations.

        >>> import numpy as np
        >>> bump = np.r_[np.zeros(100), np.full(10, 3.0), np.zeros(100)]
        >>> fb = FastBinseg("l2").fit(bump)
        >>> fb.predict(pen=40.0), fb.select(40.0, max_bkps=5)
        ([210], [100, 110, 210])
        """
        if not hasattr(self, "cost_"):
            raise NotFittedError("FastBinseg.select was called before fit(signal).")
        while len(self.splits_) < max_bkps and self._extend():
            pass
        gains = np.array([g for _, g in self.splits_[:max_bkps]], dtype=float)
        objective = np.r_[0.0, np.cumsum(pen - gains)]  # cost_k + pen * k, minus cost_0
        k = int(np.argmin(objective))
        return sorted(b for b, _ in self.splits_[:k]) + [self.n_samples_]


__all__ = ["FAST_MODELS", "FastBinseg", "PrefixL2", "PrefixNormal", "vector_cost"]
