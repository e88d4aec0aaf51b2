"""One engine behind every door (session 21): the rules ``detect-series`` got in 9a4dd5a
hold for ``POST /v1/detect`` and for ``score`` too, each pinned by a test.

1. ``POST /v1/detect`` took a value of 1e300 (the normal model answered ``"score": null``,
   an infinite score) and a ``bucket`` finer than the points' spacing (5-minute counts
   copied into 1-minute buckets): both are 422 in ``detect-series``' words, and a
   non-finite number in an answer is an error, not a null.
2. ``score --tz America/New_York`` moved naive times inside the spring-forward gap
   (02:00-02:59 on 2015-03-08) to 03:00, an hour of posts piled into one minute: they are
   quarantined with a reason naming the gap (``detect-series``' words), counted in
   ``rows_quarantined`` and named in summary.json's warnings, on both engines; repeated
   autumn times keep their reading (the first occurrence), and so does a date written
   alone whose midnight is skipped.
3. The API reads a time without an offset as UTC (it takes no zone): a naive 02:30 on a
   New York spring-forward day is 02:30Z, no gap to refuse.

The API runs in a thread and is reached over real HTTP (a fresh database per test); ``score`` and
``detect-series`` run in-process on files in ``tmp_path``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from httpx import Client
from support import real_http
from support import run_cli as cli
from test_api_server import model_ref  # noqa: F401 - the fixture the app loads its model with

from detector.api.app import create_app
from detector.api.settings import Settings
from detector.incidents.limits import finer_bucket_message, too_large_message
from detector.ingest.timestamps import clock_gap


@pytest.fixture
def api(tmp_path: Path, model_ref: str | None) -> Iterator[Client]:  # noqa: F811
    """A fresh server (writes open) on its own database file."""
    app = create_app(Settings(db=str(tmp_path / "state.db"), model=model_ref))
    with real_http(app) as client:
        yield client


def _strict(text: str) -> Any:
    """*text* parsed as strict JSON (NaN, Infinity refused)."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _numbers(value: Any) -> Iterator[Any]:
    """Every leaf of a JSON value."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    else:
        yield value


def _series(n: int = 120, *, freq: str = "5min", seed: int = 0) -> tuple[pd.DatetimeIndex, list]:
    times = pd.date_range("2026-01-05", periods=n, freq=freq, tz="UTC")
    values = np.random.default_rng(seed).poisson(10.0, n).astype(float).tolist()
    return times, values


def _both(
    tmp_path: Path, times: pd.DatetimeIndex, values: list, **body: Any
) -> tuple[Path, dict[str, Any]]:
    """The series as a CSV file for detect-series and as a /v1/detect body."""
    path = tmp_path / "series.csv"
    frame = pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": values})
    frame.to_csv(path, index=False)
    points = [{"time": t.isoformat(), "value": v} for t, v in zip(times, values, strict=True)]
    return path, {"series": points, **body}


# 1. POST /v1/detect refuses what detect-series refuses ---------------------------------


@pytest.mark.parametrize("model", ["normal", "robust", "poisson", "auto"])
def test_a_value_too_large_is_422_in_detect_series_words(
    api: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str
) -> None:
    times, values = _series()
    values[80] = 1e300  # an overflow or a placeholder in an export
    path, body = _both(tmp_path, times, values, model=model)
    answer = api.post("/v1/detect", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == "series[80]: " + too_large_message(
        "value", "1e+300", 1, unit="point"
    )
    code, out, err = cli(["detect-series", str(path), "--model", model], capsys)
    assert code == 65 and out == ""
    assert f"line 82: {too_large_message('value', '1e+300', 1)}" in err


def test_values_up_to_the_limit_give_finite_strict_json(api: Client) -> None:
    times, values = _series()
    values[80] = 1e100
    points = [{"time": t.isoformat(), "value": v} for t, v in zip(times, values, strict=True)]
    for model in ("normal", "robust", "poisson"):
        answer = api.post("/v1/detect", json={"series": points, "model": model})
        assert answer.status_code == 200, answer.text
        leaves = list(_numbers(_strict(answer.text)))
        assert all(math.isfinite(x) for x in leaves if isinstance(x, float))
        assert [i["score"] is not None for i in answer.json()["incidents"]] == [True] * len(
            answer.json()["incidents"]
        )


def test_a_non_finite_number_in_an_answer_is_an_error_not_a_null(
    tmp_path: Path,
    model_ref: str | None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import detector.incidents.detect as detect
    from detector.incidents.incident import Incident

    real = detect.regular_detection

    def infinite(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        assert found.incidents
        monkeypatch.setattr(Incident, "to_dict", lambda self: {"score": math.inf})
        return found

    monkeypatch.setattr(detect, "regular_detection", infinite)
    times, values = _series()
    values[80] = 400.0
    points = [{"time": t.isoformat(), "value": v} for t, v in zip(times, values, strict=True)]
    app = create_app(Settings(db=str(tmp_path / "state.db"), model=model_ref))
    with real_http(app) as client:  # a server error is an answer over HTTP, not raised
        answer = client.post("/v1/detect", json={"series": points})
    assert answer.status_code == 500 and "null" not in answer.text, answer.text


def test_a_bucket_finer_than_the_points_spacing_is_422_in_detect_series_words(
    api: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    times, values = _series()
    values[80] = 400.0
    path, body = _both(tmp_path, times, values, bucket="1min")
    answer = api.post("/v1/detect", json=body)
    assert answer.status_code == 422, answer.text
    spacing = pd.Timedelta("5min")
    want = finer_bucket_message("1min", spacing, name="'bucket'", unit="point")
    assert answer.json()["detail"] == want
    assert "give 'bucket' 5min or wider" in want
    code, _, err = cli(["detect-series", str(path), "--bucket", "1min"], capsys)
    assert code == 64 and finer_bucket_message("1min", spacing) in err
    # the spacing itself or wider: detected as before, the same incidents as the CLI's
    for bucket in ("5min", "15min"):
        answer = api.post("/v1/detect", json={**body, "bucket": bucket})
        assert answer.status_code == 200, answer.text
        code, out, err = cli(["detect-series", str(path), "--bucket", bucket], capsys)
        assert code == 0, err
        mine, theirs = answer.json(), _strict(out)
        assert mine["incidents"] == theirs["incidents"], bucket
        assert mine["change_points"] == theirs["change_points"]


def test_irregular_points_and_an_inferred_bucket_are_left_as_they_were(api: Client) -> None:
    """No regular spacing to split: a bucket finer than the median gap is the bucketing's."""
    rng = np.random.default_rng(3)
    offsets = np.cumsum(rng.integers(1, 20, 150)) * 60
    times = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(offsets, unit="s")
    points = [{"time": t.isoformat(), "value": 1.0} for t in times]
    for bucket in ("1min", None):
        body = {"series": points} | ({"bucket": bucket} if bucket else {})
        answer = api.post("/v1/detect", json=body)
        assert answer.status_code == 200, answer.text


