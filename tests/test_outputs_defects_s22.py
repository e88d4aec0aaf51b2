"""Session 22's fixes of ``score``'s outputs (the tester-outputs report, defects 1 to 5).

1. A clock-only ``Time`` column is joined with its ``Date`` column in a Parquet file and
   a JSON array as in a CSV: the same posts give the same outputs through every format,
   and when no row can be scored the error names the columns.
2. An incident's ``peak_posts``, ``peak_at`` and ``baseline_posts`` are those of its peak
   bucket in series.csv, whatever ``--bucket``.
3. Onset, alarm and resolution do not change with ``--bucket`` (judged per minute).
4. ``warmup_until`` is the end of the first day, not the first bucket's start.
5. docs/architecture.md says which silences series.csv leaves out, and ``detect-series
   --service`` reads those holes as the docs say (missing values, carried forward).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import run_cli, tail_alarm

from detector.batch.detection import MAX_GAP
from detector.incidents.tracker import track_series

REPO = Path(__file__).resolve().parents[1]
EXCHANGE = REPO / "data" / "samples" / "exchange-outage.csv"
ENGINE_TIMES = ("started_at", "detected_at", "resolved_at", "severity")

OUTAGE_TEXTS = (
    "Gmail is down again, can't log in",
    "is gmail down? emails not loading",
    "gmail not working for me",
    "Gmail outage? cannot send mail",
)


def _score(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, _, err = run_cli(["score", *args], capsys)
    return code, err


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def _incidents(out: Path) -> list[dict]:
    return json.loads((out / "incidents.json").read_text())["incidents"]


def _series(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "series.csv", parse_dates=["bucket_start"])


# -- 1. the same posts through every format ---------------------------------------------


def _complaints() -> pd.DataFrame:
    """A Comcast-like export: dates (``dd-mm-yyyy``) and clock times in two columns."""
    rows = []
    for day in range(1, 5):
        for i, text in enumerate(OUTAGE_TEXTS):
            rows.append(
                {
                    "Ticket #": f"{day}{i}",
                    "Customer Complaint": f"{text} ({day}/{i})",
                    "Date": f"{day:02d}-03-2024",
                    "Time": f"{i + 1:02d}:{10 * day:02d}:00 PM",
                    "Status": "Open",
                }
            )
    return pd.DataFrame(rows)


def _write_every_format(frame: pd.DataFrame, folder: Path) -> dict[str, Path]:
    paths = {
        "csv": folder / "c.csv",
        "jsonl": folder / "c.jsonl",
        "json": folder / "c.json",
        "parquet": folder / "c.parquet",
    }
    frame.to_csv(paths["csv"], index=False)
    frame.to_json(paths["jsonl"], orient="records", lines=True)
    frame.to_json(paths["json"], orient="records")
    frame.to_parquet(paths["parquet"], index=False)
    return paths


def test_a_clock_only_time_is_joined_with_its_date_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _write_every_format(_complaints(), tmp_path)
    seen = {}
    for fmt, path in paths.items():
        out = tmp_path / f"out-{fmt}"
        code, err = _score([str(path), "--out", str(out), "-q"], capsys)
        assert code == 0, (fmt, err)
        assert _summary(out)["time_columns"] == {str(path): "Date + Time"}, fmt
        posts = pd.read_parquet(out / "posts.parquet", columns=["created_at", "text"])
        seen[fmt] = (posts, (out / "series.csv").read_text(), _incidents(out))
    first = pd.Timestamp("2024-03-01 13:10", tz="UTC")  # 01-03-2024 01:10:00 PM
    assert seen["csv"][0]["created_at"].min() == first
    for fmt in ("jsonl", "json", "parquet"):
        pd.testing.assert_frame_equal(seen[fmt][0], seen["csv"][0], obj=fmt)
        assert seen[fmt][1:] == seen["csv"][1:], fmt


def test_a_parquet_clock_only_time_error_names_the_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _complaints()
    alone = tmp_path / "no-dates.parquet"
    frame.drop(columns="Date").to_parquet(alone, index=False)
    code, err = _score([str(alone), "--out", str(tmp_path / "o1")], capsys)
    assert code == 65
    assert "column 'Time' holds clock times only (e.g. '01:10:00 PM')" in err
    assert "no column with dates was found" in err
    both = tmp_path / "dates.parquet"
    frame.to_parquet(both, index=False)
    code, err = _score([str(both), "--out", str(tmp_path / "o2"), "--time-col", "Time"], capsys)
    assert code == 65
    assert "the dates are in column 'Date'" in err and err.count("\n") == 1


@pytest.mark.slow
def test_the_comcast_export_gives_the_same_outputs_in_every_format(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = shared_data / "streams" / "comcast_fcc_complaints_2015.csv"
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    paths = {"csv": source}
    for fmt, path in _write_every_format(frame, tmp_path).items():
        if fmt != "csv":
            paths[fmt] = path
    outputs = {}
    for fmt, path in paths.items():
        out = tmp_path / f"out-{fmt}"
        code, err = _score([str(path), "--out", str(out), "-q"], capsys)
        assert code == 0, (fmt, err)
        assert _summary(out)["time_columns"] == {str(path): "Date + Time"}, fmt
        assert _summary(out)["rows_scored"] == 1988, fmt
        outputs[fmt] = ((out / "series.csv").read_text(), _incidents(out))
    for fmt in ("jsonl", "json", "parquet"):
        assert outputs[fmt] == outputs["csv"], fmt


# -- 2 and 3. the peak is series.csv's, the times are the engine's ------------------------


def _check_peaks(out: Path, bucket: str) -> None:
    """Every incident's peak and baseline are its peak bucket's row in series.csv."""
    series = _series(out)
    width = pd.Timedelta(bucket)
    for inc in _incidents(out):
        rows = series[series["service"] == inc["service"]]
        start = pd.Timestamp(inc["started_at"])
        end = pd.Timestamp(inc["resolved_at"]) if inc["resolved_at"] else pd.Timestamp.max
        overlap = rows[(rows["bucket_start"] + width > start) & (rows["bucket_start"] < end)]
        peak = rows[rows["bucket_start"] == pd.Timestamp(inc["peak_at"])]
        assert len(peak) == 1, inc
        assert inc["peak_posts"] == float(peak["outage_posts"].iat[0]), (bucket, inc)
        assert inc["baseline_posts"] == pytest.approx(float(peak["baseline"].iat[0])), inc
        assert inc["peak_posts"] == overlap["outage_posts"].max(), (bucket, inc)
        assert (
            pd.Timestamp(inc["peak_at"])
            == overlap["bucket_start"].iat[int(np.argmax(overlap["outage_posts"].to_numpy()))]
        )


@pytest.mark.slow
def test_the_shipped_sample_reports_series_csv_peaks_at_every_bucket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = set()
    for bucket in ("1min", "1h", "1D"):
        out = tmp_path / bucket
        code, err = _score([str(EXCHANGE), "--out", str(out), "--bucket", bucket, "-q"], capsys)
        assert code == 0, err
        _check_peaks(out, bucket)
        engine.add(tuple(tuple(i[k] for k in ENGINE_TIMES) for i in _incidents(out)))
    assert len(engine) == 1, engine
    day = _incidents(tmp_path / "1D")
    exchange = next(i for i in day if i["service"] == "Exchange Online")
    assert exchange["peak_posts"] > exchange["baseline_posts"]


@pytest.mark.slow
def test_the_airline_incident_is_the_same_at_every_bucket_and_peaks_as_series_csv(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = shared_data / "streams" / "airline_tweets_feb2015.csv"
    # outage-v2's outage posts raise the American Airlines incident (the default outage-v3's
    # raise none on this stream): the model is pinned to keep the case
    args = ["--tz", "America/Los_Angeles", "--dedupe", "text", "--model", "outage-v2", "-q"]
    engine = {}
    for bucket in ("1min", "5min", "1h", "1D"):
        out = tmp_path / bucket
        code, err = _score([str(source), "--out", str(out), "--bucket", bucket, *args], capsys)
        assert code == 0, err
        _check_peaks(out, bucket)
        found = _incidents(out)
        engine[bucket] = [tuple(i[k] for k in ENGINE_TIMES) for i in found]
    assert len({tuple(v) for v in engine.values()}) == 1, engine
    (american,) = [i for i in _incidents(tmp_path / "1D") if i["service"] == "American Airlines"]
    assert american["resolved_at"] == "2015-02-23T17:48:00Z"  # the per-minute answer
    assert american["peak_at"] == "2015-02-23T00:00:00Z"
    assert american["peak_posts"] == 73.0  # the day's outage posts, as series.csv has them
    assert american["peak_posts"] > american["baseline_posts"]


@pytest.mark.parametrize(("seed", "rise"), [(1, 0.15), (8, 0.15), (9, 0.15), (10, 0.3)])
def test_resolution_does_not_depend_on_the_peak_bucket(seed: int, rise: float) -> None:
    """These series' incidents once resolved later at 5-minute or hourly peak buckets
    (the end was moved past the peak *bucket*): the end is judged at the step."""
    times, counts = tail_alarm(seed, rise)
    reference = track_series(times, counts).incidents  # peak bucket = step
    assert reference
    for bucket in ("5min", "15min", "1h", "1D"):
        found = track_series(times, counts, peak_bucket=bucket).incidents
        assert [(i.started_at, i.detected_at, i.resolved_at, i.severity) for i in found] == [
            (i.started_at, i.detected_at, i.resolved_at, i.severity) for i in reference
        ], bucket


# -- 4. warmup_until -------------------------------------------------------------------


def _daily(tmp_path: Path, days: int = 5) -> Path:
    rows = [
        {"id": f"{d}-{i}", "text": f"{text} #{d}{i}", "created_at": f"2024-03-{d + 1:02d}"}
        for d in range(days)
        for i, text in enumerate(OUTAGE_TEXTS)
    ]
    path = tmp_path / "daily.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("tz", "until"), [(None, "2024-03-02T00:00:00Z"), ("Asia/Tokyo", "2024-03-01T15:00:00Z")]
)
def test_warmup_until_is_the_end_of_a_dates_only_exports_first_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tz: str | None, until: str
) -> None:
    out = tmp_path / "out"
    zone = ["--tz", tz] if tz else []
    code, err = _score([str(_daily(tmp_path)), "--out", str(out), "-q", *zone], capsys)
    assert code == 0, err
    assert _summary(out)["warmup_until"] == until
    series = _series(out)
    gmail = series[series["service"] == "Gmail"]
    warm = gmail["bucket_start"] < pd.Timestamp(until)
    assert warm.sum() == 1  # the first day
    assert gmail["warming_up"].tolist() == warm.tolist()


def test_warmup_until_is_a_day_after_the_first_minute_whatever_the_bucket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = pd.Timestamp("2024-03-01 07:37:20", tz="UTC")
    times = [first + pd.Timedelta(minutes=37 * k) for k in range(150)]
    rows = [
        {"id": str(k), "text": f"{OUTAGE_TEXTS[k % 4]} #{k}", "created_at": t.isoformat()}
        for k, t in enumerate(times)
    ]
    path = tmp_path / "posts.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    for bucket in ("5min", "1D"):
        out = tmp_path / bucket
        code, err = _score([str(path), "--out", str(out), "--bucket", bucket, "-q"], capsys)
        assert code == 0, err
        until = pd.Timestamp(_summary(out)["warmup_until"])
        assert until == pd.Timestamp("2024-03-02 07:37", tz="UTC"), bucket
        gmail = _series(out).query("service == 'Gmail'")
        assert gmail["warming_up"].tolist() == (gmail["bucket_start"] < until).tolist()


@pytest.mark.slow
def test_the_comcast_warm_up_ends_with_its_first_day(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = shared_data / "streams" / "comcast_fcc_complaints_2015.csv"
    args = [str(source), "--text-col", "Customer Complaint", "--time-col", "Date", "-q"]
    for zone, until in ((None, "2015-01-05T00:00:00Z"), ("Asia/Tokyo", "2015-01-04T15:00:00Z")):
        out = tmp_path / (zone or "utc").replace("/", "-")
        code, err = _score([*args, "--out", str(out), *(["--tz", zone] if zone else [])], capsys)
        assert code == 0, err
        assert _summary(out)["warmup_until"] == until
        series = _series(out)
        assert (series["warming_up"] == (series["bucket_start"] < pd.Timestamp(until))).all()


# -- 5. the silences series.csv leaves out, as the docs say ------------------------------


def test_the_architecture_doc_says_which_silences_series_csv_leaves_out() -> None:
    text = (REPO / "docs" / "architecture.md").read_text()
    section = text[text.index("### The reporting series (`series.csv`)") :]
    section = section[: section.index("\n### ", 1)]
    assert "are **not** zero-filled across every silence" in section
    assert "longer than `MAX_GAP` (`detection.MAX_GAP`, one day)" in section
    assert pd.Timedelta(days=1) == MAX_GAP
    assert "`silence_posts` (20)" in section
    assert "carried forward online" in section


def test_series_csv_leaves_out_a_long_silence_and_detect_series_reads_it_as_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A service silent for two days: no rows there; a 10-hour silence is zeros."""
    start = pd.Timestamp("2024-03-01 00:00", tz="UTC")
    hours = [h for h in range(0, 6 * 24, 2) if not 48 <= h < 96 and not 110 < h < 120]
    rows = [
        {
            "id": str(h),
            "text": f"{OUTAGE_TEXTS[h % 4]} #{h}",
            "created_at": start + pd.Timedelta(hours=h),
        }
        for h in hours
    ]
    path = tmp_path / "posts.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = tmp_path / "out"
    code, err = _score([str(path), "--out", str(out), "--bucket", "1h", "-q"], capsys)
    assert code == 0, err
    gmail = _series(out).query("service == 'Gmail'").set_index("bucket_start")
    hole = pd.date_range(start + pd.Timedelta(hours=47), periods=49, freq="1h")
    assert not gmail.index.isin(hole).any()  # 49 hours without a post: left out
    short = pd.date_range(start + pd.Timedelta(hours=111), periods=9, freq="1h")
    assert gmail.loc[short, "outage_posts"].eq(0).all()  # 10 hours: zeros
    code, stdout, err = run_cli(
        ["detect-series", str(out / "series.csv"), "--service", "Gmail",
         "--value-col", "outage_posts"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    missing = json.loads(stdout)["missing"]
    assert missing == {
        "values": len(hole),
        "first": hole[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "handled": "carried forward",
    }
    assert f"{len(hole)} bucket(s) of 1h with no rows" in err
