"""Series given per month, quarter, year or decade: calendar steps, which no fixed width fits.

Months last 28 to 31 days and years 365 or 366, so buckets of one fixed width drift
across them: 31-day buckets leave some months without a value and give others two,
and change points land on bucket starts such as 29 August. Such a series is judged
one value per period instead, on a regular stand-in axis (one step a day, as the
TCPD benchmark runs), and its times are read back on the series' own day of the month
(the 1st, the 15th, or the month's end).

>>> index = pd.DatetimeIndex(["2020-01-01", "2020-02-01", "2020-04-01"], tz="UTC")
>>> calendar_months(index)
1
>>> axis = CalendarAxis.of(index, 1)
>>> axis.steps.strftime("%Y-%m-%d").tolist()
['2000-01-01', '2000-01-02', '2000-01-03', '2000-01-04']
>>> axis.real(pd.Timestamp("2000-01-03", tz="UTC")).strftime("%Y-%m-%d")
'2020-03-01'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Where the stand-in axis starts (one step a day from there).
ORIGIN = pd.Timestamp("2000-01-01", tz="UTC")
_DAY = pd.Timedelta(days=1)


def calendar_months(index: pd.DatetimeIndex) -> int | None:
    """How many months apart the values of *index* are (1 monthly, 3 quarterly, 12 yearly,
    120 per decade...) when it holds one time per calendar period, else ``None``.

    The times must be midnights on one day of the month (or all month ends), at least
    three distinct ones, every gap a whole number of periods and the most common gap
    one period.

    >>> def months(*days):
    ...     return calendar_months(pd.DatetimeIndex(days, tz="UTC"))
    >>> months("1871-01-01", "1872-01-01", "1874-01-01")
    12
    >>> months("2020-01-31", "2020-02-29", "2020-03-31")  # month ends
    1
    >>> months("1870-01-01", "1880-01-01", "1890-01-01")
    120
    >>> months("2020-01-01", "2020-01-31", "2020-03-01") is None  # 30 days, not a month
    True
    >>> months("2020-01-01 00:00", "2020-01-01 00:05", "2020-01-01 00:10") is None
    True
    """
    times = pd.DatetimeIndex(index).unique().sort_values()
    if len(times) < 3 or not (times == times.normalize()).all():
        return None
    if times.day.nunique() != 1 and not times.is_month_end.all():
        return None
    gaps = np.diff(_ordinals(times))
    if not (gaps > 0).all():
        return None
    step = int(pd.Series(gaps).mode().iloc[0])
    return None if (gaps % step).any() else step


@dataclass(frozen=True)
class CalendarAxis:
    """The periods a calendar series spans and the stand-in daily steps they are judged on."""

    #: Month ordinal (year * 12 + month - 1) of the first value.
    first: int
    #: Months per period.
    months: int
    #: One step a day from :data:`ORIGIN`, one per period from the first value's to the
    #: last's (none skipped).
    steps: pd.DatetimeIndex
    #: The values' day of the month (``None``: each month's last day).
    day: int | None = 1

    @classmethod
    def of(cls, index: pd.DatetimeIndex, months: int) -> CalendarAxis:
        """The axis of the times *index*, *months* apart (:func:`calendar_months`)."""
        times = _utc(pd.DatetimeIndex(index))
        ordinals = _ordinals(times)
        first = int(ordinals.min())
        periods = (int(ordinals.max()) - first) // months + 1
        day = int(times.day[0]) if times.day.nunique() == 1 else None
        return cls(first, months, pd.date_range(ORIGIN, periods=periods, freq="D"), day)

    def stand_in(self, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """The stand-in step of each time of *index* (the step of its period)."""
        position = (_ordinals(pd.DatetimeIndex(index)) - self.first) // self.months
        return self.steps[0] + pd.to_timedelta(position, unit="D")

    def real(self, step: pd.Timestamp) -> pd.Timestamp:
        """The time (UTC midnight, on the series' day of the month) of the period judged
        at the stand-in *step*.

        >>> ends = pd.DatetimeIndex(["2007-03-31", "2007-06-30", "2007-12-31"], tz="UTC")
        >>> axis = CalendarAxis.of(ends, 3)
        >>> [axis.real(t).strftime("%Y-%m-%d") for t in axis.steps]
        ['2007-03-31', '2007-06-30', '2007-09-30', '2007-12-31']
        """
        position = min(max(int((step - self.steps[0]) // _DAY), 0), len(self.steps) - 1)
        year, month = divmod(self.first + position * self.months, 12)
        last = pd.Timestamp(year=year, month=month + 1, day=1).days_in_month
        day = last if self.day is None else min(self.day, last)
        return pd.Timestamp(year=year, month=month + 1, day=day, tz="UTC")

    def real_index(self, steps: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """:meth:`real` of every step of *steps*."""
        return pd.DatetimeIndex([self.real(t) for t in steps])


def _utc(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return times.tz_convert("UTC") if times.tz is not None else times


def _ordinals(times: pd.DatetimeIndex) -> np.ndarray:
    """Month ordinals (year * 12 + month - 1) of *times*, in UTC."""
    times = _utc(times)
    return np.asarray(times.year * 12 + times.month - 1, dtype=np.int64)


__all__ = ["ORIGIN", "CalendarAxis", "calendar_months"]
