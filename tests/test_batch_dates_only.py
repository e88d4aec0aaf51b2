"""An export whose times are dates without a time of day is judged per day.

Such exports are common (complaint registers, app-store review dumps: ``22-04-2015``).
Every post of a day then sits in the same minute; judged minute by minute, each day
would be one burst of posts and no outage could be told from it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.batch.detection import dates_only, detect_services
from detector.cli.main import main

OUTAGE = "comcast internet is down again, no connection since this morning"
OTHER = "comcast billing charged me twice this month and support was rude"


def _daily_export(tmp_path: Path) -> tuple[Path, str]:
    """40 days of a complaint register: 3 outage posts and 12 others a day, then a day
    with 40 outage posts (the rest of the traffic as usual)."""
    rng = np.random.default_rng(5)
    rows = []
    days = pd.date_range("2015-04-01", periods=40, freq="1D")
    for i, day in enumerate(days):
        outages = 40 if i == 30 else int(rng.poisson(3))
        texts = [OUTAGE] * outages + [OTHER] * int(rng.poisson(12))
        rows += [(f"{i}-{j}", day.strftime("%d-%m-%Y"), t) for j, t in enumerate(texts)]
    frame = pd.DataFrame(rows, columns=["Ticket", "Date", "Complaint"])
    path = tmp_path / "register.csv"
    frame.to_csv(path, index=False)
    return path, days[30].strftime("%Y-%m-%dT00:00:00Z")


def _score(path: Path, out: Path, *extra: str) -> int | str | None:
    """``score`` the register through the command line; its exit code."""
    args = ["score", str(path), "--text-col", "Complaint", "--time-col", "Date"]
    with pytest.raises(SystemExit) as stop:
        main([*args, "--id-col", "Ticket", "--out", str(out), *extra])
    return stop.value.code


def test_a_register_of_dates_is_judged_per_day_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, outage_day = _daily_export(tmp_path)
    out = tmp_path / "out"
    code = _score(path, out)
    assert code in (0, None)
    err = capsys.readouterr().err
    assert "times carry no time of day (dates only): they were judged per day" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bucket"] == "1D"
    incidents = json.loads((out / "incidents.json").read_text())["incidents"]
    assert [(i["service"], i["started_at"], i["detected_at"]) for i in incidents] == [
        ("Comcast", outage_day, outage_day)
    ]
    series = pd.read_csv(out / "series.csv")
    assert series["bucket_start"].str.endswith("T00:00:00Z").all()
    assert series.groupby("service").size().to_dict() == {"Comcast": 40, "all services": 40}


def test_times_of_day_or_a_single_day_are_not_dates_only() -> None:
    days = pd.to_datetime(["2015-06-23", "2015-06-24", "2015-06-25"], utc=True)
    assert dates_only(pd.DataFrame({"bucket_start": days}))
    assert dates_only(pd.DataFrame({"bucket_start": days + pd.Timedelta("8h")}))  # a zone
    assert not dates_only(pd.DataFrame({"bucket_start": days[:1]}))
    mixed = days.append(pd.DatetimeIndex(["2015-06-25 13:05"], tz="UTC"))
    assert not dates_only(pd.DataFrame({"bucket_start": mixed}))
    assert not dates_only(pd.DataFrame({"bucket_start": pd.to_datetime([], utc=True)}))


def test_the_report_charts_weeks_around_a_day_long_incident(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a 24-hour chart of daily buckets held two points: now 24 buckets around the incident
    path, _ = _daily_export(tmp_path)
    out = tmp_path / "out"
    _score(path, out, "-q")
    capsys.readouterr()
    page = (out / "report.html").read_text()
    section = page[page.index('id="incident-1"') :]
    section = section[: section.index("</section>")]
    baseline = section[section.index("<polyline points=") :].split('"')[1]
    assert len(baseline.split()) == 24


def test_detection_reads_per_minute_counts_in_any_time_unit() -> None:
    # pandas may hand over microsecond timestamps: the minutes are the same minutes
    index = pd.date_range("2026-01-05", periods=3 * 1440, freq="1min", tz="UTC")
    counts = np.random.default_rng(1).poisson(1.0, len(index)).astype(float)
    counts[3000:3060] += 8.0
    sparse = pd.DataFrame(
        {"service": "Outlook", "bucket_start": index, "outage_posts": counts, "all_posts": counts}
    )
    sparse = sparse[sparse["outage_posts"] > 0].reset_index(drop=True)
    found = {}
    for unit in ("ns", "us", "s"):
        frame = sparse.assign(bucket_start=sparse["bucket_start"].dt.as_unit(unit))
        incidents, _ = detect_services(frame, bucket="5min")
        found[unit] = [(i.started_at, i.detected_at) for i in incidents]
    assert found["ns"] == found["us"] == found["s"]
    assert [start for start, _ in found["ns"]] == [index[3000]]


def test_judging_advances_its_progress_once_a_service() -> None:
    from detector.batch.progress import RowProgress

    index = pd.date_range("2026-01-05", periods=2 * 1440, freq="1min", tz="UTC")
    counts = np.random.default_rng(2).poisson(0.5, len(index)).astype(float)
    frames = [
        pd.DataFrame(
            {"service": name, "bucket_start": index, "outage_posts": counts, "all_posts": counts}
        )
        for name in ("Gmail", "Outlook", "Teams")
    ]
    sparse = pd.concat(frames, ignore_index=True)
    sparse = sparse[sparse["outage_posts"] > 0].reset_index(drop=True)
    with RowProgress("judging", total=3, enabled=False, unit="services") as bar:
        _, series = detect_services(sparse, bucket="5min", progress=bar)
    assert bar.rows == 3
    assert sorted(series["service"].unique()) == ["Gmail", "Outlook", "Teams"]
