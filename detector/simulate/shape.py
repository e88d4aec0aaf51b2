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


__all__ = ["RESOLVED_SHARE", "OutageShape"]
