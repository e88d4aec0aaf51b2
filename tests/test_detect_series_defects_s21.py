"""`detect-series` defects a tester reproduced (session 21), each pinned by a test.

1. ``--out`` naming the input (or a link to it) overwrote the series: refused, exit 64.
2. One count of 1e21 crashed the Poisson scan (``math domain error``, exit 70).
3. A value of 1e300 with ``--model normal`` wrote ``"score": Infinity`` (not JSON) and
   leaked numpy overflow warnings; such values are refused, naming the row (exit 65).
4. ``--tz`` piled the rows of a daylight saving time gap (02:00-02:55, times that do not
   exist there) into the 03:00 bucket, a false major incident blamed on duplicates: the
   rows are refused, naming the gap.
5. ``--mode offline`` on counts whose level moves all the time (NAB's UPS) found no change
   point: the pilot penalty's noise scale counted the level shifts as noise.
6. ``--bucket`` finer than the series' spacing copied each count into the empty buckets
   between rows (5x the volume): refused, exit 64.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import run_cli as run

from detector.changepoint.scan import rise_evidence


def _counts(path: Path, n: int = 600, *, freq: str = "5min", seed: int = 0) -> Path:
    times = pd.date_range("2026-01-05", periods=n, freq=freq, tz="UTC")
    values = np.random.default_rng(seed).poisson(3.0, n).astype(float)
    frame = pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": values})
    frame.to_csv(path, index=False)
    return path


def _strict(text: str) -> dict:
    """*text* parsed as strict JSON (NaN, Infinity refused)."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


# 1. an input is never an output -------------------------------------------------------


def test_out_naming_the_input_is_refused_and_the_input_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = _counts(tmp_path / "victim.csv", 100)
    before = series.read_bytes()
    code, out, err = run(["detect-series", str(series), "--out", str(series)], capsys)
    assert code == 64
    assert "is also an output of this run" in err and out == ""
    assert series.read_bytes() == before


def test_out_linking_to_the_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = _counts(tmp_path / "victim.csv", 100)
    before = series.read_bytes()
    (tmp_path / "link.json").symlink_to(series)
    os.link(series, tmp_path / "hard.json")
    for out in ("link.json", "hard.json"):
        code, _, err = run(["detect-series", str(series), "--out", str(tmp_path / out)], capsys)
        assert code == 64, err
    assert series.read_bytes() == before


def test_out_elsewhere_is_still_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    series = _counts(tmp_path / "series.csv", 100)
    code, _, _ = run(["detect-series", str(series), "--out", str(tmp_path / "r.json")], capsys)
    assert code == 0
    assert "incidents" in _strict((tmp_path / "r.json").read_text())


# 2. huge counts -----------------------------------------------------------------------


def test_rise_evidence_of_a_count_dwarfing_its_history_is_finite() -> None:
    for x in (1e17, 1e21, 1e50, 1e100):
        d = rise_evidence(x, 5.0, 1e4, rho=3.0)
        assert math.isfinite(d) and d > 0
    # where 1 - p is representable the answer is the one it always was
    p0, p = 15.0 / 10015.0, 1e6 / (1e6 + 1e4)
    expected = 1e6 * math.log(p / p0) + 1e4 * math.log((1.0 - p) / (1.0 - p0))
    assert rise_evidence(1e6, 5.0, 1e4, rho=3.0) == expected


@pytest.mark.parametrize("mode", ["online", "offline"])
def test_one_count_of_1e21_is_judged_not_an_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    path = _counts(tmp_path / "spike.csv")
    frame = pd.read_csv(path)
    frame.loc[400, "value"] = 1e21
    frame.to_csv(path, index=False)
    code, out, err = run(["detect-series", str(path), "--mode", mode], capsys)
    assert code == 0, err
    result = _strict(out)
    assert result["model"] == "poisson"
    if mode == "online":
        assert any(i["peak_posts"] == 1e21 for i in result["incidents"])


# 3. values too large for the arithmetic -------------------------------------------------


@pytest.mark.parametrize("mode", ["online", "offline"])
def test_a_value_of_1e300_is_refused_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    path = _counts(tmp_path / "metric.csv")
    frame = pd.read_csv(path)
    frame["value"] = frame["value"] * 1.5 + 0.1
    frame.loc[400, "value"] = 1e300
    frame.to_csv(path, index=False)
    args = ["detect-series", str(path), "--model", "normal", "--mode", mode]
    code, out, err = run(args, capsys)
    assert code == 65 and out == ""
    assert "line 402" in err and "too large" in err
    assert "Warning" not in err and len(err.strip().splitlines()) <= 2  # the columns, the error


def test_large_values_below_the_limit_give_strict_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _counts(tmp_path / "metric.csv")
    frame = pd.read_csv(path)
    frame["value"] = frame["value"] * 1.5 + 0.1
    frame.loc[400, "value"] = 1e99
    frame.to_csv(path, index=False)
    for mode in ("online", "offline"):
        code, out, err = run(
            ["detect-series", str(path), "--model", "normal", "--mode", mode], capsys
        )
        assert code == 0 and "Warning" not in err
        _strict(out)


def test_a_result_that_is_not_json_is_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import detector.cli.detect_series as cli

    monkeypatch.setattr(cli, "run", lambda *a, **k: {"incidents": [], "score": math.inf})
    code, out, _ = run(["detect-series", str(_counts(tmp_path / "s.csv", 50))], capsys)
    assert code != 0 and "Infinity" not in out


# 4. times in a daylight saving time gap ---------------------------------------------------


