"""Incidents end when the outage does (tester s22, defects 2 and 3).

The engine released an incident once a 30-minute window, judged minute by minute, was
not significantly above the baseline, and back-dated the end with a two-segment split
whose elevated rate was the peak's: on sparse per-minute counts a 3x tail holds about 6
posts in 30 minutes, which that window read as normal, so the shipped demo's Exchange
outage ended at 23:31 although the truth (and the posts) last to 03:30, every outage of
``simulate --scenario multi-outage --seed 3`` ended 0.6-3.1 h early, and an alarm raised
on an outage's tail was resolved in the very minute it was raised (airline stream,
American Airlines, 16:02) while posts kept coming at the peak's rate.

Each test here failed on the code before the fix (commit 972bde3's tracker).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import run_cli, tail_alarm

from detector.incidents.tracker import IncidentTracker, track_series

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "samples" / "exchange-outage.csv"
TRUTH = json.loads((REPO / "data" / "samples" / "exchange-outage.truth.json").read_text())
HOUR = pd.Timedelta(hours=1)


def _incidents(out: Path) -> list[dict]:
    return json.loads((out / "incidents.json").read_text())["incidents"]


def _decaying_outage(seed: int) -> tuple[pd.DatetimeIndex, np.ndarray, pd.Timestamp]:
    """Three days at 0.07 posts a minute; on the third, 40x for 4 hours from 14:00, then
    an exponential decay (60 min) cut where its excess is 5% of the plateau (the
    simulator's definition of resolved, 20:59): the demo's shape, at its rates."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2026-01-05", periods=3 * 1440, freq="1min", tz="UTC")
    minutes = np.arange(len(times)) - (2 * 1440 + 14 * 60)
    end = 240 + 60 * np.log(20)
    level = np.where(minutes < 240, 1.0, np.exp(-(minutes - 240) / 60.0))
    level[(minutes < 0) | (minutes >= end)] = 0.0
    rate = 0.07 + 39 * 0.07 * level
    return times, rng.poisson(rate), times[0] + pd.Timedelta(minutes=2 * 1440 + 14 * 60 + end)


@pytest.mark.parametrize("seed", range(6))
def test_a_sparse_decaying_outage_ends_within_an_hour_of_its_end(seed: int) -> None:
    times, counts, end = _decaying_outage(seed)
    (inc,) = track_series(times, counts).incidents
    assert inc.resolved_at is not None
    assert abs(inc.resolved_at - end) <= HOUR, (inc.resolved_at, end)


@pytest.mark.parametrize(
    ("seed", "rise"), [(1, 0.15), (2, 0.15), (4, 0.15), (8, 0.15), (12, 0.15), (7, 0.3)]
)
def test_no_incident_resolves_in_the_step_its_alarm_was_raised(seed: int, rise: float) -> None:
    """These alarms came on the rise's tail and were resolved at their own minute."""
    times, counts = tail_alarm(seed, rise)
    found = track_series(times, counts).incidents
    assert found
    for inc in found:
        assert inc.resolved_at is not None
        assert inc.resolved_at >= inc.detected_at + pd.Timedelta(minutes=1), inc


def test_a_tail_at_three_times_the_baseline_keeps_the_incident_open() -> None:
    """Posts at 3x a sparse baseline for hours after the peak are still the outage: the
    old 30-minute window read 6 such posts as normal and resolved it."""
    rng = np.random.default_rng(3)
    times = pd.date_range("2026-01-05", periods=3 * 1440, freq="1min", tz="UTC")
    rate = np.full(len(times), 0.07)
    rate[(times >= "2026-01-07 12:00") & (times < "2026-01-07 13:00")] = 2.0
    rate[(times >= "2026-01-07 13:00") & (times < "2026-01-07 17:00")] = 0.25
    (inc,) = track_series(times, rng.poisson(rate)).incidents
    assert inc.resolved_at is not None
    end = pd.Timestamp("2026-01-07 17:00", tz="UTC")
    assert abs(inc.resolved_at - end) <= pd.Timedelta(minutes=45), inc.resolved_at


