"""The first step a tracker judges has no expectation behind it, so no window counts it.

At 1-day (or monthly, yearly) steps the warm-up ends at the second step; the window
holding the first two days then set the first day's posts against the baseline's floor
(0.05), and a steady ~100 a day raised an alarm on the second day with
``baseline_posts`` 0.05 (found by a new user running ``detect-series`` on daily totals).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from detector.cli.main import main
from detector.incidents.tracker import IncidentTracker, track_series

STEADY = [95, 96, 96, 100, 97, 105, 99, 100, 98, 101]


@pytest.mark.parametrize(("freq", "step"), [("D", "1D"), ("h", "1h"), ("5min", "5min")])
def test_a_steady_series_raises_nothing_from_its_first_steps(freq: str, step: str) -> None:
    times = pd.date_range("2024-01-01", periods=len(STEADY), freq=freq, tz="UTC")
    tracked = track_series(times, STEADY, step=step, peak_bucket=step)
    assert tracked.incidents == []


def test_the_first_step_is_in_no_window() -> None:
    tracker = IncidentTracker(step="1D", peak_bucket="1D")
    tracker.update(pd.Timestamp("2024-01-01", tz="UTC"), 95)
    assert tracker.evidence == 0.0
    tracker.update(pd.Timestamp("2024-01-02", tz="UTC"), 96)
    assert tracker.evidence == 0.0  # 96 against the 95 learned: no rise
    assert tracker.status == "ok"


def test_a_daily_surge_after_a_steady_week_is_still_raised() -> None:
    counts = [100, 104, 97, 101, 99, 103, 98, 102, 400, 420, 100, 99]
    times = pd.date_range("2025-01-01", periods=len(counts), freq="D", tz="UTC")
    tracked = track_series(times, counts, step="1D", peak_bucket="1D")
    [incident] = tracked.incidents
    assert incident.started_at == pd.Timestamp("2025-01-09", tz="UTC")
    assert incident.detected_at == pd.Timestamp("2025-01-09", tz="UTC")
    assert incident.peak_posts == 420.0
    assert incident.baseline_posts > 90


def test_detect_series_on_steady_daily_totals_finds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "daily.csv"
    days = pd.date_range("2024-01-01", periods=len(STEADY), freq="D")
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "n": STEADY}).to_csv(path, index=False)
    with pytest.raises(SystemExit) as stop:
        main(["detect-series", str(path)])
    assert stop.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["incidents"] == []
    assert out["change_points"] == []
