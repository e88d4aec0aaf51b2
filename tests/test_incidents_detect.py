"""detect_series: incidents, change points and status on seeded series, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.errors import DataError, UsageError
from detector.incidents.detect import Detection, detect_series, infer_bucket, regularize

START = pd.Timestamp("2026-01-05", tz="UTC")


def _series(seed: int, base: float = 3.0, rise: float = 8.0, n: int = 600) -> pd.Series:
    index = pd.date_range(START, periods=n, freq="5min")
    rate = np.full(n, base)
    rate[400:430] *= rise  # 2.5 hours of outage from bucket 400 (Jan 6, 09:20)
    return pd.Series(np.random.default_rng(seed).poisson(rate), index=index, dtype=float)


def test_online_golden() -> None:
    found = detect_series(_series(0), service="Outlook")
    assert isinstance(found, Detection)
    (inc,) = found.incidents
    out = inc.to_dict()
    # fields set here (the alarm's own timing and score belong to the online detector)
    assert {k: out[k] for k in ("service", "status", "started_at", "peak_at", "severity")} == {
        "service": "Outlook",
        "status": "resolved",
        "started_at": "2026-01-06T09:20:00Z",
        "peak_at": "2026-01-06T09:30:00Z",
        "severity": "major",
    }
    assert out["peak_posts"] == 32.0
    assert 2.0 <= out["baseline_posts"] <= 4.0  # the baseline's own value at onset
    assert (out["symptoms"], out["top_terms"], out["sample_posts"], out["related"]) == (
        {},
        [],
        [],
        [],
    )
    assert inc.started_at <= inc.detected_at <= inc.started_at + pd.Timedelta("30min")
    assert pd.Timestamp("2026-01-06T11:50Z") <= inc.resolved_at <= pd.Timestamp("2026-01-06T13:00Z")
    assert inc.score > 0
    assert found.change_points[0] == inc.started_at
    assert found.status[inc.detected_at] == "outage"
    assert found.status.iloc[:300].eq("ok").all()
    assert len(found.baseline) == len(found.status) == 600


def test_online_is_causal() -> None:
    """What is decided up to a bucket does not change when later data changes."""
    full = detect_series(_series(1))
    cut = _series(1).iloc[:410]
    early = detect_series(cut)
    assert [i.started_at for i in early.incidents] == [i.started_at for i in full.incidents]
    assert [i.detected_at for i in early.incidents] == [i.detected_at for i in full.incidents]
    assert early.incidents[-1].status == "open" and early.incidents[-1].resolved_at is None
    assert early.baseline.equals(full.baseline.iloc[:410])


def test_offline_golden() -> None:
    found = detect_series(_series(0), mode="offline", service="Outlook")
    assert [t.isoformat() for t in found.change_points] == [
        "2026-01-06T09:20:00+00:00",
        "2026-01-06T11:50:00+00:00",
    ]
    (inc,) = found.incidents
    assert (inc.started_at, inc.resolved_at, inc.status) == (
        pd.Timestamp("2026-01-06T09:20Z"),
        pd.Timestamp("2026-01-06T11:50Z"),
        "resolved",
    )
    assert (found.status == "outage").sum() == 30


@pytest.mark.parametrize("mode", ["online", "offline"])
def test_no_incident_on_flat_series(mode: str) -> None:
    for seed in range(3):
        index = pd.date_range(START, periods=2000, freq="5min")
        flat = pd.Series(np.random.default_rng(seed).poisson(4.0, 2000), index=index, dtype=float)
        assert detect_series(flat, mode=mode).incidents == []


@pytest.mark.parametrize("mode", ["online", "offline"])
def test_constant_and_one_point(mode: str) -> None:
    index = pd.date_range(START, periods=100, freq="5min")
    assert detect_series(pd.Series(5.0, index=index), mode=mode).incidents == []
    one = detect_series(pd.Series([3.0], index=index[:1]), mode=mode)
    assert (one.incidents, one.change_points, len(one.baseline)) == ([], [], 1)


def test_edge_case_errors() -> None:
    index = pd.date_range(START, periods=3, freq="5min")
    with pytest.raises(DataError, match="counts is empty"):
        detect_series(pd.Series([], index=index[:0], dtype=float))
    with pytest.raises(DataError, match="every value is missing"):
        detect_series(pd.Series([np.nan, np.nan, np.nan], index=index))
    with pytest.raises(
        DataError,
        match="non-negative for the 'poisson' model; got -1 at 2026-01-05T00:10:00Z "
        r"\(use model 'normal' or 'robust'",
    ):
        detect_series(pd.Series([1.0, 2.0, -1.0], index=index), model="poisson")
    with pytest.raises(UsageError, match="'model' parameter must be one of .* Got 'gamma'"):
        detect_series(pd.Series([1.0, 2.0, 3.0], index=index), model="gamma")
    with pytest.raises(DataError, match="DatetimeIndex"):
        detect_series(pd.Series([1.0, 2.0]))
    with pytest.raises(UsageError, match="'mode' parameter must be one of .* Got 'batch'"):
        detect_series(pd.Series([1.0, 2.0, 3.0], index=index), mode="batch")
    with pytest.raises(UsageError, match="'bucket' parameter must be a fixed pandas offset"):
        detect_series(pd.Series([1.0, 2.0, 3.0], index=index), bucket="soon")


@pytest.mark.parametrize("mode", ["online", "offline"])
def test_totals_surge_is_not_an_outage(mode: str) -> None:
    """Complaints rise 4x, but so do all posts (a football match): no incident."""
    index = pd.date_range(START, periods=600, freq="5min")
    rng = np.random.default_rng(0)
    rate = np.full(600, 3.0)
    rate[400:430] *= 4
    counts = pd.Series(rng.poisson(rate), index=index, dtype=float)
    totals = counts + pd.Series(rng.poisson(rate * 11), index=index, dtype=float)
    assert len(detect_series(counts, mode=mode).incidents) == 1
    assert detect_series(counts, totals=totals, mode=mode).incidents == []


def test_regularize_and_infer_bucket() -> None:
    idx = pd.DatetimeIndex(["2026-01-01 00:00", "2026-01-01 00:02", "2026-01-01 00:20"], tz="UTC")
    assert infer_bucket(idx) == pd.Timedelta("2min")
    summed = regularize(pd.Series([1.0, 2.0, 5.0], index=idx), "10min")
    assert summed.tolist() == [3.0, 0.0, 5.0]
    assert str(summed.index.tz) == "UTC"


def test_to_dict_shape() -> None:
    out = detect_series(_series(0), mode="offline").to_dict()
    assert sorted(out) == ["change_points", "incidents", "missing", "model"]
    assert out["change_points"] == ["2026-01-06T09:20:00Z", "2026-01-06T11:50:00Z"]
