"""``detect-series`` says when a count series is all warm-up in online mode.

The online baseline learns a day of history before a slow rise can raise the alarm;
a shorter series (a 4.5-hour export with a 3.75x step) used to end with "wrote 0
incident(s)" and nothing else, though ``--mode offline`` finds the step.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import run_cli


def write_series(path: Path, counts: np.ndarray) -> Path:
    times = pd.date_range("2024-01-01", periods=len(counts), freq="1min", tz="UTC")
    pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": counts}).to_csv(
        path, index=False
    )
    return path


def step(minutes_before: int) -> np.ndarray:
    return np.array([8] * minutes_before + [30] * 30 + [8] * 120)


def test_a_series_shorter_than_the_warm_up_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_series(tmp_path / "step.csv", step(120))
    code, out, err = run_cli(["detect-series", str(data)], capsys)
    assert code == 0
    assert json.loads(out)["incidents"] == []
    assert (
        f"{data}: the series' times span 4.48 h, less than the day of history the online "
        "baseline learns the daily rhythm from" in err
    )
    assert "--mode offline judges the whole series at once" in err
    code, out, err = run_cli(["detect-series", str(data), "--mode", "offline"], capsys)
    assert code == 0
    assert [(i["started_at"], i["resolved_at"]) for i in json.loads(out)["incidents"]] == [
        ("2024-01-01T02:00:00Z", "2024-01-01T02:30:00Z")
    ]
    assert "span" not in err


def test_a_series_longer_than_the_warm_up_has_no_such_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_series(tmp_path / "long.csv", step(26 * 60))
    code, out, err = run_cli(["detect-series", str(data)], capsys)
    assert code == 0
    assert "span" not in err
    assert len(json.loads(out)["incidents"]) == 1


def test_a_day_of_hourly_rows_is_still_warm_up_and_says_so_consistently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    times = pd.date_range("2024-03-01", periods=24, freq="1h", tz="UTC")
    data = tmp_path / "h24.csv"
    pd.DataFrame(
        {"time": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "count": [5] * 20 + [60] * 4}
    ).to_csv(data, index=False)
    code, _, err = run_cli(["detect-series", str(data)], capsys)
    assert code == 0
    assert "the series' times span 23 h, less than the day of history" in err
