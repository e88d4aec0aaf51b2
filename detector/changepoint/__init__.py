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

>>> import numpy as np
>>> Segmenter(model="poisson").fit(np.r_[[1, 0, 2, 1] * 10, [9, 8, 11, 10] * 10]).predict()
[40, 80]
"""

from detector.changepoint.binseg import FastBinseg
from detector.changepoint.online import OnlineDetector, run_online
from detector.changepoint.onset import estimate_onset, estimate_recovery
from detector.changepoint.penalty import select_penalty
from detector.changepoint.poisson import CostPoisson
from detector.changepoint.prune import prune
from detector.changepoint.robust import despike
from detector.changepoint.segment import Segmenter
from detector.changepoint.shift import ShiftMonitor
from detector.changepoint.window import FastWindow

__all__ = [
    "CostPoisson",
    "FastBinseg",
    "FastWindow",
    "OnlineDetector",
    "Segmenter",
    "ShiftMonitor",
    "despike",
    "estimate_onset",
    "estimate_recovery",
    "prune",
    "run_online",
    "select_penalty",
]
