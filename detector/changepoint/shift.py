"""An online alarm for a shift of any numeric metric (latency, error rate, revenue).

Counts of posts have their own engine (:mod:`detector.incidents.tracker`); a metric
that can be negative, fractional or far from Poisson needs a location-scale model.
:class:`ShiftMonitor` (river style: ``update(x) -> self``) learns the metric's level
and noise scale from the points it judged normal and asks, at every point, whether
the last ``L`` points (``L`` in :data:`WINDOWS`) sit away from that level. With
``z`` the standardised points, the evidence of a shift over a window is the
Gaussian log-likelihood ratio ``S_L^2 / (2 L)`` nats (``S_L`` their sum), taken in
both directions: a metric can fail by rising (latency) or by falling (revenue).

Self-calibration (the false-alarm budget): the level is the noise scale from
*differences* of consecutive points (a robust MAD, so level shifts and slow drifts
do not inflate it) and the alarm needs ``max(threshold, calibration * envelope)``
nats, the envelope being the largest evidence seen in normal times, decayed with a
half-life of ``memory`` points: a series whose noise is heavier-tailed or more
correlated than Gaussian raises its own bar. ``model="robust"`` also clips each
standardised point to ``+-clip`` so one wild value cannot raise an alarm alone.

While an incident is open the level is frozen (for at most ``max_open`` points,
after which a lasting shift is the new normal); it resolves when the last ``hold``
points are back within one noise scale of the level on average.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.r_[rng.normal(100, 5, 300), rng.normal(130, 5, 40), rng.normal(100, 5, 100)]
>>> mon = ShiftMonitor()
>>> for v in x:
...     _ = mon.update(v)
>>> [(e.onset, e.detected, e.end, e.direction) for e in mon.episodes]
[(300, 300, 340, 1)]
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from detector.errors import UsageError

#: Window lengths (points) over which a shift is tested.
WINDOWS = (1, 2, 3, 5, 8, 13, 21, 34, 55)
#: MAD to standard deviation for Gaussian noise.
_MAD_SD = 1.4826
MODELS = ("normal", "robust")


@dataclass
class Episode:
    """One shift: points ``[onset, end)`` (``end`` is ``None`` while open); ``peak`` is
    the point among them furthest from the level in the shift's ``direction``."""

    onset: int
    detected: int
    direction: int
    score: float
    level: float
    scale: float
    peak: int
    end: int | None = None


def _extreme(points: list[tuple[int, float]], direction: int) -> tuple[int, float] | None:
    """The ``(index, value)`` furthest in ``direction`` (the earliest of ties); None if empty.

    >>> _extreme([(3, 1.0), (4, 5.0), (5, 5.0), (6, -2.0)], -1)
    (6, -2.0)
    >>> _extreme([(3, 1.0), (4, 5.0), (5, 5.0), (6, -2.0)], 1)
    (4, 5.0)
    """
    best: tuple[int, float] | None = None
    for point in points:
        if best is None or (point[1] - best[1]) * direction > 0:
            best = point
    return best


