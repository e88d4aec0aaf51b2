"""Change points in complaint volume: an online alarm and offline segmentation.

Two questions, two tools. *Has the volume changed, now?* is asked bucket by bucket
by :class:`OnlineDetector` (a CUSUM on counts against the baseline, river style:
``update(count, expected) -> self``). *Where did it change?* is asked of a stretch
of data by :class:`Segmenter` (ruptures style: configuration in the constructor,
``fit(signal)``, ``predict(pen=None)`` with an automatic penalty), and around one
alarm by :func:`estimate_onset` / :func:`estimate_recovery`.

Metrics that are not counts (latency, error rate, revenue: any sign, any scale) have
their own online alarm, :class:`ShiftMonitor` (a two-sided shift test on values
standardised by the metric's own level and noise), and :func:`despike` clips the
isolated spikes a squared-error segmentation would otherwise split around.
:func:`prune` drops the changes a search kept that are not worth the penalty
against their final neighbours (the default window search uses it).

Costs: :class:`CostPoisson` (counts, optionally relative to a baseline) plugs into
ruptures as a ``custom_cost``; :class:`FastBinseg` and :class:`FastWindow` run
ruptures' binary segmentation and window search on prefix sums, with the same
breakpoints, so a 100,000-point series takes milliseconds.

The names below are imported on first use, so the online engine (which needs only
:mod:`.onset` and :mod:`.scan`) does not import ruptures and SciPy's statistics:

>>> import numpy as np
>>> from detector.changepoint import Segmenter
>>> Segmenter(model="poisson").fit(np.r_[[1, 0, 2, 1] * 10, [9, 8, 11, 10] * 10]).predict()
[40, 80]
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module defining it.
_WHERE = {
    "FastBinseg": "binseg",
    "OnlineDetector": "online",
    "run_online": "online",
    "estimate_onset": "onset",
    "estimate_recovery": "onset",
    "select_penalty": "penalty",
    "CostPoisson": "poisson",
    "prune": "prune",
    "despike": "robust",
    "Segmenter": "segment",
    "ShiftMonitor": "shift",
    "FastWindow": "window",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
