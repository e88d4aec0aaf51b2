"""The shape of an outage in complaint volume: fast rise, plateau, slow decay.

Complaints start within minutes of the failure (exponential approach to the
plateau, 95% reached after ``rise_minutes``), stay high while the failure lasts,
and fade exponentially once the fix is rolled out (``decay_minutes`` is the time
constant). The outage counts as resolved when the excess has fallen to 5% of the
plateau, i.e. ``decay_minutes * ln 20`` after mitigation; the shape is cut to 0
from there on, so the ground truth and the data agree.

>>> import pandas as pd
>>> o = OutageShape(pd.Timestamp("2025-03-12 14:00", tz="UTC"), rise_minutes=10,
...                 plateau_minutes=60, decay_minutes=30)
>>> str(o.resolved)
'2025-03-12 16:40:00+00:00'
>>> times = pd.DatetimeIndex(["2025-03-12 13:59", "2025-03-12 14:30", "2025-03-12 17:00"],
...                          tz="UTC")
>>> [round(float(v), 2) for v in o.level(times)]
[0.0, 1.0, 0.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector.errors import UsageError

#: Share of the plateau below which a decaying outage counts as resolved.
RESOLVED_SHARE = 0.05


@dataclass(frozen=True)
class OutageShape:
    """Timing of one outage; :meth:`level` gives its intensity in [0, 1] over time."""

    onset: pd.Timestamp
    rise_minutes: float
    plateau_minutes: float
    decay_minutes: float

    @property
    def mitigated(self) -> pd.Timestamp:
        """When the fix starts to take effect (end of the plateau)."""
        return self.onset + pd.Timedelta(minutes=self.rise_minutes + self.plateau_minutes)

    @property
    def resolved(self) -> pd.Timestamp:
        """When the excess volume has decayed to :data:`RESOLVED_SHARE` of the plateau."""
        tail = self.decay_minutes * math.log(1 / RESOLVED_SHARE)
        return (self.mitigated + pd.Timedelta(minutes=tail)).ceil("min")

    def level(self, times: pd.DatetimeIndex) -> np.ndarray:
        """Intensity of the outage (0 before onset, 1 on the plateau) at each time."""
        index = pd.DatetimeIndex(times)
        since = (index - self.onset).total_seconds().to_numpy() / 60.0
        after_fix = (index - self.mitigated).total_seconds().to_numpy() / 60.0
        rise_tau = max(self.rise_minutes, 1e-9) / 3.0  # 95% of plateau after rise_minutes
        rising = 1.0 - np.exp(-np.clip(since, 0, None) / rise_tau)
        decaying = np.exp(-np.clip(after_fix, 0, None) / max(self.decay_minutes, 1e-9))
        out = rising * decaying
        out[(since < 0) | (index >= self.resolved)] = 0.0
        return out


def place_outages(
    rng: np.random.Generator, start: pd.Timestamp, days: float, n_outages: int
) -> list[OutageShape]:
    """*n_outages* non-overlapping outages after the first day, one per equal slot.

    Rise 3-15 min, plateau 45-240 min, decay constant 15-75 min (shortened when
    a slot is too short); onsets on whole minutes.

    >>> import numpy as np, pandas as pd
    >>> start = pd.Timestamp("2025-03-03", tz="UTC")
    >>> shapes = place_outages(np.random.default_rng(0), start, 3, 2)
    >>> [s.onset >= start + pd.Timedelta(days=1) for s in shapes]
    [True, True]
    >>> bool(shapes[0].resolved <= shapes[1].onset)
    True
    """
    if n_outages == 0:
        return []
    first = start + pd.Timedelta(days=1)
    end = start + pd.Timedelta(days=days)
    slot = (end - first) / n_outages
    if slot < pd.Timedelta(hours=3):
        raise UsageError(
            f"The 'n_outages' parameter ({n_outages}) is too large for days={days}: each "
            "outage needs at least 3 hours after the first day (history). Use fewer "
            "outages or more days."
        )
    shapes = []
    for k in range(n_outages):
        slot_minutes = slot.total_seconds() / 60
        rise = float(rng.uniform(3, 15))
        decay = float(rng.uniform(15, 75))
        tail = decay * math.log(20)
        room = slot_minutes - rise - tail - 10
        plateau = float(rng.uniform(45, 240))
        if plateau > room * 0.8:
            decay = min(decay, max(slot_minutes * 0.15 / math.log(20), 5.0))
            tail = decay * math.log(20)
            plateau = max((slot_minutes - rise - tail - 10) * 0.5, 15.0)
        span = rise + plateau + tail
        latest = max(slot_minutes - span - 5, 0.0)
        offset = float(rng.uniform(0, latest))
        onset = (first + k * slot + pd.Timedelta(minutes=offset)).floor("min")
        shapes.append(OutageShape(onset, rise, plateau, decay))
    return shapes


__all__ = ["RESOLVED_SHARE", "OutageShape", "place_outages"]
