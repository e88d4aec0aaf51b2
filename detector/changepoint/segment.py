"""Offline segmentation in ruptures style, with an automatic penalty.

``Segmenter(model=..., method=...)`` holds the configuration, ``fit(signal)`` the
data, ``predict(pen=None)`` the decision: breakpoints in ruptures' convention (segment
ends, the last one is ``n``). ``pen=None`` selects the penalty from the data
(:func:`detector.changepoint.penalty.select_penalty`); the value used is kept in
``penalty_``.

``method="window"`` and ``method="binseg"`` with the ``l2``, ``normal`` (1-D) and
``poisson`` costs run on prefix sums (:mod:`~detector.changepoint.window`,
:mod:`~detector.changepoint.binseg`): the same breakpoints as ruptures, in
milliseconds for 100,000 points. Every other method/cost pair (``pelt``,
``bottomup``, ``dynp``; ``l1``, ``rbf``, ...) is ruptures itself, with
:class:`~detector.changepoint.poisson.CostPoisson` injected for ``poisson``.

The defaults (window search, width 20, ``l2``, the penalised-path rule) were picked
on the development data by ``benchmarks/tcpd.py``, which measures every search
method and cost, and ``benchmarks/segmentation_speed.py`` (long series with short
excursions, where ruptures' own stopping rule keeps none of them).

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> x = np.r_[np.zeros(60), np.full(60, 6.0), np.ones(80)] + rng.normal(0, 1, 200)
>>> Segmenter().fit(x).predict()
[60, 120, 200]
>>> Segmenter(model="poisson").fit(rng.poisson(np.r_[[2.0] * 50, [9.0] * 50])).predict()
[50, 100]
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import ruptures as rpt

from detector.changepoint.binseg import FAST_MODELS, FastBinseg
from detector.changepoint.penalty import beta_for, select_penalty
from detector.changepoint.poisson import CostPoisson
from detector.changepoint.prune import prune
from detector.changepoint.seeded import FastSeeded
from detector.changepoint.window import DEFAULT_WIDTH, FastWindow
from detector.errors import DataError, NotFittedError, UsageError

METHODS = ("window", "binseg", "seeded", "pelt", "bottomup", "dynp")
MODELS = ("l2", "l1", "normal", "rbf", "poisson", "linear", "clinear", "rank", "ar", "cosine")
#: Searches run on prefix sums here (``seeded`` exists only here, not in ruptures).
FAST_METHODS = ("window", "binseg", "seeded")
#: Largest number of changes ``method="dynp"`` considers when choosing by penalty.
DYNP_MAX_BKPS = 10
#: Longest series the pilot segmentation runs on point by point; longer ones are
#: summed into blocks first (binseg's path costs O(n) per split).
PILOT_MAX_POINTS = 5_000
#: Series longer than this are also searched with a window ``n / WIDE_FROM`` times
#: wider (window search): the narrow window keeps short bumps, the wide one places
#: small shifts that 20 points cannot tell from noise; pruning keeps what pays.
WIDE_FROM = 5_000
#: Largest number of changes the pilot segmentation of the automatic penalty places.
PILOT_MAX_BKPS = 200


def as_signal(signal: Any) -> np.ndarray:
    """``signal`` as a float array of shape ``(n, d)``, checked for use in a search.

    >>> as_signal([1, 2, 3]).shape
    (3, 1)
    >>> as_signal([1.0, float("nan")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    detector.errors.DataError: The signal has 1 missing (NaN) value(s), the first at index 1; ...
    """
    try:
        x = np.asarray(signal, dtype=float)
    except (TypeError, ValueError) as err:
        raise DataError(f"The signal must be numeric. Got {type(signal).__name__}: {err}") from err
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2:
        raise DataError(f"The signal must be 1-D or 2-D. Got shape {x.shape}.")
    if x.shape[0] == 0:
        raise DataError("The signal is empty; there is nothing to segment.")
    missing = np.isnan(x).any(axis=1)
    if missing.any():
        raise DataError(
            f"The signal has {int(missing.sum())} missing (NaN) value(s), the first at index "
            f"{int(np.flatnonzero(missing)[0])}; fill or drop them before segmenting."
        )
    if not np.isfinite(x).all():
        raise DataError("The signal has infinite values; segmenting needs finite numbers.")
    return x


def _block_sums(
    x: np.ndarray, exposure: np.ndarray | None, block: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """``x`` (and ``exposure``) summed over consecutive blocks of ``block`` points."""
    if block == 1:
        return x, exposure
    n = len(x)
    edges = np.arange(0, n, block)
    coarse = np.add.reduceat(x, edges, axis=0)
    if exposure is None:
        return coarse, None
    return coarse, np.add.reduceat(np.asarray(exposure, dtype=float), edges)


class Segmenter:
    """Offline change-point segmentation (ruptures API, automatic penalty by default).

    Parameters
    ----------
    model: segment cost, one of :data:`MODELS` (``"poisson"`` for counts).
    method: search, one of :data:`METHODS`.
    custom_cost: a ruptures ``BaseCost`` instance used instead of ``model``.
    min_size: minimum segment length.
    jump: only every ``jump``-th point is a candidate (1: every point).
    width: window length of ``method="window"`` (shortened to a third of short series).
    rule: how the penalty stops the search. ``None`` (default): ``"path"`` for the
        window search (the best ``cost + pen * k`` along the order in which the
        search adds changes, so a short bump in a long series is kept), ``"ruptures"``
        for the others. ``"ruptures"``: ruptures' rule (stop at the first change not
        worth ``pen``: the same breakpoints as ruptures). ``"local"`` (window): every
        peak whose window score exceeds ``pen``. ``"path"`` also works for binseg.
    params: keyword arguments of the cost (``{"exposure": baseline}`` for ``poisson``).
    prune: with the window search's path rule, drop the changes not worth ``pen``
        against their final neighbours (:func:`~detector.changepoint.prune.prune`).
        Series longer than :data:`WIDE_FROM` are also searched with a proportionally
        wider window (20 points cannot tell a small shift of a long series from its
        noise), and the changes of both searches are pruned together.
    """

    def __init__(
        self,
        model: str = "l2",
        *,
        method: str = "window",
        custom_cost: rpt.base.BaseCost | None = None,
        min_size: int = 2,
        jump: int = 1,
        width: int = DEFAULT_WIDTH,
        rule: str | None = None,
        params: dict[str, Any] | None = None,
        prune: bool = True,
    ) -> None:
        self.model = model
        self.method = method
        self.custom_cost = custom_cost
        self.min_size = min_size
        self.jump = jump
        self.width = width
        self.rule = rule
        self.params = params
        self.prune = prune

    def _check_params(self) -> None:
        if self.method not in METHODS:
            raise UsageError(
                f"The 'method' parameter of Segmenter must be one of {METHODS}. "
                f"Got {self.method!r} instead."
            )
        if self.method == "seeded" and not self._is_fast(1):
            raise UsageError(
                f"method='seeded' needs one of the costs {FAST_MODELS}. Got {self.model!r}."
            )
        if self.custom_cost is None and self.model not in MODELS:
            raise UsageError(
                f"The 'model' parameter of Segmenter must be one of {MODELS}. "
                f"Got {self.model!r} instead."
            )
        if self.custom_cost is not None and not isinstance(self.custom_cost, rpt.base.BaseCost):
            raise UsageError(
                "The 'custom_cost' parameter of Segmenter must be a ruptures BaseCost instance. "
                f"Got {type(self.custom_cost).__name__} instead."
            )
        allowed = {"window": ("path", "ruptures", "local"), "binseg": ("ruptures", "path")}
        rules = allowed.get(self.method, ("ruptures",))
        if self.rule not in (None, "ruptures") and self.model not in FAST_MODELS:
            raise UsageError(
                f"The 'rule' parameter {self.rule!r} needs one of the costs {FAST_MODELS}. "
                f"Got model={self.model!r}."
            )
        if self.rule is not None and self.rule not in rules:
            raise UsageError(
                f"The 'rule' parameter of Segmenter must be one of {rules} for "
                f"method={self.method!r}. Got {self.rule!r} instead."
            )
        for name in ("min_size", "jump", "width"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise UsageError(
                    f"The '{name}' parameter of Segmenter must be an integer >= 1. "
                    f"Got {value!r} instead."
                )

    def _cost(self) -> rpt.base.BaseCost | None:
        if self.custom_cost is not None:
            return self.custom_cost
        if self.model == "poisson":
            return CostPoisson(**(self.params or {}))
        return None

    def _is_fast(self, n_dims: int) -> bool:
        fast_model = self.model in FAST_MODELS and not (self.model == "normal" and n_dims > 1)
        return self.custom_cost is None and fast_model and self.method in FAST_METHODS

    def _rule(self, n_dims: int | None = None) -> str:
        """The stopping rule in effect (``rule=None`` means the method's default)."""
        if self.rule is not None:
            return self.rule
        dims = getattr(self, "signal_", np.zeros((0, 1))).shape[1] if n_dims is None else n_dims
        return "path" if self.method == "window" and self._is_fast(dims) else "ruptures"

    def _window_width(self, n: int, *, wide: bool = False) -> int:
        # the wide window grows with the series: a fixed 20 points cannot tell a small
        # shift from the largest noise score among 100,000 points
        width = int(round(self.width * n / WIDE_FROM)) if wide else self.width
        return max(2, min(width, max(4, n // 3)))

    def fit(self, signal: Any) -> Segmenter:
        """Prepare the search on ``signal`` (shape ``(n,)`` or ``(n, d)``); returns self."""
        self._check_params()
        x = as_signal(signal)
        rule = self._rule(x.shape[1])
        needs_fast = self.method == "seeded" or rule in ("path", "local")
        if needs_fast and not self._is_fast(x.shape[1]):
            raise UsageError(
                f"method={self.method!r} with rule={rule!r} runs on the prefix-sum "
                f"costs {FAST_MODELS} ('normal' for 1-D signals only). Got model="
                f"{self.model!r} on a signal with {x.shape[1]} dimension(s)."
            )
        self.signal_ = x
        self.n_samples_ = n = x.shape[0]
        exposure = (self.params or {}).get("exposure")
        if self._is_fast(x.shape[1]):
            if self.method == "binseg":
                algo: Any = FastBinseg(
                    self.model, min_size=self.min_size, jump=self.jump, exposure=exposure
                )
            elif self.method == "seeded":
                algo = FastSeeded(self.model, min_size=self.min_size, exposure=exposure)
            else:
                algo = FastWindow(
                    self._window_width(n),
                    self.model,
                    min_size=self.min_size,
                    jump=self.jump,
                    exposure=exposure,
                    rule=self._rule(),
                )
            self.algo_ = algo.fit(x)
            self._wide: FastWindow | None = None
            if self.method == "window" and self._rule() == "path" and self.prune and n > WIDE_FROM:
                self._wide = FastWindow(
                    self._window_width(n, wide=True),
                    self.model,
                    min_size=self.min_size,
                    jump=self.jump,
                    exposure=exposure,
                    rule="path",
                ).fit(x)
        else:
            self.algo_ = self._ruptures(x)
        # The pilot of the automatic penalty: binseg's penalised path with the same cost,
        # on block sums when the series is long (level shifts are then placed to a
        # block; the noise scale is still measured on every point).
        self._block = 1
        if self.model in ("l2", "poisson") or (self.model == "normal" and x.shape[1] == 1):
            self._block = max(1, -(-n // PILOT_MAX_POINTS)) if self.model != "normal" else 1
            coarse, coarse_expo = _block_sums(x, exposure, self._block)
            self._pilot: Any = FastBinseg(self.model, min_size=self.min_size, exposure=coarse_expo)
            self._pilot.fit(coarse)
        else:
            self._pilot = self.algo_
        self.penalty_: float | None = None
        return self

    def _ruptures(self, x: np.ndarray) -> Any:
        cost = self._cost()
        kwargs: dict[str, Any] = {"min_size": self.min_size, "jump": self.jump}
        if cost is not None:
            kwargs["custom_cost"] = cost
        else:
            kwargs["model"] = self.model
            kwargs["params"] = self.params
        classes = {"binseg": rpt.Binseg, "pelt": rpt.Pelt, "bottomup": rpt.BottomUp}
        if self.method == "window":
            algo = rpt.Window(width=self._window_width(len(x)), **kwargs)
        elif self.method == "dynp":
            algo = rpt.Dynp(**kwargs)
        else:
            algo = classes[self.method](**kwargs)
        with warnings.catch_warnings():  # ruptures' CostNormal warns on every construction
            warnings.simplefilter("ignore", UserWarning)
            return algo.fit(x if x.shape[1] > 1 else x[:, 0])

    def _predict_pen(self, algo: Any, pen: float) -> list[int]:
        n = self.n_samples_
        if algo is self._pilot and isinstance(algo, FastBinseg):
            # on block sums an l2 gain is `block` times larger; a Poisson deviance is not
            scale = self._block if self.model == "l2" else 1
            bkps = algo.select(pen * scale, max_bkps=PILOT_MAX_BKPS)
            return [min(b * self._block, n) for b in bkps]
        if isinstance(algo, FastBinseg) and self.rule == "path":
            return algo.select(pen, max_bkps=PILOT_MAX_BKPS)
        if isinstance(algo, FastWindow) and algo.rule == "path" and self.prune:
            bkps = algo.predict(pen=pen)
            wide = getattr(self, "_wide", None)
            if wide is not None:  # both scales propose, the penalty decides
                bkps = sorted(set(bkps) | set(wide.predict(pen=pen)))
            return prune(algo.cost_, bkps, pen)
        if isinstance(algo, rpt.Dynp):
            best: tuple[float, list[int]] | None = None
            for k in range(0, DYNP_MAX_BKPS + 1):
                try:
                    bkps = algo.predict(n_bkps=k) if k else [n]
                except rpt.exceptions.BadSegmentationParameters:
                    break
                value = algo.cost.sum_of_costs(bkps) + pen * k
                if best is None or value < best[0]:
                    best = (value, bkps)
            assert best is not None  # k = 0 always exists
            return [int(b) for b in best[1]]
        if n < 2 * self.min_size:
            return [n]
        return [int(b) for b in algo.predict(pen=pen)]

    def predict(self, pen: float | None = None, *, n_bkps: int | None = None) -> list[int]:
        """Breakpoints (segment ends, the last is ``n``).

        ``pen=None`` (and no ``n_bkps``) selects the penalty automatically.
        """
        if not hasattr(self, "algo_"):
            raise NotFittedError("Segmenter.predict was called before fit(signal).")
        if pen is not None and n_bkps is not None:
            raise UsageError("Segmenter.predict takes 'pen' or 'n_bkps', not both.")
        if n_bkps is not None:
            if isinstance(self.algo_, FastSeeded):
                raise UsageError("method='seeded' takes a penalty, not 'n_bkps'.")
            return [int(b) for b in self.algo_.predict(n_bkps=n_bkps)]
        if pen is None:
            if np.ptp(self.signal_, axis=0).max() == 0:
                self.penalty_ = float(np.log(max(self.n_samples_, 2)))
                return [self.n_samples_]
            pen = select_penalty(
                self.signal_,
                self.model if self.custom_cost is None else "custom",
                pilot=lambda p: self._predict_pen(self._pilot, p),
                exposure=(self.params or {}).get("exposure"),
                beta=beta_for(self.method, self._rule()),
            )
        elif not np.isfinite(pen) or pen < 0:
            raise UsageError(f"The 'pen' parameter must be a finite number >= 0. Got {pen!r}.")
        self.penalty_ = float(pen)
        return self._predict_pen(self.algo_, float(pen))

    def fit_predict(self, signal: Any, pen: float | None = None) -> list[int]:
        """``fit(signal).predict(pen)``."""
        return self.fit(signal).predict(pen)


__all__ = ["DYNP_MAX_BKPS", "METHODS", "MODELS", "Segmenter", "as_signal"]