def test_the_end_does_not_depend_on_the_peak_bucket() -> None:
    """972bde3's property holds: the end is judged at the step, whatever the peak bucket."""
    times, counts, _ = _decaying_outage(0)
    reference = [(i.detected_at, i.resolved_at) for i in track_series(times, counts).incidents]
    for bucket in ("5min", "1h", "1D"):
        found = track_series(times, counts, peak_bucket=bucket).incidents
        assert [(i.detected_at, i.resolved_at) for i in found] == reference, bucket


def test_the_live_tracker_resolves_where_the_batch_one_does() -> None:
    """Fed one step at a time (as the API does), with silent steps skipped, the tracker
    gives the same ends as track_series."""
    times, counts, _ = _decaying_outage(1)
    live = IncidentTracker("series")
    for t, x in zip(times, counts, strict=True):
        if x:
            live.update(t, x)
    if counts[-1] == 0:
        live.update(times[-1], 0)
    batch = track_series(times[counts > 0], counts[counts > 0], end=times[-1]).incidents
    assert [(i.started_at, i.detected_at, i.resolved_at) for i in live.incidents] == [
        (i.started_at, i.detected_at, i.resolved_at) for i in batch
    ]


def test_the_demo_outage_ends_within_an_hour_of_the_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    code, _, err = run_cli(["score", str(SAMPLE), "--out", str(out), "-q"], capsys)
    assert code == 0, err
    (exchange,) = [i for i in _incidents(out) if i["service"] == "Exchange Online"]
    truth = pd.Timestamp(TRUTH["outages"][0]["resolved"])
    assert abs(pd.Timestamp(exchange["resolved_at"]) - truth) <= HOUR, exchange["resolved_at"]
    for inc in _incidents(out):
        assert pd.Timestamp(inc["resolved_at"]) > pd.Timestamp(inc["detected_at"]), inc


@pytest.mark.slow
def test_the_multi_outage_scenario_ends_near_the_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``simulate --scenario multi-outage --seed 3``: every outage ended 0.6-3.1 h early."""
    export = tmp_path / "mo3.csv"
    code, _, err = run_cli(
        ["simulate", "--scenario", "multi-outage", "--seed", "3", "--out", str(export)], capsys
    )
    assert code == 0, err
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(export), "--out", str(out), "-q"], capsys)
    assert code == 0, err
    truth = json.loads((tmp_path / "mo3.truth.json").read_text())
    incidents = _incidents(out)
    errors = []
    for outage in truth["outages"]:
        onset, end = pd.Timestamp(outage["onset"]), pd.Timestamp(outage["resolved"])
        hits = [
            i
            for i in incidents
            if i["service"] == outage["service"]
            and onset - pd.Timedelta("10min") <= pd.Timestamp(i["detected_at"]) <= end
        ]
        assert hits, outage
        errors.append((pd.Timestamp(hits[0]["resolved_at"]) - end) / HOUR)
    assert np.median(np.abs(errors)) <= 0.75, errors
    assert max(np.abs(errors)) <= 1.5, errors


@pytest.mark.slow
def test_the_airline_alarm_stays_open_while_posts_come_at_its_peak_rate(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """American Airlines, 23 Feb 2015: raised 16:02; as many posts at 16:05-16:07.

    The alarm arises with outage-v2's outage posts (the distilled default outage-v3 calls
    other posts outages and raises none here): the model is pinned to keep the case."""
    source = shared_data / "streams" / "airline_tweets_feb2015.csv"
    out = tmp_path / "air"
    args = ["--tz", "America/Los_Angeles", "--dedupe", "text", "--model", "outage-v2", "-q"]
    code, _, err = run_cli(["score", str(source), "--out", str(out), *args], capsys)
    assert code == 0, err
    (american,) = [i for i in _incidents(out) if i["service"] == "American Airlines"]
    assert american["detected_at"] == "2015-02-23T16:02:00Z"
    assert pd.Timestamp(american["resolved_at"]) >= pd.Timestamp("2015-02-23T16:08:00Z")
