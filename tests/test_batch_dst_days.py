"""A dates-only export read in a zone with daylight saving time (``--tz``) is judged by
the zone's calendar days: each day's bucket starts at that day's midnight, 05:00Z in
New York's winter and 04:00Z in its summer, and a 23- or 25-hour day is one value.

Before: one fixed time of day, the earlier of the two, so every winter bucket started an
hour early (04:00Z, 23:00 the evening before in New York).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from detector.cli.main import main


def _score(path: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["score", str(path), "--out", str(out), "-q", *extra])
    assert stop.value.code in (0, None), capsys.readouterr().err


def test_winter_and_summer_days_start_at_the_zones_midnight(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = tmp_path / "d.csv", tmp_path / "out"
    path.write_text(
        "id,text,date\n1,outlook is down,04-01-2015\n2,outlook down again,05-01-2015\n"
        "3,outlook down,06-07-2015\n4,outlook is down,07-07-2015\n"
    )
    _score(path, out, capsys, "--tz", "America/New_York")
    assert (out / "series.csv").read_text().splitlines() == [
        "service,bucket_start,outage_posts,all_posts,baseline,warming_up",
        *[
            f"{service},{day},1,1,1.0,False"
            for service in ("all services", "Outlook")
            for day in (
                "2015-01-04T05:00:00Z",
                "2015-01-05T05:00:00Z",
                "2015-07-06T04:00:00Z",
                "2015-07-07T04:00:00Z",
            )
        ],
    ]


def test_the_25_hour_day_is_one_day_and_incidents_start_at_midnight(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 30 days around the end of summer time (1 November 2015, a 25-hour day in New
    # York): 3 outage posts a day, 40 on 5 November
    days = pd.date_range("2015-10-15", periods=30, freq="1D")
    rows = [
        (f"{i}-{j}", day.strftime("%d-%m-%Y"), "comcast internet is down again, no connection")
        for i, day in enumerate(days)
        for j in range(40 if day == pd.Timestamp("2015-11-05") else 3)
    ]
    path, out = tmp_path / "register.csv", tmp_path / "out"
    pd.DataFrame(rows, columns=["Ticket", "Date", "Complaint"]).to_csv(path, index=False)
    _score(path, out, capsys, "--tz", "America/New_York", "--id-col", "Ticket")
    series = pd.read_csv(out / "series.csv")
    comcast = series[series["service"] == "Comcast"]
    midnights = pd.date_range("2015-10-15", periods=30, freq="1D", tz="America/New_York")
    assert (
        comcast["bucket_start"].tolist()
        == midnights.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ").tolist()
    )
    assert comcast["bucket_start"].iloc[[16, 17, 18]].tolist() == [
        "2015-10-31T04:00:00Z",  # summer time
        "2015-11-01T04:00:00Z",  # the 25-hour day: one bucket, its 3 posts
        "2015-11-02T05:00:00Z",  # winter time
    ]
    assert comcast["outage_posts"].tolist() == [40 if i == 21 else 3 for i in range(30)]
    incidents = json.loads((out / "incidents.json").read_text())["incidents"]
    assert [(i["service"], i["started_at"], i["detected_at"]) for i in incidents] == [
        ("Comcast", "2015-11-05T05:00:00Z", "2015-11-05T05:00:00Z")
    ]
