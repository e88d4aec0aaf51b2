"""Detection rate, delay and false alarms of an alarm series against labelled incidents.

What an on-call engineer asks of a detector, measured on their own history: of
the incidents we know about, how many did it catch, how long after the onset did
the alarm go up, and how often did it wake us for nothing?

* An incident ``[onset, end]`` is detected by the first rising edge of the alarm
  in ``[onset - early, end]``, or by an alarm that is already up at the onset; the
  delay is that edge minus the onset (in buckets and in minutes; it is negative
  when the alarm rose a little before the labelled onset).
* Every other rising edge is a false alarm, except edges during
  ``(end, end + grace]`` (the same incident flaring up again).

>>> import pandas as pd
>>> index = pd.date_range("2026-01-05", periods=2016, freq="5min", tz="UTC")
>>> alarm = pd.Series(False, index=index)
>>> alarm.iloc[102:130] = True                  # caught 2 buckets after the onset
>>> alarm.iloc[1500:1503] = True                # a false alarm
>>> m = event_metrics(alarm, [(index[100], index[140])])
>>> m.detection_rate, m.median_delay_buckets, m.false_alarms, round(m.false_alarms_per_week, 2)
(1.0, 2.0, 1, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from detector.errors import DataError

_WEEK = pd.Timedelta(days=7)


@dataclass
class EventMetrics:
    """How an alarm series did against labelled incidents."""

    n_incidents: int
    detected: int
    detection_rate: float
    #: delay of each detected incident, in buckets (in order of the incidents)
    delays_buckets: list[float] = field(default_factory=list)
    median_delay_buckets: float | None = None
    median_delay_minutes: float | None = None
    false_alarms: int = 0
    weeks: float = 0.0
    false_alarms_per_week: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return dict(self.__dict__)


def _span(item: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    if isinstance(item, Mapping):
        start = item.get("onset", item.get("start", item.get("started_at")))
        end = item.get("resolved", item.get("end", item.get("resolved_at")))
    else:
        start, end = item  # type: ignore[misc]
    if start is None or end is None:
        raise DataError(f"An incident needs an onset and an end, got {item!r}.")
    start, end = _utc(pd.Timestamp(start)), _utc(pd.Timestamp(end))
    if end < start:
        raise DataError(f"An incident ends before it starts: {item!r}.")
    return start, end


def _utc(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def event_metrics(
    alarm: pd.Series,
    incidents: Iterable[object],
    *,
    early: str | pd.Timedelta = "15min",
    grace: str | pd.Timedelta = "30min",
) -> EventMetrics:
    """Score a bool ``alarm`` Series (DatetimeIndex of buckets) against ``incidents``.

    ``incidents`` are ``(onset, end)`` pairs or dicts with ``onset``/``resolved``
    (the simulator's truth), ``start``/``end`` or ``started_at``/``resolved_at``.
    """
    if not isinstance(alarm, pd.Series) or not isinstance(alarm.index, pd.DatetimeIndex):
        raise DataError("alarm must be a pandas Series of bools with a DatetimeIndex.")
    index = alarm.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    on = alarm.to_numpy(dtype=bool)
    edges = np.flatnonzero(on & ~np.concatenate([[False], on[:-1]]))
    step = (index[1] - index[0]) if len(index) > 1 else pd.Timedelta(minutes=5)
    early, grace = pd.Timedelta(early), pd.Timedelta(grace)

    spans = sorted(_span(item) for item in incidents)
    explained = np.zeros(len(edges), dtype=bool)
    delays: list[float] = []
    for start, end in spans:
        lo = int(index.searchsorted(start - early, side="left"))
        hi = int(index.searchsorted(end, side="right"))
        onset_row = int(index.searchsorted(start, side="left"))
        inside = np.flatnonzero((edges >= lo) & (edges < hi))
        after = np.flatnonzero(
            (edges >= hi) & (edges < int(index.searchsorted(end + grace, side="right")))
        )
        explained[inside] = True
        explained[after] = True
        if len(inside):
            delays.append(float(edges[inside[0]] - onset_row))
        elif onset_row < len(on) and on[onset_row]:
            delays.append(0.0)
    weeks = (len(index) * step) / _WEEK if len(index) else 0.0
    false_alarms = int((~explained).sum())
    median = float(np.median(delays)) if delays else None
    return EventMetrics(
        n_incidents=len(spans),
        detected=len(delays),
        detection_rate=len(delays) / len(spans) if spans else float("nan"),
        delays_buckets=delays,
        median_delay_buckets=median,
        median_delay_minutes=None if median is None else median * step / pd.Timedelta(minutes=1),
        false_alarms=false_alarms,
        weeks=float(weeks),
        false_alarms_per_week=false_alarms / weeks if weeks else 0.0,
    )


__all__ = ["EventMetrics", "event_metrics"]
