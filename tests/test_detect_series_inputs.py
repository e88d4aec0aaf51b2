"""``detect-series`` reading what users hand it: years in a column not named year, thousands
separators, JSON pairs and Prometheus answers, indexed Parquet, period labels, repeated
timestamps and services, local times (``--tz``), error lines and unwritable outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    """Exit code, the JSON printed (if any) and stderr of ``outage-detector *args*``."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), json.loads(out) if out.strip() else None, err


def _yearly(path: Path, header: str) -> Path:
    """1995-2024, a level of 100 that steps to 160 in 2010."""
    rows = "".join(f"{y},{100 + y % 3 if y < 2010 else 160 + y % 3}\n" for y in range(1995, 2025))
    path.write_text(f"{header}\n{rows}")
    return path


@pytest.mark.parametrize("header", ["date,revenue", "time,revenue", "yr,revenue", "Jahr,revenue"])
def test_a_year_column_not_named_year_holds_years(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str
) -> None:
    """1995..2024 in the time column are years (as epoch seconds they were 00:33 on
    1 January 1970: the change point came out as 1970-01-01T00:33:30Z)."""
    path = _yearly(tmp_path / "yearly.csv", header)
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0, err
    assert found is not None and found["change_points"] == ["2010-01-01T00:00:00Z"]
    assert "one value per year: judged per year" in err


