"""`detect-series` on any numeric series: models, negatives, missing values, long series,
the command equal to the library, and ``POST /v1/detect`` over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from support import free_port

from detector.changepoint.robust import despike
from detector.changepoint.segment import Segmenter
from detector.cli.main import main
from detector.incidents.detect import detect_series


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def _latency(tmp_path: Path) -> tuple[Path, np.ndarray, pd.DatetimeIndex]:
    """A metric that crosses zero, with two empty cells (missing values)."""
    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(-2.0, 1.0, 150), rng.normal(3.0, 1.0, 60), rng.normal(-2.0, 1.0, 90)]
    index = pd.date_range("2026-03-01", periods=len(x), freq="1min", tz="UTC")
    frame = pd.DataFrame({"t": index.strftime("%Y-%m-%dT%H:%M:%SZ"), "v": x.round(3)})
    frame.loc[[20, 21], "v"] = np.nan
    path = tmp_path / "metric.csv"
    frame.to_csv(path, index=False)
    return path, frame["v"].to_numpy(dtype=float), index


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_long_series_default_finds_the_real_changes_only(seed: int) -> None:
    rng = np.random.default_rng(seed)
    means = rng.integers(0, 5, 10)
    x = np.repeat(means, 10_000) + rng.normal(0, 1, 100_000)
    true = [10_000 * i for i in range(1, 10) if means[i] != means[i - 1]]
    found = Segmenter().fit(x).predict()[:-1]
    assert len(found) == len(true)
    assert max(abs(a - b) for a, b in zip(found, true, strict=True)) <= 25


def test_long_series_keeps_short_bumps() -> None:
    """The wide window alone would smooth 30-point bumps away; the narrow one keeps them."""
    rng = np.random.default_rng(9)
    rate = np.full(100_000, 4.0)
    edges = []
    for k in range(6):
        start = 8_000 + 15_000 * k
        rate[start : start + 30] = 12.0
        edges += [start, start + 30]
    found = Segmenter().fit(rng.poisson(rate).astype(float)).predict()[:-1]
    assert len(found) == 12
    assert sum(any(abs(e - b) <= 5 for b in found) for e in edges) == 11


def test_long_flat_noise_has_no_change() -> None:
    x = np.random.default_rng(5).normal(0, 1, 100_000)
    assert Segmenter().fit(x).predict() == [100_000]


def test_offline_command_equals_the_library_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, values, index = _latency(tmp_path)
    code, out, err = run(
        ["detect-series", str(path), "--time-col", "t", "--value-col", "v", "--mode", "offline"],
        capsys,
    )
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["model"] == "robust"
    assert result["missing"] == {
        "values": 2,
        "first": "2026-03-01T00:20:00Z",
        "handled": "interpolated",
    }
    filled = pd.Series(values).interpolate().to_numpy()
    bkps = Segmenter().fit(despike(filled)).predict()
    assert result["change_points"] == [index[b].strftime("%Y-%m-%dT%H:%M:%SZ") for b in bkps[:-1]]
    assert result["change_points"] == ["2026-03-01T02:30:00Z", "2026-03-01T03:30:00Z"]
    (inc,) = result["incidents"]
    assert (inc["started_at"], inc["resolved_at"]) == tuple(result["change_points"])
    assert inc["baseline_posts"] < 0 < inc["peak_posts"]


def test_online_metric_skips_missing_values_and_finds_the_shift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, _ = _latency(tmp_path)
    args = ["detect-series", str(path), "--time-col", "t", "--value-col", "v"]
    code, out, _ = run([*args, "--model", "normal"], capsys)
    result = json.loads(out)
    assert code == 0 and result["model"] == "normal"
    assert result["missing"]["handled"] == "skipped"
    (inc,) = result["incidents"]
    assert inc["started_at"] == "2026-03-01T02:30:00Z"
    assert inc["detected_at"] == "2026-03-01T02:30:00Z"
    assert inc["resolved_at"] == "2026-03-01T03:29:00Z"  # one bucket early: the hold rule


def test_poisson_refuses_negative_values_with_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, _ = _latency(tmp_path)
    args = ["detect-series", str(path), "--time-col", "t", "--value-col", "v"]
    code, _, err = run([*args, "--model", "poisson"], capsys)
    assert code == 65
    assert "non-negative for the 'poisson' model" in err and "use model 'normal'" in err


def test_counts_with_a_gap_carry_the_last_value_forward_online() -> None:
    index = pd.date_range("2026-01-05", periods=600, freq="5min", tz="UTC")
    rate = np.where((np.arange(600) >= 400) & (np.arange(600) < 430), 24.0, 3.0)
    counts = pd.Series(np.random.default_rng(3).poisson(rate), index=index, dtype=float)
    counts.iloc[[100, 101, 102]] = np.nan
    found = detect_series(counts)
    assert found.model == "poisson"
    assert found.missing == {
        "values": 3,
        "first": "2026-01-05T08:20:00Z",
        "handled": "carried forward",
    }
    assert [i.started_at for i in found.incidents] == [index[400]]


# -- POST /v1/detect over HTTP ------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from detector.api.app import create_app
    from detector.api.settings import Settings

    db = tmp_path_factory.mktemp("detect") / "state.db"
    app = create_app(Settings(OUTAGE_DB=str(db)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_api_detect_metric_with_missing_values(api: str, tmp_path: Path) -> None:
    _, values, index = _latency(tmp_path)
    series = [
        {"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": None if np.isnan(v) else v}
        for t, v in zip(index, values, strict=True)
    ]
    with httpx.Client(base_url=api, timeout=60) as c:
        online = c.post("/v1/detect", json={"series": series}).json()
        offline = c.post("/v1/detect", json={"series": series, "mode": "offline"}).json()
    assert online["model"] == offline["model"] == "robust"
    assert online["missing"]["handled"] == "skipped"
    assert offline["change_points"] == ["2026-03-01T02:30:00Z", "2026-03-01T03:30:00Z"]
    assert offline["missing"] == {
        "values": 2,
        "first": "2026-03-01T00:20:00Z",
        "handled": "interpolated",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"bucket": "1000000000D"}, "'bucket' must be at most 366 days"),
        ({"bucket": "soon"}, "'bucket' must be a duration like '5min'"),
        ({"model": "poisson"}, "non-negative for the 'poisson' model"),
        ({"model": "gamma"}, "model"),
    ],
)
def test_api_detect_says_what_is_wrong(api: str, body: dict, message: str) -> None:
    series = [{"time": f"2026-03-01T00:0{i}:00Z", "value": -1.5 + i} for i in range(5)]
    with httpx.Client(base_url=api, timeout=60) as c:
        answer = c.post("/v1/detect", json={"series": series, **body})
    assert answer.status_code == 422, answer.text
    assert message in answer.text


def test_api_detect_judges_a_monthly_series_per_month(api: str) -> None:
    """Months are 28-31 days: without a bucket the change lands on the first of its month,
    as ``detect-series`` says (tests/test_detect_series_calendar.py); a fixed 31-day
    bucket drifts three months early."""
    rng = np.random.default_rng(0)
    months = pd.period_range("1990-01", periods=72, freq="M")
    values = np.round(np.where(np.arange(72) < 40, 1000.0, 1400.0) + rng.normal(0, 40, 72))
    series = [
        {"time": f"{m}-01T00:00:00Z", "value": int(v)}
        for m, v in zip(months.strftime("%Y-%m"), values, strict=True)
    ]
    with httpx.Client(base_url=api, timeout=60) as c:
        monthly = c.post("/v1/detect", json={"series": series, "mode": "offline"})
        fixed = c.post("/v1/detect", json={"series": series, "mode": "offline", "bucket": "31D"})
    assert monthly.status_code == 200, monthly.text
    assert monthly.json()["change_points"] == ["1993-05-01T00:00:00Z"]
    assert fixed.json()["change_points"] == ["1993-02-01T00:00:00Z"]


def _hourly_tweets(seed: int = 0) -> pd.Series:
    """Four weeks of hourly tweet counts with a daily rhythm (100 to 400 an hour) and a
    three-hour 2.5x outage; gamma-Poisson noise, so the variance is about 10x the mean."""
    index = pd.date_range("2026-02-02", periods=24 * 28, freq="1h", tz="UTC")
    hour = index.hour.to_numpy()
    rate = 250.0 + 150.0 * np.sin(2 * np.pi * (hour - 9) / 24)
    at = 24 * 24 + 14
    rate[at : at + 3] *= 2.5
    rng = np.random.default_rng(seed)
    return pd.Series(rng.poisson(rng.gamma(30.0, rate / 30.0)), index=index, dtype=float)


def test_hourly_counts_are_read_as_counts_and_their_outage_is_raised_in_its_first_hour() -> None:
    counts = _hourly_tweets(seed=1)
    found = detect_series(counts)
    assert found.model == "poisson"  # dispersion 8.8: over 5, under the sub-daily 20
    at = counts.index[24 * 24 + 14]
    assert [(i.started_at, i.detected_at) for i in found.incidents] == [
        (pd.Timestamp("2026-02-02 13:00", tz="UTC"), pd.Timestamp("2026-02-03 00:00", tz="UTC")),
        (at, at),
    ]
    # the robust model has no daily rhythm: it raises the afternoon peaks day after day
    assert len(detect_series(counts, model="robust").incidents) == 31


def test_the_same_integers_on_a_daily_index_are_a_metric_not_counts() -> None:
    # TCPD-like integer series (a day apart, or coarser) keep the strict count test
    values = _hourly_tweets(seed=1).to_numpy()
    daily = pd.date_range("2000-01-01", periods=len(values), freq="1D", tz="UTC")
    assert detect_series(pd.Series(values, index=daily)).model == "robust"


def test_an_integer_metric_at_minute_steps_stays_a_metric() -> None:
    # latency in whole ms (mean 200, sd 40: variance 8x the mean) with a 2-hour rise: the
    # looser count test is for half-hour and coarser buckets only
    rng = np.random.default_rng(2)
    index = pd.date_range("2026-03-02", periods=24 * 60, freq="1min", tz="UTC")
    x = np.round(rng.normal(200.0, 40.0, len(index)))
    x[900:1020] += 120.0
    found = detect_series(pd.Series(x, index=index))
    assert found.model == "robust"
    assert [i.started_at for i in found.incidents] == [index[902]]  # 2 minutes after
