"""The false-alarm budget: the tracker calibrates its bar to the series' own alarms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.errors import UsageError
from detector.incidents.tracker import IncidentTracker, track_series

INDEX = pd.date_range("2026-02-02", periods=21 * 288, freq="5min", tz="UTC")


def _daily_bursts() -> np.ndarray:
    """2 posts per 5 minutes, and every day a 30-minute burst at 10x (bots, campaigns)."""
    rng = np.random.default_rng(0)
    rate = np.full(len(INDEX), 2.0)
    for day in range(1, 21):
        start = day * 288 + 100 + int(rng.integers(0, 100))
        rate[start : start + 6] = 20.0
    return rng.poisson(rate)


def _days(found: list) -> list[str]:
    return [i.detected_at.strftime("%m-%d") for i in found]


def test_bursts_that_come_back_every_day_stop_alarming() -> None:
    counts = _daily_bursts()
    unbounded = track_series(INDEX, counts, step="5min", budget=1e9).incidents
    budgeted = track_series(INDEX, counts, step="5min").incidents
    assert len(unbounded) == 20  # every burst alarms without the budget
    # with it: the first three, then the bar rises to the bursts' own size; it falls
    # back after two quiet-enough weeks of memory (a day later with the envelope's
    # longer memory after the first week: 02-17 no longer alarms)
    assert _days(budgeted) == ["02-03", "02-04", "02-05", "02-18", "02-19", "02-20", "02-22"]
    shorter = track_series(INDEX, counts, step="5min", envelope_memory=0).incidents
    assert len(shorter) == len(budgeted) + 1


def test_a_stronger_rise_still_alarms_over_the_raised_bar() -> None:
    counts = _daily_bursts().astype(float)
    counts[10 * 288 + 60 : 10 * 288 + 84] += 60  # two hours at 30x on 02-12: an outage
    found = track_series(INDEX, counts, step="5min").incidents
    (outage,) = [i for i in found if i.detected_at.strftime("%m-%d") == "02-12"]
    assert outage.started_at == INDEX[10 * 288 + 60]
    tracker = IncidentTracker(step="5min")
    for t, x in zip(INDEX[: 10 * 288], counts[: 10 * 288], strict=True):
        tracker.update(t, x)
    assert tracker.budget_level > tracker.threshold  # the bar learned the bursts
    assert tracker.alarm_level == pytest.approx(
        tracker.calibration * max(tracker.envelope, tracker.budget_level)
    )


def test_two_outages_a_week_on_a_quiet_series() -> None:
    """The budget's price: a third outage within two weeks must beat the earlier ones."""
    rng = np.random.default_rng(1)
    rate = np.full(len(INDEX), 2.0)
    for day in (2, 5, 9, 12, 16, 19):
        rate[day * 288 + 150 : day * 288 + 174] = 12.0
    counts = rng.poisson(rate)
    budgeted = _days(track_series(INDEX, counts, step="5min").incidents)
    unbounded = _days(track_series(INDEX, counts, step="5min", budget=1e9).incidents)
    assert unbounded == ["02-04", "02-07", "02-11", "02-14", "02-18", "02-21"]
    assert set(budgeted) <= set(unbounded) and len(budgeted) >= 4


def test_budget_must_be_a_number() -> None:
    with pytest.raises(UsageError, match="'budget' parameter must be a number >= 0"):
        IncidentTracker(budget=-1)