def test_a_year_column_given_by_name_holds_years(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--time-col Jahr`` (with another numeric column that could be the times)."""
    path = tmp_path / "jahr.csv"
    rows = "".join(f"{y},{7},{100 if y < 2010 else 160}\n" for y in range(1995, 2025))
    path.write_text(f"Jahr,Filiale,Umsatz\n{rows}")
    args = ["detect-series", str(path), "--time-col", "Jahr", "--value-col", "Umsatz"]
    code, found, err = run([*args, "--mode", "offline"], capsys)
    assert code == 0, err
    assert found is not None and found["change_points"] == ["2010-01-01T00:00:00Z"]


def test_small_or_large_numbers_stay_epoch_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Below 1678 (no year this tool represents) or beyond 2262: epoch seconds, as before."""
    for start in (1200, 1_700_000_000):
        path = tmp_path / f"seconds_{start}.csv"
        path.write_text("time,value\n" + "".join(f"{start + 60 * k},{k % 3}\n" for k in range(30)))
        code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
        assert code == 0, err
        assert found is not None and "one value per year" not in err
        assert found["missing"]["values"] == 0


def _counts_csv(path: Path, n: int = 40) -> Path:
    """*n* 5-minute counts, steady around 3."""
    rows = "".join(f"2026-01-01 {k * 5 // 60:02d}:{k * 5 % 60:02d},{3 + k % 2}\n" for k in range(n))
    path.write_text("time,value\n" + rows)
    return path


def test_an_output_that_cannot_be_created_exits_73(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file on the path of --out, or --out a folder: exit 73 and one line (was exit 70,
    an internal error)."""
    source = _counts_csv(tmp_path / "counts.csv")
    (tmp_path / "afile").write_text("")
    code, _, err = run(["detect-series", str(source), "--out", f"{tmp_path}/afile/x.json"], capsys)
    assert code == 73
    assert f"error: cannot create {tmp_path}/afile/x.json: a folder on its path is a file" in err
    code, _, err = run(["detect-series", str(source), "--out", str(tmp_path)], capsys)
    assert code == 73 and f"error: cannot create {tmp_path}: it is a folder" in err


@pytest.mark.parametrize(
    "text",
    [
        "sep=;\ntime;value\n2026-01-01 00:00;5\n2026-01-01 00:05;abc\n",
        "time,value\n2026-01-01 00:00,5\n\n2026-01-01 00:05,abc\n",
    ],
)
def test_errors_name_the_file_line_past_a_sep_line_or_blank_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """The bad cell is on line 4 of the file (was said to be on line 3)."""
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code, _, err = run(["detect-series", str(path)], capsys)
    assert code == 65 and "bad.csv: line 4: 'value' is not a number: 'abc'" in err


def test_parquet_times_in_the_index_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A frame saved with the times as its (named) index: 'ts' was not found."""
    times = pd.date_range("2026-01-01", periods=40, freq="5min", tz="UTC", name="ts")
    path = tmp_path / "counts.parquet"
    pd.DataFrame({"n": [3 + k % 2 for k in range(40)]}, index=times).to_parquet(path)
    code, found, err = run(["detect-series", str(path), "--time-col", "ts"], capsys)
    assert code == 0, err
    assert found is not None and found["incidents"] == [] and found["model"] == "poisson"


def _repeated_hour(path: Path) -> Path:
    """5-minute counts over 2 days, 3 or 4 each; the rows of 10:00-10:55 on the second
    day written twice (a concatenated export)."""
    times = pd.date_range("2026-02-01", periods=576, freq="5min")
    frame = pd.DataFrame({"timestamp": times.strftime("%Y-%m-%d %H:%M"), "value": 3})
    frame["value"] += np.arange(576) % 2
    hour = frame[(times >= "2026-02-02 10:00") & (times < "2026-02-02 11:00")]
    pd.concat([frame, hour]).to_csv(path, index=False)
    return path


def test_rows_sharing_a_time_are_summed_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The repeated hour was summed silently. It is still summed (two sources' counts at
    one time, or a wall clock's repeated hour, are rows of their own: none is dropped,
    and POST /v1/detect, given the same points, sums them too), and now said."""
    path = _repeated_hour(tmp_path / "dup.csv")
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0, err
    assert found is not None and found["repeated"] == {"rows": 24, "handled": "summed"}
    assert (
        f"{path}: 24 row(s) share a time with another row and are summed per bucket (an "
        "export written twice over a stretch counts twice: drop the repeated rows first)"
    ) in err


def test_a_file_of_several_services_asks_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """score's series.csv: the services' counts were summed into one series."""
    path = tmp_path / "series.csv"
    rows = "".join(
        f"2026-01-01T{k * 5 // 60:02d}:{k * 5 % 60:02d}:00Z,{name},{n + k % 2}\n"
        for k in range(40)
        for name, n in (("Gmail", 3), ("Slack", 30))
    )
    path.write_text("bucket_start,service,outage_posts\n" + rows)
    args = ["detect-series", str(path), "--value-col", "outage_posts"]
    code, _, err = run(args, capsys)
    assert code == 64
    assert "rows of 2 services (Gmail, Slack); choose one with --service NAME" in err
    code, _, err = run([*args, "--service", "Zoom"], capsys)
    assert code == 64 and "no rows of service 'Zoom'; the services are Gmail, Slack" in err
    code, found, err = run([*args, "--service", "Slack", "--mode", "offline"], capsys)
    assert code == 0, err
    assert found is not None and "repeated" not in found and found["incidents"] == []


def test_local_times_with_tz_cross_daylight_saving_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Berlin wall-clock counts over the end of summer time (02:00-02:55 written twice):
    read as UTC, one hour of rows repeated (summed); with --tz each row is its own bucket."""
    times = pd.date_range("2025-10-25 00:00", "2025-10-27 00:00", freq="5min", tz="Europe/Berlin")
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M"), "count": 5})
    frame["count"] += np.arange(len(frame)) % 3
    path = tmp_path / "local.csv"
    frame.to_csv(path, index=False)
    code, found, err = run(["detect-series", str(path), "--tz", "Europe/Berlin"], capsys)
    assert code == 0, err
    assert found is not None and "repeated" not in found
    assert found["missing"]["values"] == 0 and found["incidents"] == []
    code, found, _ = run(["detect-series", str(path)], capsys)
    assert found is not None and found["repeated"]["rows"] == 24
    code, _, err = run(["detect-series", str(path), "--tz", "Mars/Base"], capsys)
    assert code == 64 and "The '--tz' option: unknown time zone 'Mars/Base'" in err


def test_errors_name_the_file_line_of_the_chosen_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "series.csv"
    path.write_text(
        "bucket_start,service,outage_posts\n"
        "2026-01-01T00:00:00Z,Gmail,3\n2026-01-01T00:00:00Z,Slack,4\n"
        "2026-01-01T00:05:00Z,Gmail,3\n2026-01-01T00:05:00Z,Slack,x\n"
    )
    args = ["detect-series", str(path), "--service", "Slack", "--value-col", "outage_posts"]
    code, _, err = run(args, capsys)
    assert code == 65
    assert err.endswith(f"{path}: line 5: 'outage_posts' is not a number: 'x' (1 bad row(s))\n")


@pytest.mark.parametrize("tz", ["Europe/Berlin", "Asia/Tokyo"])
def test_tz_leaves_dates_without_a_clock_time_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tz: str
) -> None:
    """Daily and monthly series were moved to the local midnight in UTC (22:00 or 23:00
    the day before, 15:00 for Tokyo): months no longer read as months, days cut apart."""
    months = pd.date_range("2015-01-01", periods=60, freq="MS")
    n = np.where((months >= "2018-05-01") & (months < "2018-11-01"), 400, 100)
    n = n + np.arange(60) % 5
    monthly = tmp_path / "monthly.csv"
    pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "n": n}).to_csv(monthly, index=False)
    days = pd.date_range("2024-02-01", periods=60, freq="D")
    d = np.where((days >= "2024-03-10") & (days < "2024-03-13"), 300, 100) + np.arange(60) % 7
    daily = tmp_path / "daily.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "n": d}).to_csv(daily, index=False)
    for path in (monthly, daily):
        code, plain, err = run(["detect-series", str(path)], capsys)
        assert code == 0, err
        code, local, err = run(["detect-series", str(path), "--tz", tz], capsys)
        assert code == 0, err
        assert local == plain and plain is not None
        assert [i["started_at"] for i in plain["incidents"]] == [
            "2018-05-01T00:00:00Z" if path == monthly else "2024-03-10T00:00:00Z"
        ]


def test_a_metrics_shared_times_are_averaged_without_the_counting_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    times = pd.date_range("2026-02-01", periods=120, freq="5min")
    frame = pd.DataFrame({"timestamp": times.strftime("%Y-%m-%d %H:%M"), "p99_ms": 120.5})
    path = tmp_path / "latency.csv"
    pd.concat([frame, frame.iloc[:10]]).to_csv(path, index=False)
    code, found, err = run(["detect-series", str(path)], capsys)
    assert code == 0, err
    assert found is not None and found["repeated"] == {"rows": 20, "handled": "averaged"}
    assert f"{path}: 20 row(s) share a time with another row and are averaged per bucket\n" in err
