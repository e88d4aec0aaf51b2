"""Sliding-window search on prefix sums: ruptures' ``Window``, vectorised for long series.

Each point ``t`` gets the score ``c(t-h, t+h) - c(t-h, t) - c(t, t+h)`` (``h`` half the
width): how much better two local segments explain the window than one. Local maxima
of the score are the candidate changes; they are added from the highest score down
while adding one lowers the total cost of the segmentation by more than ``pen``. The
scores are one vectorised expression over prefix sums, so a 100,000-point series
takes milliseconds instead of ruptures' minute; the candidates, their order and the
stopping rule are ruptures', so the breakpoints are the same
(``tests/test_segment_equivalence.py``).

Comparing only neighbouring stretches makes the search robust to slow drifts that a
global mean-shift search splits into many pieces (see ``benchmarks/tcpd.py``).

>>> import numpy as np
>>> x = np.r_[np.zeros(50), np.full(50, 5.0)] + np.random.default_rng(0).normal(0, 1, 100)
>>> FastWindow(width=20).fit(x).predict(pen=20)
[50, 100]
"""

from __future__ import annotations

import bisect

import numpy as np
from scipy.signal import argrelmax

from detector.changepoint.binseg import vector_cost
from detector.errors import NotFittedError, UsageError

#: Default window width, chosen on TCPD (``benchmarks/tcpd.py`` has widths 10/20/40).
DEFAULT_WIDTH = 20
RULES = ("ruptures", "local", "path")


class FastWindow:
    """Window-sliding segmentation with a prefix-sum cost (ruptures' ``Window``, fast).

    Parameters
    ----------
    width: window length (made even, as ruptures does).
    model: ``"l2"``, ``"normal"`` (1-D) or ``"poisson"``.
    min_size: only widens the peak neighbourhood, as in ruptures.
    jump: score every ``jump``-th point only.
    exposure: expected count per point for ``model="poisson"``.
    rule: how ``predict(pen=...)`` accepts peaks. ``"ruptures"``: from the highest
        score down, while adding the peak to the segmentation found so far lowers the
        total cost by more than ``pen`` (ruptures' rule, same breakpoints); it stops
        at the first peak not worth ``pen``, which misses short bumps in a long
        series (splitting the whole series at a bump's edge gains little).
        ``"local"``: every peak whose own window score exceeds ``pen`` (a local
        likelihood-ratio test at each candidate).
        ``"path"``: the peaks are added in the same order, but the number kept is the
        ``k`` that minimises ``cost + pen * k`` along that path, so both edges of a
        bump are kept when together they are worth ``2 pen``.
    """

    def __init__(
        self,
        width: int = DEFAULT_WIDTH,
        model: str = "l2",
        *,
        min_size: int = 2,
        jump: int = 1,
        exposure: np.ndarray | None = None,
        rule: str = "ruptures",
    ) -> None:
        if rule not in RULES:
            raise UsageError(f"The 'rule' parameter must be one of {RULES}. Got {rule!r} instead.")
        if width < 2:
            raise UsageError(f"The 'width' parameter must be >= 2. Got {width!r} instead.")
        self.width = 2 * (width // 2)
        self.model = model
        self.min_size = min_size
        self.jump = jump
        self.exposure = exposure
        self.rule = rule

    def fit(self, signal: np.ndarray) -> FastWindow:
        """Score every candidate point of ``signal`` (shape ``(n,)`` or ``(n, d)``)."""
        x = np.asarray(signal, dtype=float)
        x = x.reshape(-1, 1) if x.ndim == 1 else x
        self.n_samples_ = n = x.shape[0]
        self.cost_ = vector_cost(self.model, x, self.exposure)
        half = self.width // 2
        inds = np.arange(n, step=self.jump)
        self.inds_ = inds[(inds >= half) & (inds < n - half)]
        start, end = self.inds_ - half, self.inds_ + half
        whole = self.cost_.errors(start, end)
        self.score_ = whole - (
            self.cost_.errors(start, self.inds_) + self.cost_.errors(self.inds_, end)
        )
        return self

    def _candidates(self) -> list[int]:
        """Local score maxima, lowest score first (ruptures' order; pop() takes the best)."""
        if self.score_.size == 0:
            return []
        order = max(max(self.width, 2 * self.min_size) // (2 * self.jump), 1)
        peaks = argrelmax(self.score_, order=order, mode="wrap")[0]
        pairs = sorted(zip(self.score_[peaks].tolist(), self.inds_[peaks].tolist(), strict=True))
        return [int(i) for _, i in pairs]

    def _cost(self, start: int, end: int) -> float:
        return float(self.cost_.errors(np.array([start]), np.array([end]))[0])

    def _gains_along(self, order: list[int]) -> list[float]:
        """Gain of adding each breakpoint of ``order`` to those before it."""
        bkps = [self.n_samples_]
        lefts, rights = [], []
        for bkp in order:  # the neighbours each breakpoint splits, in insertion order
            pos = bisect.bisect_right(bkps, bkp)
            lefts.append(bkps[pos - 1] if pos > 0 else 0)
            rights.append(bkps[pos])
            bisect.insort(bkps, bkp)
        if not order:
            return []
        b = np.asarray(order)
        left, right = np.asarray(lefts), np.asarray(rights)
        errors = self.cost_.errors
        gains = (errors(left, right) - errors(left, b)) - errors(b, right)
        return gains.tolist()

    def predict(self, pen: float | None = None, n_bkps: int | None = None) -> list[int]:
        """Breakpoints (segment ends, last == n) for a penalty or a number of changes."""
        if not hasattr(self, "score_"):
            raise NotFittedError("FastWindow.predict was called before fit(signal).")
        if (pen is None) == (n_bkps is None):
            raise UsageError("FastWindow.predict needs exactly one of 'pen' or 'n_bkps'.")
        peaks = self._candidates()
        bkps = [self.n_samples_]
        if pen is not None and self.rule == "path":
            return self._path(peaks, pen)
        if pen is not None and self.rule == "local":
            score = dict(zip(self.inds_.tolist(), self.score_.tolist(), strict=True))
            return sorted(b for b in peaks if score[b] > pen) + bkps
        while peaks:
            bkp = peaks.pop()
            if n_bkps is not None and len(bkps) - 1 >= n_bkps:
                break
            if pen is not None:
                pos = bisect.bisect_right(bkps, bkp)
                left = bkps[pos - 1] if pos > 0 else 0
                right = bkps[pos]
                gain = self._cost(left, right) - self._cost(left, bkp) - self._cost(bkp, right)
                if not gain > pen:
                    break
            bisect.insort(bkps, bkp)
        return bkps

    def _path(self, peaks: list[int], pen: float) -> list[int]:
        order = peaks[::-1]  # highest score first
        gains = self._gains_along(order)
        objective = np.r_[0.0, np.cumsum(pen - np.asarray(gains, dtype=float))]
        k = int(np.argmin(objective))
        return sorted(order[:k]) + [self.n_samples_]


__all__ = ["DEFAULT_WIDTH", "RULES", "FastWindow"]