# 2. score: times inside a spring-forward gap are quarantined, naming it -----------------


def _posts(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(
            [("id", "created_at", "text"), *[(i, t, "outlook is down again") for i, t in rows]]
        )
    return path


#: New York, 2015-03-08: clocks skip from 02:00 to 03:00; 2015-11-01: 01:00-01:59 twice.
SPRING = [
    ("a", "2015-03-08 01:30"),
    ("b", "2015-03-08 02:00"),
    ("c", "2015-03-08 02:10"),
    ("d", "2015-03-08 02:30"),
    ("e", "2015-03-08 02:59"),
    ("f", "2015-03-08 03:00"),
    ("g", "2015-03-08T02:30:00-05:00"),  # an offset of its own: not a wall-clock time
    ("h", "2015-11-01 01:30"),  # repeated in autumn: the first occurrence, 05:30Z
    ("i", "1425799800"),  # epoch seconds (2015-03-08 07:30Z): unaffected
]
GAP_IDS = ["b", "c", "d", "e"]


def _score(tmp_path: Path, inputs: list[Path], model: str | None, **options: Any) -> Path:
    from detector.batch.pipeline import ScoreOptions, score

    out = tmp_path / f"out-{options.get('engine', 'local')}"
    score(ScoreOptions(inputs=tuple(inputs), out=out, model=model, **options))
    return out


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_score_quarantines_times_inside_a_spring_forward_gap(
    tmp_path: Path,
    model_ref: str | None,  # noqa: F811
    engine: str,
) -> None:
    export = _posts(tmp_path / "posts.csv", SPRING)
    out = _score(
        tmp_path,
        [export],
        model_ref,
        tz="America/New_York",
        engine=engine,
        workers=1 + (engine == "dask"),
    )
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["rows_read"], summary["rows_scored"], summary["rows_quarantined"]) == (9, 5, 4)
    assert summary["rows_read"] == (
        summary["rows_scored"] + summary["rows_quarantined"] + summary["rows_duplicate"]
    )
    assert summary["lines_quarantined"] == 4
    quarantine = pd.read_csv(out / "quarantine.csv")
    gap = clock_gap(pd.Timestamp("2015-03-08 02:30"), ZoneInfo("America/New_York"))
    assert quarantine["line"].tolist() == [3, 4, 5, 6]
    assert quarantine["reason"].tolist() == [
        f"nonexistent time {t!r}: it does not exist in {gap}" for i, t in SPRING if i in GAP_IDS
    ]
    assert "skip from 02:00 to 03:00 on 2015-03-08" in gap and "--tz Etc/GMT+5" in gap
    (warning,) = [w for w in summary["warnings"] if "daylight saving time gap" in w]
    assert warning.startswith("4 rows quarantined") and "first on line 3" in warning
    posts = pd.read_parquet(out / "posts.parquet").set_index("id")["created_at"]
    got = {i: posts[i].strftime("%Y-%m-%dT%H:%MZ") for i in posts.index}
    assert got == {
        "a": "2015-03-08T06:30Z",
        "f": "2015-03-08T07:00Z",  # alone in its minute, no hour piled onto it
        "g": "2015-03-08T07:30Z",
        "h": "2015-11-01T05:30Z",
        "i": "2015-03-08T07:30Z",
    }


