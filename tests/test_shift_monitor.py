"""ShiftMonitor (the online alarm of `detect-series` for metrics): where an episode's
peak lies."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.changepoint.shift import ShiftMonitor
from detector.cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def _write(tmp_path: Path, x: np.ndarray, name: str) -> tuple[Path, pd.DatetimeIndex]:
    index = pd.date_range("2026-01-01", periods=len(x), freq="1min", tz="UTC")
    frame = pd.DataFrame({"time": index.strftime("%Y-%m-%dT%H:%M:%SZ"), "latency_ms": x})
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path, index


def _stamp(index: pd.DatetimeIndex, i: int) -> str:
    return index[i].strftime("%Y-%m-%dT%H:%M:%SZ")


def test_peak_of_a_two_step_rise_is_its_highest_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """120 ms, then 500 ms for 30 min, then 900 ms for 30 min: the peak is the highest
    900-ish point (the robust model clipped z before comparing, so the first 500-ish
    point detected stayed the peak at 503)."""
    rng = np.random.default_rng(18)
    x = np.r_[
        rng.normal(120, 3, 300),
        rng.normal(500, 5, 30),
        rng.normal(900, 5, 30),
        rng.normal(120, 3, 60),
    ].round(1)
    path, index = _write(tmp_path, x, "peak_latency.csv")
    code, out, _ = run(["detect-series", str(path), "--model", "robust"], capsys)
    assert code == 0
    inc = json.loads(out)["incidents"][0]
    end = int((pd.Timestamp(inc["resolved_at"]) - index[0]) / pd.Timedelta("1min"))
    assert inc["started_at"] == _stamp(index, 300)
    assert 350 < end <= 360
    top = 330 + int(np.argmax(x[330:end]))
    assert (inc["peak_at"], inc["peak_posts"]) == (_stamp(index, top), float(x[top]))
    assert inc["peak_posts"] > 900


def _rise_then_drop(seed: int) -> np.ndarray:
    """Unit noise with a rise of 1.2 for 60 points, then a drop of 3 for 20."""
    rng = np.random.default_rng(seed)
    return np.r_[
        rng.normal(0, 1, 200),
        rng.normal(1.2, 1, 60),
        rng.normal(0, 1, 100),
        rng.normal(-3, 1, 20),
        rng.normal(0, 1, 100),
    ]


@pytest.mark.parametrize("model", ["normal", "robust"])
def test_peak_is_the_most_extreme_point_between_onset_and_end(model: str) -> None:
    """For every episode: onset <= peak < end, and the peak is the value furthest from
    the level in the episode's direction (the old peak could be one of the `hold`
    points after the end, or the first point detected)."""
    checked = 0
    for seed in range(12):
        x = _rise_then_drop(seed)
        mon = ShiftMonitor(model=model)
        for v in x:
            mon.update(float(v))
        for ep in mon.episodes:
            end = len(x) if ep.end is None else ep.end
            assert ep.onset <= ep.peak < end
            assert ep.peak == ep.onset + int(np.argmax(ep.direction * x[ep.onset : end]))
            checked += 1
    assert checked >= 12


def test_peak_is_never_after_resolved_at(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A drop of 3 noise scales whose last `hold` points back at the level held a lower
    value than the episode: the incident was resolved at 06:18 with its peak at 06:19."""
    x = _rise_then_drop(31).round(3)
    path, index = _write(tmp_path, x, "drop.csv")
    code, out, _ = run(["detect-series", str(path), "--model", "robust"], capsys)
    assert code == 0
    incidents = json.loads(out)["incidents"]
    drop = [inc for inc in incidents if inc["started_at"] == _stamp(index, 360)]
    assert len(drop) == 1
    (inc,) = drop
    assert inc["resolved_at"] == _stamp(index, 378)
    low = 360 + int(np.argmin(x[360:378]))
    assert (inc["peak_at"], inc["peak_posts"]) == (_stamp(index, low), float(x[low]))
    for inc in incidents:
        assert inc["started_at"] <= inc["peak_at"]
        assert inc["resolved_at"] is None or inc["peak_at"] < inc["resolved_at"]
