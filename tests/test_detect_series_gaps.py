"""``detect-series`` on irregular times and on series with holes: the bucket is the median
gap of irregular times, buckets left empty by irregular sampling are neither values nor
missing, and a hole in a count series is missing data, not zeros."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.cli.main import main
from detector.incidents.detect import fit_to_grid, infer_bucket


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    """Exit code, the JSON printed (if any) and stderr of ``outage-detector *args*``."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), json.loads(out) if out.strip() else None, err


def _events(path: Path, n: int, seconds: float, seed: int = 0) -> Path:
    """*n* latencies (about 200 ms) at random times over *seconds*, microseconds kept."""
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.uniform(0, seconds, n))
    times = pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(offsets, unit="s")
    frame = pd.DataFrame({"timestamp": times, "latency_ms": np.round(rng.normal(200, 15, n), 1)})
    frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    return path


def test_irregular_events_get_the_median_gap_not_the_smallest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """5,000 latencies over 2 days: the smallest gap (milliseconds) made a grid of tens of
    millions of buckets (MemoryError, exit 70); the median gap (about 24 s) gives 30 s."""
    path = _events(tmp_path / "events.csv", 5000, 2 * 86400.0)
    code, found, err = run(["detect-series", str(path)], capsys)
    assert code == 0, err
    assert found is not None and found["model"] == "robust"
    assert found["missing"] == {"values": 0, "first": None, "handled": "none"}
    assert "irregular times (no common spacing; median gap 24.4s): bucket 30s" in err
    assert "2407 empty bucket(s) of 30s left out: the times are irregular" in err


def test_irregular_sampling_invents_no_missing_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """300 latencies over a day, none empty: 1501 missing values were reported."""
    path = _events(tmp_path / "small.csv", 300, 86400.0, seed=1)
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0, err
    assert found is not None and found["missing"]["values"] == 0


def test_a_fortnightly_series_drifting_across_buckets_misses_nothing() -> None:
    """Rows 14 to 17 days apart (TCPD's brent_spot): the empty 14-day buckets between
    them are the times drifting, left out, not missing values to interpolate."""
    gaps = np.tile([14, 14, 14, 15, 17], 20)
    times = pd.Timestamp("2000-01-06", tz="UTC") + pd.to_timedelta(np.r_[0, gaps.cumsum()], "D")
    series = pd.Series(np.linspace(20.0, 40.0, len(times)), index=times)
    step = infer_bucket(times)
    values, absent, dropped = fit_to_grid(series, step, how="mean")
    assert step == pd.Timedelta(days=14)
    assert (absent, int(values.isna().sum())) == (0, 0)
    assert dropped == 5 and len(values) == len(series)


def test_a_bucket_given_too_narrow_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _events(tmp_path / "events.csv", 200, 2 * 86400.0)
    code, _, err = run(["detect-series", str(path), "--bucket", "1ms"], capsys)
    assert code == 64
    assert (
        "The bucket 1ms makes 171844665 buckets of 200 rows (at most 100000)" in err
        and "give a wider --bucket" in err
    )


def _gap_counts(path: Path) -> Path:
    """5-minute Poisson(10) counts over 5 days with 12 hours of rows absent."""
    rng = np.random.default_rng(7)
    times = pd.date_range("2026-02-01", periods=5 * 288, freq="5min")
    counts = rng.poisson(10.0, len(times))
    keep = (times < "2026-02-03 00:00") | (times >= "2026-02-03 12:00")
    frame = pd.DataFrame({"timestamp": times.strftime("%Y-%m-%d %H:%M"), "value": counts})
    frame[keep].to_csv(path, index=False)
    return path


@pytest.mark.parametrize("mode", ["online", "offline"])
def test_a_hole_in_a_count_series_is_missing_not_zeros(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    """The 144 absent buckets were zeros: after them the counts looked like a surge (4
    incidents) and the output said nothing was missing."""
    path = _gap_counts(tmp_path / "gap.csv")
    code, found, err = run(["detect-series", str(path), "--mode", mode], capsys)
    assert code == 0, err
    assert found is not None and found["incidents"] == []
    handled = "carried forward" if mode == "online" else "interpolated"
    assert found["missing"] == {
        "values": 144,
        "first": "2026-02-03T00:00:00Z",
        "handled": handled,
    }
    assert "144 bucket(s) of 5min with no rows, between rows far apart, are missing" in err


def test_a_sparse_count_series_keeps_its_zeros() -> None:
    """Rows only where the count is above 0 (a quiet service, as score writes series.csv):
    the empty buckets are zeros; a long silence at a busy rate would be a hole."""
    rng = np.random.default_rng(2)
    times = pd.date_range("2026-02-01", periods=2000, freq="5min", tz="UTC")
    counts = pd.Series(rng.poisson(0.4, len(times)).astype(float), index=times)
    sparse = counts[counts > 0]
    values, absent, dropped = fit_to_grid(sparse, pd.Timedelta("5min"), how="sum")
    assert (absent, dropped) == (0, 0)
    assert values.tolist() == counts.loc[sparse.index[0] : sparse.index[-1]].tolist()
    # the same rows with explicit zeros and one absent hour: the hour is missing
    written = counts.drop(counts.index[100:112])
    values, absent, _ = fit_to_grid(written, pd.Timedelta("5min"), how="sum")
    assert absent == 12 and int(values.isna().sum()) == 12