def test_score_and_detect_series_name_the_same_gap(
    tmp_path: Path,
    model_ref: str | None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _score(
        tmp_path, [_posts(tmp_path / "posts.csv", SPRING[:6])], model_ref, tz="America/New_York"
    )
    reason = pd.read_csv(out / "quarantine.csv")["reason"].iloc[0]
    series = tmp_path / "counts.csv"
    times = pd.date_range("2015-03-08 00:00", "2015-03-08 06:00", freq="5min", inclusive="left")
    pd.DataFrame({"ts": times.strftime("%Y-%m-%d %H:%M:%S"), "n": 5}).to_csv(series, index=False)
    code, _, err = cli(["detect-series", str(series), "--tz", "America/New_York"], capsys)
    assert code == 65
    said = err.split(" does not exist in ", 1)[1].split(" (12 row(s)", 1)[0]
    assert reason.endswith(f"does not exist in {said}")


def test_score_quarantines_naive_parquet_timestamps_inside_the_gap(
    tmp_path: Path,
    model_ref: str | None,  # noqa: F811
) -> None:
    naive = pd.to_datetime(["2015-03-08 01:30", "2015-03-08 02:30", "2015-03-08 03:30"])
    export = tmp_path / "posts.parquet"
    frame = pd.DataFrame({"id": ["a", "b", "c"], "created_at": naive, "text": "outlook down"})
    frame.to_parquet(export)
    out = _score(tmp_path, [export], model_ref, tz="America/New_York")
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["rows_scored"], summary["rows_quarantined"]) == (2, 1)
    (reason,) = pd.read_csv(out / "quarantine.csv")["reason"]
    assert reason.startswith("nonexistent time '2015-03-08 02:30:00': it does not exist in")


def test_a_date_alone_whose_midnight_is_skipped_is_still_its_day(
    tmp_path: Path,
    model_ref: str | None,  # noqa: F811
) -> None:
    """Sao Paulo skipped 00:00-00:59 on 2018-11-04: the day is there, its first instant is
    01:00 (03:00Z), as before; a clock time written inside that hour is no time there."""
    rows = [
        ("a", "2018-11-04"),
        ("b", "2018-11-03"),
        ("c", "2018-11-05"),
        ("d", "2018-11-04 00:30"),
    ]
    out = _score(
        tmp_path, [_posts(tmp_path / "posts.csv", rows)], model_ref, tz="America/Sao_Paulo"
    )
    posts = pd.read_parquet(out / "posts.parquet").set_index("id")["created_at"]
    assert posts["a"] == pd.Timestamp("2018-11-04 03:00", tz="UTC")
    (reason,) = pd.read_csv(out / "quarantine.csv")["reason"]
    assert reason.startswith("nonexistent time '2018-11-04 00:30'")
    assert "skip from 00:00 to 01:00 on 2018-11-04" in reason and "--tz Etc/GMT+3" in reason


def test_without_tz_or_in_a_zone_without_the_gap_nothing_is_quarantined(
    tmp_path: Path,
    model_ref: str | None,  # noqa: F811
) -> None:
    export = _posts(tmp_path / "posts.csv", SPRING)
    for tz in (None, "Etc/GMT+5"):
        out = _score(tmp_path / str(tz).replace("/", "-"), [export], model_ref, tz=tz)
        summary = json.loads((out / "summary.json").read_text())
        assert (summary["rows_scored"], summary["rows_quarantined"]) == (9, 0), tz


# 3. the API takes no zone: naive times are UTC, with no gap -------------------------------


def test_the_api_reads_a_naive_post_time_as_utc_with_no_gap(api: Client) -> None:
    answer = api.post(
        "/v1/posts",
        json={
            "posts": [{"id": "p", "text": "outlook is down", "created_at": "2015-03-08T02:30:00"}]
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1
    rows = api.get(
        "/v1/series", params={"since": "2015-03-08T02:29:00Z", "until": "2015-03-08T02:31:00Z"}
    ).json()["rows"]
    assert [(r["bucket_start"], r["all_posts"]) for r in rows if r["all_posts"]] == [
        ("2015-03-08T02:30:00Z", 1)
    ]
