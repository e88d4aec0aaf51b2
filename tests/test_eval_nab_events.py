"""Detection rate, delay and false alarms per week on labelled incidents."""

from __future__ import annotations

import pandas as pd
import pytest

from detector.errors import DataError
from detector.evaluation.events import event_metrics

INDEX = pd.date_range("2026-01-05", periods=2016 * 2, freq="5min", tz="UTC")  # two weeks


def _alarm(*spans: tuple[int, int]) -> pd.Series:
    alarm = pd.Series(False, index=INDEX)
    for lo, hi in spans:
        alarm.iloc[lo:hi] = True
    return alarm


def test_delay_rate_and_false_alarms() -> None:
    incidents = [
        {"onset": INDEX[100], "resolved": INDEX[160]},
        (INDEX[1000], INDEX[1040]),
        (INDEX[3000], INDEX[3010]),  # missed
    ]
    alarm = _alarm((103, 150), (163, 165), (999, 1020), (1500, 1505), (2000, 2001))
    m = event_metrics(alarm, incidents)
    assert m.n_incidents == 3 and m.detected == 2
    assert m.detection_rate == pytest.approx(2 / 3)
    assert m.delays_buckets == [3.0, -1.0]
    assert m.median_delay_buckets == 1.0 and m.median_delay_minutes == 5.0
    # 163 is a flare-up within the grace period; 1500 and 2000 are false alarms
    assert m.false_alarms == 2
    assert m.weeks == pytest.approx(2.0)
    assert m.false_alarms_per_week == pytest.approx(1.0)


def test_alarm_already_up_at_onset_counts_with_zero_delay() -> None:
    m = event_metrics(_alarm((50, 200)), [(INDEX[100], INDEX[150])])
    assert m.delays_buckets == [0.0] and m.false_alarms == 1


def test_no_incidents_and_bad_input() -> None:
    m = event_metrics(_alarm(), [])
    assert m.n_incidents == 0 and m.false_alarms == 0 and m.median_delay_buckets is None
    with pytest.raises(DataError, match="ends before it starts"):
        event_metrics(_alarm(), [(INDEX[10], INDEX[5])])
    with pytest.raises(DataError, match="DatetimeIndex"):
        event_metrics(pd.Series([True, False]), [])