def _wall_clock(path: Path, start: str, end: str) -> Path:
    """Flat Poisson(50) counts every 5 minutes, times written naively, gaps included."""
    times = pd.date_range(start, end, freq="5min", inclusive="left")
    counts = np.random.default_rng(0).poisson(50, len(times))
    frame = pd.DataFrame({"timestamp": times.strftime("%Y-%m-%d %H:%M:%S"), "value": counts})
    frame.to_csv(path, index=False)
    return path


def test_times_in_a_dst_gap_are_refused_naming_the_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _wall_clock(tmp_path / "flat.csv", "2015-03-07 12:00", "2015-03-08 12:00")
    code, out, err = run(["detect-series", str(path), "--tz", "America/New_York"], capsys)
    assert code == 65 and out == ""
    line = 2 + 14 * 12  # 02:00, 14 hours after the first row
    assert (
        f"line {line}: 'timestamp' '2015-03-08 02:00:00' does not exist in America/New_York" in err
    )
    assert "skip from 02:00 to 03:00 on 2015-03-08" in err and "--tz Etc/GMT+5" in err
    assert "12 row(s)" in err and "share a time" not in err


def test_the_gap_free_reading_is_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same naive clock read in the zone without daylight saving time it keeps, and a
    real New York wall clock (no 02:xx on the day, 01:xx twice in autumn): no incident."""
    flat = _wall_clock(tmp_path / "flat.csv", "2015-03-07 12:00", "2015-03-08 12:00")
    code, out, err = run(["detect-series", str(flat), "--tz", "Etc/GMT+5"], capsys)
    assert code == 0 and _strict(out)["incidents"] == []
    for day in ("2015-03-08", "2015-11-01"):
        times = pd.date_range(f"{day} 00:00", periods=288, freq="5min", tz="America/New_York")
        counts = np.random.default_rng(1).poisson(50, len(times))
        text = times.tz_localize(None).strftime("%Y-%m-%d %H:%M:%S")
        wall = tmp_path / f"wall-{day}.csv"
        pd.DataFrame({"timestamp": text, "value": counts}).to_csv(wall, index=False)
        code, out, err = run(["detect-series", str(wall), "--tz", "America/New_York"], capsys)
        assert code == 0, err
        assert _strict(out)["incidents"] == [] and "share a time" not in err


def test_a_half_hour_gap_is_named_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _wall_clock(tmp_path / "lh.csv", "2015-10-03 20:00", "2015-10-04 06:00")
    code, _, err = run(["detect-series", str(path), "--tz", "Australia/Lord_Howe"], capsys)
    assert code == 65
    assert "skip from 02:00 to 02:30 on 2015-10-04" in err and "6 row(s)" in err


# 5. offline counts whose level moves all the time ------------------------------------------


def _restless(days: int = 7, seed: int = 1) -> tuple[pd.Series, np.ndarray]:
    """5-minute Poisson counts whose level jumps every 1-3 hours to anywhere between 0.5
    and 30 a bucket (NAB's Twitter_volume_UPS moves so), and the positions of the jumps."""
    rng = np.random.default_rng(seed)
    n = days * 288
    level = np.empty(n)
    starts = []
    k = 0
    while k < n:
        starts.append(k)
        length = int(rng.integers(12, 36))
        level[k : k + length] = np.exp(rng.uniform(np.log(0.5), np.log(30.0)))
        k += length
    index = pd.date_range("2015-03-01", periods=n, freq="5min", tz="UTC")
    return pd.Series(rng.poisson(level).astype(float), index=index), np.array(starts[1:])


def test_offline_counts_with_a_restless_level_find_its_changes() -> None:
    """The pilot penalty's noise scale was the dispersion around one rate, 8x the noise
    here: 7 change points of 89; now about half of them, nearly all at a true jump."""
    from detector.incidents.detect import detect_series

    series, jumps = _restless()
    found = detect_series(series, mode="offline", model="poisson")
    at = series.index.get_indexer(found.change_points)
    assert len(at) >= 30
    near = np.abs(at[:, None] - jumps[None, :]).min(axis=1) <= 3
    assert near.mean() >= 0.8


def test_offline_nab_ups_has_change_points(shared_data: Path) -> None:
    from detector.incidents.detect import regular_detection

    path = shared_data / "series" / "nab_realtweets" / "Twitter_volume_UPS.csv"
    frame = pd.read_csv(path, parse_dates=["timestamp"]).iloc[:2000]
    series = pd.Series(
        frame["value"].to_numpy(float), index=frame["timestamp"].dt.tz_localize("UTC")
    )
    found = regular_detection(series, mode="offline")
    assert len(found.change_points) >= 10 and found.incidents


# 6. a bucket finer than the data ------------------------------------------------------------


def test_a_bucket_finer_than_the_spacing_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _counts(tmp_path / "five.csv")
    code, out, err = run(["detect-series", str(path), "--bucket", "1min"], capsys)
    assert code == 64 and out == ""
    assert "--bucket 1min is finer than the series' own spacing (5min)" in err
    code, out, _ = run(["detect-series", str(path), "--bucket", "5min"], capsys)
    assert code == 0 and _strict(out)["missing"]["values"] == 0
    code, out, _ = run(["detect-series", str(path), "--bucket", "15min"], capsys)
    assert code == 0


def test_irregular_times_still_take_a_fine_bucket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows at random times have no spacing a bucket could split: 1-minute buckets of
    events about 3 minutes apart stay allowed."""
    rng = np.random.default_rng(2)
    times = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(
        np.cumsum(rng.exponential(180.0, 300)), unit="s"
    )
    frame = pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "value": 1})
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(["detect-series", str(path), "--bucket", "1min"], capsys)
    assert code == 0, err