class ShiftMonitor:
    """Online two-sided shift alarm on a numeric metric, self-calibrated.

    Parameters (keyword-only)
    -------------------------
    model: ``"normal"`` or ``"robust"`` (standardised points clipped to ``+-clip``).
    threshold: nats of evidence that raise the alarm at least (12: a single point
        needs ``|z| > 4.9``, about one in a million Gaussian points).
    calibration: the alarm needs ``calibration`` times the largest normal evidence.
    memory: points of history the level, the scale and the envelope remember
        (exponential half-life).
    warmup: points before anything is judged (the scale needs some differences).
    hold: points back at the level that resolve an incident.
    max_open: longest freeze of the level by one incident.
    """

    def __init__(
        self,
        *,
        model: str = "normal",
        threshold: float = 12.0,
        calibration: float = 1.25,
        memory: int = 500,
        warmup: int = 20,
        hold: int = 5,
        max_open: int = 200,
        clip: float = 4.0,
    ) -> None:
        if model not in MODELS:
            raise UsageError(f"The 'model' parameter must be one of {MODELS}. Got {model!r}.")
        if not threshold > 0 or not calibration >= 1.0:
            raise UsageError("ShiftMonitor needs threshold > 0 and calibration >= 1.")
        for name, value in (("memory", memory), ("warmup", warmup), ("hold", hold)):
            if not (isinstance(value, int) and value >= 1):
                raise UsageError(f"The {name!r} parameter must be an integer >= 1. Got {value!r}.")
        self.model = model
        self.threshold = float(threshold)
        self.calibration = float(calibration)
        self.memory = memory
        self.warmup = warmup
        self.hold = hold
        self.max_open = max_open
        self.clip = float(clip) if model == "robust" else math.inf
        self._decay = 0.5 ** (1.0 / memory)
        self._history: deque[float] = deque(maxlen=memory)  # normal points
        self._diffs: deque[float] = deque(maxlen=memory)  # |differences| of normal points
        self._z: deque[float] = deque(maxlen=max(WINDOWS))
        # (index, value) of the last points: an episode's onset and peak lie among them
        self._recent: deque[tuple[int, float]] = deque(maxlen=max(WINDOWS) + hold)
        self._settled: tuple[int, float] | None = None  # peak over [onset, i - hold]
        self._n = 0
        self._envelope = 0.0
        self._pending: deque[float] = deque()
        self._level = math.nan
        self._scale = math.nan
        self._refresh = 0
        self._open: Episode | None = None
        self.episodes: list[Episode] = []
        self.evidence = 0.0
        self.status = "ok"

    @property
    def alarm_level(self) -> float:
        """Evidence needed now to raise the alarm."""
        return max(self.threshold, self.calibration * self._envelope)

    @property
    def level(self) -> float:
        """The normal level learned so far (NaN before any point)."""
        return self._level

    def _learn(self, x: float) -> None:
        if self._history:
            self._diffs.append(abs(x - self._history[-1]))
        self._history.append(x)
        self._refresh -= 1
        if self._refresh <= 0 or self._n < 4 * self.warmup:
            # medians of a bounded window: recomputed every few points (cost O(memory))
            recent = np.fromiter(self._history, float)
            tail = recent[-min(len(recent), 3 * self.hold + 10) :]
            self._level = float(np.median(tail))
            if self._diffs:
                mad = float(np.median(np.fromiter(self._diffs, float)))
                # |difference| of two iid normal points: median sqrt(2) * 0.6745 sigma
                self._scale = mad / (math.sqrt(2.0) * 0.6745)
            self._refresh = 5
        else:
            # between refreshes the level follows the last points cheaply
            self._level += (x - self._level) / (3 * self.hold + 10)

    def _track_peak(self, ep: Episode, i: int, *, start: bool) -> None:
        """Move the episode's peak to its most extreme value (unclipped, in its
        direction) among points ``[onset, i]``. Points up to ``i - hold`` are settled:
        an episode resolved at ``i`` ends at ``i - hold + 1``, and its peak is the
        settled one (``start``: the episode was raised at ``i``)."""
        cut = i - self.hold
        if start:
            self._settled = None
            new = [p for p in self._recent if ep.onset <= p[0] <= cut]
        else:
            new = [p for p in self._recent if p[0] == cut and p[0] >= ep.onset]
        if self._settled is not None:
            new.insert(0, self._settled)
        self._settled = _extreme(new, ep.direction)
        tail = [p for p in self._recent if p[0] > cut and p[0] >= ep.onset]
        if self._settled is not None:
            tail.insert(0, self._settled)
        peak = _extreme(tail, ep.direction)
        if peak is not None:
            ep.peak = peak[0]

    def update(self, x: float) -> ShiftMonitor:
        """Judge the next point ``x`` (a finite number); returns self."""
        i = self._n
        self._n += 1
        self._recent.append((i, float(x)))
        if i < self.warmup or not (self._scale > 0):
            self._learn(x)
            self.evidence, self.status = 0.0, "ok"
            return self
        z = (x - self._level) / self._scale
        z = max(-self.clip, min(self.clip, z))
        self._z.append(z)
        zs = self._z
        best, best_len, best_sum = 0.0, 1, 0.0
        total = 0.0
        k = 0
        for j, zj in enumerate(reversed(zs)):
            total += zj
            if j + 1 == WINDOWS[k]:
                d = total * total / (2.0 * (j + 1))
                if d > best:
                    best, best_len, best_sum = d, j + 1, total
                k += 1
                if k == len(WINDOWS):
                    break
        self.evidence = best
        level = self.alarm_level
        if self._open is None:
            if best >= level:
                onset = i - best_len + 1
                self._open = Episode(
                    onset=onset,
                    detected=i,
                    direction=1 if best_sum > 0 else -1,
                    score=best,
                    level=self._level,
                    scale=self._scale,
                    peak=i,
                )
                self._track_peak(self._open, i, start=True)
                self._pending.clear()
                self.episodes.append(self._open)
            else:
                self._envelope *= self._decay
                self._pending.append(best)
                if len(self._pending) > max(WINDOWS):
                    old = self._pending.popleft()
                    self._envelope = max(self._envelope, old)
                self._learn(x)
        else:
            ep = self._open
            ep.score = max(ep.score, best)
            self._track_peak(ep, i, start=False)
            recent = list(zs)[-self.hold :]
            back = i - ep.detected >= self.hold and abs(sum(recent)) <= len(recent)
            if back:
                ep.end = i - self.hold + 1
                if self._settled is not None:
                    ep.peak = self._settled[0]
                self._open = None
                self._z.clear()  # the episode's points are no evidence of a new shift
            elif i - ep.detected >= self.max_open:
                self._learn(x)  # a lasting shift: the level moves to it
        self.status = "outage" if self._open is not None else "ok"
        return self


__all__ = ["MODELS", "WINDOWS", "Episode", "ShiftMonitor"]
