"""A dates-only export read in a time zone (``--tz``) is judged per day too.

Its posts then sit at the zone's midnight in UTC: 15:00 the day before in Tokyo, 07:00
or 08:00 in Los Angeles (summer or winter time), 00:00 or 23:00 the day before in London.
A fixed zone east of UTC made the run fail (its last step was not on the engine's day
grid), and a daylight saving change (two times of day an hour apart) was not read as
dates at all: each day was judged minute by minute as one burst, and the outage missed.

The days are the export's own (session 7): buckets and incidents start at the zone's
midnight, written in UTC like every time in the outputs. Before, they were put on UTC
midnights, so east of UTC (and in London's summer) each day carried the date before it:
Tokyo's 1 May outage "started" on 30 April.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.batch.detection import dates_only
from detector.cli.main import main

OUTAGE = "comcast internet is down again, no connection since this morning"
OTHER = "comcast billing charged me twice this month and support was rude"
WARNING = (
    "the posts' times carry no time of day (dates only): they were judged per day, "
    "series.csv and the report use 1D buckets"
)


def _register(path: Path, start: str, timed: tuple[int, ...] = ()) -> int:
    """40 days of dates: about 3 outage posts and 12 others a day, 40 outage posts on day
    30; the first post of the days *timed* carries a time of day (13:05). The posts."""
    rng = np.random.default_rng(5)
    rows = []
    for i, day in enumerate(pd.date_range(start, periods=40, freq="1D")):
        texts = [OUTAGE] * (40 if i == 30 else int(rng.poisson(3)))
        texts += [OTHER] * int(rng.poisson(12))
        dates = [day.strftime("%Y-%m-%d")] * len(texts)
        if i in timed:
            dates[0] += " 13:05"
        rows += [(f"{i}-{j}", d, t) for j, (d, t) in enumerate(zip(dates, texts, strict=True))]
    pd.DataFrame(rows, columns=["Ticket", "Date", "Complaint"]).to_csv(path, index=False)
    return len(rows)


def _score(path: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    args = ["score", str(path), "--text-col", "Complaint", "--time-col", "Date"]
    with pytest.raises(SystemExit) as stop:
        main([*args, "--id-col", "Ticket", *extra, "--out", str(out)])
    assert stop.value.code in (0, None), capsys.readouterr().err


@pytest.mark.parametrize(
    ("tz", "start", "day"),
    [
        # no daylight saving: the outage day 2015-05-01 starts at 2015-04-30T15:00Z
        ("Asia/Tokyo", "2015-04-01", "2015-04-30T15:00:00Z"),
        # summer time from 2015-03-08: midnight moves from 08:00Z to 07:00Z (the
        # outage day 2015-03-22 starts at 07:00Z)
        ("America/Los_Angeles", "2015-02-20", "2015-03-22T07:00:00Z"),
        # summer time from 2015-03-29: midnight moves from 00:00Z to 23:00Z the day before
        # (2015-04-09 starts at 2015-04-08T23:00Z)
        ("Europe/London", "2015-03-10", "2015-04-08T23:00:00Z"),
    ],
)
def test_dates_in_a_zone_are_judged_per_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tz: str, start: str, day: str
) -> None:
    path, out = tmp_path / "register.csv", tmp_path / "out"
    _register(path, start)
    _score(path, out, capsys, "--tz", tz)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bucket"] == "1D"
    assert WARNING in summary["warnings"]
    incidents = json.loads((out / "incidents.json").read_text())["incidents"]
    assert [(i["service"], i["started_at"], i["detected_at"]) for i in incidents] == [
        ("Comcast", day, day)
    ]
    series = pd.read_csv(out / "series.csv")
    # each day's bucket starts at that day's midnight in the zone, on either side of a
    # daylight saving change (Los Angeles: 08:00Z, then 07:00Z from 9 March)
    midnights = pd.date_range(start, periods=40, freq="1D", tz=tz).tz_convert("UTC")
    expected = midnights.strftime("%Y-%m-%dT%H:%M:%SZ").tolist()
    assert series.groupby("service")["bucket_start"].apply(list).to_dict() == {
        "Comcast": expected,
        "all services": expected,
    }
    assert series.groupby("service").size().to_dict() == {"Comcast": 40, "all services": 40}
    assert (series.groupby("service")["all_posts"].sum() > 0).all()
    # the outage day's bucket holds its 40 posts, whatever the zone
    comcast = series[series["service"] == "Comcast"].set_index("bucket_start")
    assert comcast.loc[day, "outage_posts"] == 40


def test_two_times_of_day_an_hour_apart_are_dates_across_a_dst_change() -> None:
    def times(*stamps: str) -> pd.DataFrame:
        return pd.DataFrame({"bucket_start": pd.to_datetime(list(stamps), utc=True)})

    assert dates_only(times("2015-03-07 08:00", "2015-03-08 08:00", "2015-03-09 07:00"))
    assert dates_only(times("2015-03-28 00:00", "2015-03-29 00:00", "2015-03-29 23:00"))
    # two times of day further apart, or three of them, are times
    assert not dates_only(times("2015-03-07 08:00", "2015-03-08 10:00"))
    assert not dates_only(times("2015-03-07 08:00", "2015-03-08 07:00", "2015-03-09 09:00"))


def test_a_register_with_a_few_posts_carrying_a_time_is_still_judged_per_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # two posts of 600 carry a time of day: judged minute by minute, every day was a
    # burst at midnight and the outage went unseen (no incident, 5-minute buckets)
    path, out = tmp_path / "register.csv", tmp_path / "out"
    posts = _register(path, "2015-04-01", timed=(3, 17))
    _score(path, out, capsys)
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["bucket"], summary["rows_scored"]) == ("1D", posts)
    assert WARNING in summary["warnings"]
    incidents = json.loads((out / "incidents.json").read_text())["incidents"]
    assert [(i["service"], i["started_at"], i["detected_at"]) for i in incidents] == [
        ("Comcast", "2015-05-01T00:00:00Z", "2015-05-01T00:00:00Z")
    ]
    series = pd.read_csv(out / "series.csv")
    assert series.groupby("service").size().to_dict() == {"Comcast": 40, "all services": 40}
    everything = series[series["service"] == "all services"]
    assert int(everything["all_posts"].sum()) == posts  # the timed posts in their day


def test_a_few_minutes_with_a_time_of_day_are_dates_many_are_times() -> None:
    days = pd.date_range("2015-06-01", periods=20, freq="1D", tz="UTC")
    timed = pd.DatetimeIndex(["2015-06-03 13:05", "2015-06-09 08:41"], tz="UTC")
    assert dates_only(pd.DataFrame({"bucket_start": days.append(timed)}))  # 20 of 22
    assert not dates_only(pd.DataFrame({"bucket_start": days[:10].append(timed)}))  # 10 of 12
    burst = pd.date_range("2015-06-03 13:00", periods=3, freq="1min", tz="UTC")
    assert not dates_only(pd.DataFrame({"bucket_start": days[:1].append(burst)}))
