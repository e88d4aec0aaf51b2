"""Poisson segment cost for count data, usable by ruptures and by the fast search.

A segment ``[start, end)`` of counts ``y_t`` with exposures ``b_t`` (the expected
count under normal conditions; 1 per point when not given) is modelled as
``y_t ~ Poisson(lam * b_t)`` with one rate ``lam`` per segment. Twice its negative
log-likelihood at the fitted rate ``lam = S / B`` (``S`` the segment's count, ``B``
its exposure) is, up to terms that are the same for every segmentation,
``-2 * S * log(S / B)`` (0 when ``S == 0``). The gain of a split is then the
likelihood-ratio (deviance) statistic of "one rate" against "two rates", so the
penalty lives on a chi-square scale (``penalty.py``).

With exposures, a segment is "the volume is ``lam`` times what the baseline
expects", so a daily rhythm in the baseline is not mistaken for a change.

>>> import numpy as np
>>> import ruptures as rpt
>>> y = np.r_[np.full(20, 2.0), np.full(20, 12.0)]
>>> rpt.Binseg(custom_cost=CostPoisson(), jump=1).fit(y).predict(pen=10)
[20, 40]
"""

from __future__ import annotations

import numpy as np
from ruptures.base import BaseCost
from ruptures.costs import NotEnoughPoints

from detector.errors import DataError, NotFittedError


def _xlogx_ratio(s: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``s * log(s / b)`` with ``0 log 0 = 0``, elementwise."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = s * np.log(s / b)
    return np.where(s > 0, out, 0.0)


class CostPoisson(BaseCost):
    """Poisson deviance of a segment of non-negative counts (``model = "poisson"``).

    Parameters
    ----------
    exposure:
        Optional expected count per point (shape ``(n_samples,)``, positive). When
        given, a segment's rate is relative to it.

    The cost is computed from prefix sums, so ``error`` is O(1) and :meth:`errors`
    evaluates many segments at once (the fast binary segmentation uses it).

    >>> import numpy as np
    >>> cost = CostPoisson().fit(np.array([0.0, 0.0, 4.0, 4.0]))
    >>> cost.error(0, 2), round(cost.error(2, 4), 4)  # 0 log 0 = 0; -2 * 8 * log(4)
    (0.0, -22.1807)
    >>> round(cost.error(0, 4) - cost.error(0, 2) - cost.error(2, 4), 4)  # gain of the split
    11.0904
    """

    model = "poisson"

    def __init__(self, exposure: np.ndarray | None = None) -> None:
        self.exposure = exposure
        self.min_size = 1
        self.signal: np.ndarray | None = None

    def fit(self, signal: np.ndarray) -> CostPoisson:
        """Check the counts and precompute the prefix sums; returns ``self``."""
        values = np.asarray(signal, dtype=float)
        if values.ndim == 1:
            values = values.reshape(-1, 1)
        if values.ndim != 2:
            raise DataError(f"CostPoisson needs a 1-D or 2-D signal. Got shape {values.shape}.")
        if not np.all(np.isfinite(values)):
            raise DataError("CostPoisson needs finite counts; the signal has NaN or inf.")
        if np.any(values < 0):
            raise DataError(
                f"CostPoisson needs non-negative counts. Got a minimum of {values.min():g}."
            )
        n = values.shape[0]
        if self.exposure is None:
            expo = np.ones(n)
        else:
            expo = np.asarray(self.exposure, dtype=float).reshape(-1)
            if expo.shape[0] != n:
                raise DataError(
                    f"The 'exposure' of CostPoisson must have one value per point "
                    f"({n}). Got {expo.shape[0]}."
                )
            if not np.all(np.isfinite(expo)) or np.any(expo <= 0):
                raise DataError("The 'exposure' of CostPoisson must be finite and > 0.")
        self.signal = values
        # one prefix-sum row per dimension (contiguous), so 1-D lookups are fast
        self._csum = np.hstack([np.zeros((values.shape[1], 1)), np.cumsum(values, axis=0).T])
        self._cexp = np.r_[0.0, np.cumsum(expo)]
        return self

    def errors(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Costs of the segments ``[starts[i], ends[i])``, vectorised."""
        if self.signal is None:
            raise NotFittedError("CostPoisson.errors was called before fit(signal).")
        expo = self._cexp[ends] - self._cexp[starts]
        total = np.zeros(np.shape(expo))
        for csum in self._csum:
            total -= 2.0 * _xlogx_ratio(csum[ends] - csum[starts], expo)
        return total

    def error(self, start: int, end: int) -> float:
        """Cost of the segment ``[start, end)``."""
        if end - start < self.min_size:
            raise NotEnoughPoints
        return float(self.errors(np.array([start]), np.array([end]))[0]) + 0.0  # no -0.0


__all__ = ["CostPoisson"]
