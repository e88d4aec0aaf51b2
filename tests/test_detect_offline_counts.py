"""Offline incidents on count series stand on change points, against the series' usual level.

The offline exposure's level was the baseline's at the end of the data (a day's
half-life): 90 days of Poisson(5) tickets ending on quieter days made the whole series,
one segment without any change point, an incident from its first day (baseline 3.26
against a mean of 5.06); NAB's Twitter_volume_UPS became one incident from its first
point to April, over all five labelled windows. The level is now the segments' usual
rate, and an end moved by the recovery estimate is a change point too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.incidents.detect import detect_series

# a tester's daily ticket counts: Poisson(5), nothing happening
TICKETS = [
    8, 3, 11, 6, 3, 3, 6, 4, 5, 1, 7, 2, 10, 6, 8, 4, 5, 9, 9, 3, 3, 3, 5, 4, 7, 8, 5, 5, 9, 7,
    6, 8, 3, 4, 9, 7, 3, 9, 3, 1, 5, 3, 4, 5, 5, 4, 2, 8, 5, 4, 5, 6, 4, 5, 5, 3, 4, 5, 6, 3,
    5, 4, 7, 8, 4, 6, 4, 3, 5, 3, 5, 4, 5, 4, 3, 5, 6, 3, 6, 7, 7, 5, 3, 4, 7, 3, 2, 6, 2, 6,
]  # fmt: skip
DAYS = pd.date_range("2025-01-01", periods=90, freq="D", tz="UTC")


def test_a_flat_daily_series_has_no_offline_incident() -> None:
    result = detect_series(pd.Series(TICKETS, index=DAYS, dtype=float), mode="offline")
    assert result.incidents == []
    assert result.change_points == []


@pytest.mark.parametrize("seed", [5, 12, 13, 15, 16])  # each raised one before
def test_flat_low_counts_raise_nothing_offline(seed: int) -> None:
    y = np.random.default_rng(seed).poisson(1.0, 90).astype(float)
    result = detect_series(pd.Series(y, index=DAYS), mode="offline", model="poisson")
    assert result.incidents == []


def test_a_tripled_week_is_one_incident_on_its_change_points() -> None:
    rng = np.random.default_rng(7)
    rate = np.full(90, 20.0)
    rate[40:47] *= 3
    y = rng.poisson(rate).astype(float)
    result = detect_series(pd.Series(y, index=DAYS), mode="offline", model="poisson")
    [incident] = result.incidents
    assert incident.started_at == DAYS[40]
    assert incident.resolved_at == DAYS[47]
    assert {DAYS[40], DAYS[47]} <= set(result.change_points)
    assert 15 < incident.baseline_posts < 25  # the usual level, not the last days'


def test_every_offline_end_is_a_change_point() -> None:
    rng = np.random.default_rng(3)
    rate = np.full(90, 10.0)
    rate[80:] = np.linspace(40, 12, 10)  # a slow recovery running to the end of the data
    y = rng.poisson(rate).astype(float)
    result = detect_series(pd.Series(y, index=DAYS), mode="offline", model="poisson")
    ends = [i.resolved_at for i in result.incidents if i.resolved_at is not None]
    assert set(ends) <= set(result.change_points)


def test_an_outage_filling_most_of_the_export_is_still_an_incident() -> None:
    """An export cut around an outage: 24 quiet hours, then 36 hours at 8 times the rate.
    The online tracker judged those hours an outage, so they are not the usual level."""
    rng = np.random.default_rng(18)
    hours = pd.date_range("2024-03-01", periods=60, freq="h", tz="UTC")
    y = np.concatenate([rng.poisson(5, 24), rng.poisson(40, 36)]).astype(float)
    result = detect_series(pd.Series(y, index=hours), mode="offline", model="poisson")
    [incident] = result.incidents
    assert incident.started_at == hours[24]
    assert incident.baseline_posts < 10
