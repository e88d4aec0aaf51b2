"""Detection metrics that users can run on their own labelled incidents.

A detector is judged the way an on-call rotation experiences it: how many of the
known incidents it caught, how soon after the onset, and how many alarms were for
nothing (:mod:`detector.evaluation.events`); and, for comparison with published
detectors, the Numenta Anomaly Benchmark score (:mod:`detector.evaluation.nab`),
which rewards early detection inside labelled windows and charges false alarms,
and the Turing Change Point Dataset's F1 and covering of change points
(:mod:`detector.evaluation.tcpd`).

>>> from detector.evaluation import rising_edges
>>> rising_edges([False, True, True]).tolist()
[False, True, False]
"""

from __future__ import annotations

from detector.evaluation.events import EventMetrics, event_metrics
from detector.evaluation.nab import (
    PROFILES,
    SeriesScore,
    normalized_score,
    read_nab,
    rising_edges,
    score_series,
)
from detector.evaluation.tcpd import covering, f_measure, load_tcpd

__all__ = [
    "PROFILES",
    "EventMetrics",
    "SeriesScore",
    "covering",
    "event_metrics",
    "f_measure",
    "load_tcpd",
    "normalized_score",
    "read_nab",
    "rising_edges",
    "score_series",
]
