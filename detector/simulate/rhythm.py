"""Daily and weekly rhythm of posting activity.

People post little at night and most in the afternoon, a bit less at weekends.
:func:`activity` gives a multiplier for each timestamp whose average over a whole
week is 1, so ``base_rate * activity(t)`` keeps ``base_rate`` as the mean rate.

>>> import pandas as pd
>>> t = pd.DatetimeIndex(["2025-03-12 04:00", "2025-03-12 16:00"], tz="UTC")
>>> night, afternoon = activity(t)
>>> bool(night < 0.5 < 1.2 < afternoon)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Relative activity per weekday (Monday first); weekends are quieter.
WEEKDAY_LEVEL = np.array([1.0, 1.04, 1.05, 1.03, 0.98, 0.78, 0.72])
#: Activity at the quietest hour relative to the busiest one.
NIGHT_FLOOR = 0.18


def _daily(hour: np.ndarray, peak_hour: float) -> np.ndarray:
    """Smooth day curve in [NIGHT_FLOOR, 1]: lowest 12 h away from *peak_hour*."""
    phase = 2 * np.pi * (hour - peak_hour) / 24.0
    bump = ((1 + np.cos(phase)) / 2) ** 1.6
    return NIGHT_FLOOR + (1 - NIGHT_FLOOR) * bump


def _week_mean(peak_hour: float) -> float:
    hours = np.arange(0, 24 * 7, 1 / 12)  # 5-minute grid over one week
    daily = _daily(hours % 24, peak_hour)
    weekly = WEEKDAY_LEVEL[(hours // 24).astype(int)]
    return float(np.mean(daily * weekly))


def activity(times: pd.DatetimeIndex, *, peak_hour: float = 15.0) -> np.ndarray:
    """Activity multiplier (week average 1) at each of *times* (UTC).

    *peak_hour* is the UTC hour of the busiest time of day: work tools peak in the
    (transatlantic) afternoon, streaming services late in the US evening.

    >>> import pandas as pd
    >>> week = pd.date_range("2025-03-10", periods=7 * 288, freq="5min", tz="UTC")
    >>> round(float(activity(week).mean()), 6)
    1.0
    >>> sat = activity(pd.DatetimeIndex(["2025-03-15 15:00"], tz="UTC"))[0]
    >>> mon = activity(pd.DatetimeIndex(["2025-03-10 15:00"], tz="UTC"))[0]
    >>> bool(sat < mon)
    True
    """
    index = pd.DatetimeIndex(times)
    hour = (index.hour + index.minute / 60 + index.second / 3600).to_numpy(dtype=float)
    weekly = WEEKDAY_LEVEL[index.day_of_week.to_numpy()]
    return _daily(hour, peak_hour) * weekly / _week_mean(peak_hour)


__all__ = ["NIGHT_FLOOR", "WEEKDAY_LEVEL", "activity"]
