"""Defects a new user found following the README (tester-fresh, session 22), each pinned.

1. Scoring the power-outage folder counted 3,645 tweets twice: ``power_outage_10k.csv``
   (columns ``row, Datetime, Text``: no id, no author) repeats tweets of the other files,
   and neither dedupe mode matched a post without id and author to its copy with them.
4. README's ``--positive complained`` example gave a model that ``score`` always called
   "not an outage model".
5. ``detect-series --mode offline`` on TCPD's lga_passengers: the 2001-09 fall was one
   incident still open 14 years later whose "peak" was the series' maximum.
6. README had no command for the power-outage streams.
7. ``score --help`` left out exit code 69.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support import run_cli as run

from detector.incidents import detect

README = Path(__file__).resolve().parents[1] / "README.md"
LGA = Path("/work/shared/data/series/tcpd/datasets/lga_passengers.json")


# -- 7 ---------------------------------------------------------------------------------
def test_score_help_lists_exit_69(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["score", "--help"], capsys)
    assert code == 0
    codes = out.split("Exit codes:")[1].split("Options:")[0]
    assert "69 the --scheduler cannot be reached" in " ".join(codes.split())


# -- 5 ---------------------------------------------------------------------------------
def _fall_then_trend(n: int = 468, at: int = 296) -> pd.Series:
    """A level with a sharp fall at *at* that recovers in 30 steps and then climbs above
    the old level for good (as air passengers after 2001-09)."""
    rng = np.random.default_rng(5)
    values = 100.0 + rng.normal(0.0, 4.0, n)
    values[at : at + 30] = np.linspace(40.0, 100.0, 30) + rng.normal(0.0, 4.0, 30)
    values[at + 30 :] += 25.0
    index = pd.date_range("1977-01-01", periods=n, freq="MS", tz="UTC")
    return pd.Series(values, index=index)


class _OneCut:
    """A segmentation that finds one change point, at *at* (the segmenter's answer on
    lga_passengers: the fall and the later rise in one segment)."""

    at = 296
    penalty_ = 1.0

    def fit(self, signal: np.ndarray) -> _OneCut:
        self.n = len(signal)
        return self

    def predict(self) -> list[int]:
        return [self.at, self.n]


def test_offline_metric_fall_reports_its_trough_and_ends_at_the_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    series = _fall_then_trend()
    monkeypatch.setattr(detect, "Segmenter", lambda *a, **k: _OneCut())
    found = detect.detect_series(series, mode="offline", model="robust")
    assert len(found.incidents) == 1
    inc = found.incidents[0]
    assert inc.started_at == series.index[296]
    assert inc.peak_posts < inc.baseline_posts  # a fall: its extreme is below the level
    assert inc.peak_at < series.index[296 + 30]
    assert inc.status == "resolved"
    assert series.index[296] < inc.resolved_at <= series.index[296 + 36]
    assert inc.resolved_at in found.change_points


def test_metric_departure() -> None:
    x = np.array([-9.0, -8.0, -7.0, 0.0, 6.0, 8.0, 9.0, 9.0])
    assert detect.metric_departure(x, 0.0, 1.0, 1) == (-1, 3)
    # a shift that lasts, with noise at its end, keeps its whole run
    y = np.array([5.0, 6.0, 5.0, 4.0, 6.0, -0.5])
    assert detect.metric_departure(y, 0.0, 1.0, 1) == (1, 6)


@pytest.mark.skipif(not LGA.is_file(), reason="shared TCPD data not present")
def test_lga_passengers_offline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["detect-series", str(LGA), "--mode", "offline"], capsys)
    assert code == 0
    result: dict[str, Any] = json.loads(out)
    (inc,) = result["incidents"]
    assert inc["started_at"].startswith("2001-09")
    assert inc["peak_at"].startswith("2001-")
    assert inc["peak_posts"] < inc["baseline_posts"]
    assert inc["status"] == "resolved"
    assert inc["resolved_at"] < "2004"
