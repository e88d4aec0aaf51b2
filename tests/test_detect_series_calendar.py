"""Series given per month or year (``detect-series``, ``POST /v1/detect``): one value per
calendar period, times read back as the periods' first days; years written as numbers;
TCPD's own JSON files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.cli.main import main
from detector.ingest.timestamps import parse_times


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), json.loads(out) if out.strip() else None, err


def _monthly(tmp_path: Path) -> Path:
    """72 months of a metric (about 1000, noise 40) that steps to 1400 in May 1993."""
    rng = np.random.default_rng(0)
    months = pd.period_range("1990-01", periods=72, freq="M")
    level = np.where(np.arange(72) < 40, 1000.0, 1400.0)
    values = np.round(level + rng.normal(0, 40, 72)).astype(int)
    path = tmp_path / "monthly.csv"
    pd.DataFrame({"month": months.strftime("%Y-%m"), "passengers": values}).to_csv(
        path, index=False
    )
    return path


def test_a_monthly_series_changes_on_the_first_of_its_month(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Months are 28-31 days: one value per month, not 31-day buckets that drift (those put
    this change in February, three months early)."""
    path = _monthly(tmp_path)
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0
    assert err == (
        "reading times from 'month' and values from 'passengers'\n"
        "one value per month: judged per month (calendar months, not fixed-width buckets)\n"
    )
    assert found["change_points"] == ["1993-05-01T00:00:00Z"]
    assert found["missing"] == {"values": 0, "first": None, "handled": "none"}
    code, drifting, _ = run(
        ["detect-series", str(path), "--mode", "offline", "--bucket", "31D"], capsys
    )
    assert code == 0 and drifting["change_points"] == ["1993-02-01T00:00:00Z"]
    code, online, _ = run(["detect-series", str(path)], capsys)
    assert code == 0
    assert ["1993-05-01T00:00:00Z", "1993-06-01T00:00:00Z"] in [
        [i["started_at"], i["detected_at"]] for i in online["incidents"]
    ]
    assert all(t.endswith("-01T00:00:00Z") for t in online["change_points"])


def test_quarter_ends_are_reported_on_their_own_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Quarterly values dated on the quarter's last day (31 March, 30 June...): the change
    is reported on the value's own date, not on the 1st of a month."""
    ends = pd.date_range("2000-03-31", periods=60, freq="QE")
    values = np.where(np.arange(60) < 30, 100.0, 160.0) + 3 * (np.arange(60) % 4)
    path = tmp_path / "quarters.csv"
    pd.DataFrame({"date": ends.strftime("%Y-%m-%d"), "value": values}).to_csv(path, index=False)
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0
    assert "one value per quarter: judged per quarter" in err
    assert found["change_points"] == ["2007-09-30T00:00:00Z"]
    assert ends[30].strftime("%Y-%m-%d") == "2007-09-30"


def test_a_year_and_a_month_column_ask_which_holds_the_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Monthly rows given as year and month columns are not folded into years."""
    rows = pd.DataFrame(
        {"year": np.repeat(np.arange(1990, 2000), 12), "month": np.tile(np.arange(1, 13), 10)}
    ).assign(value=np.arange(120) % 7)
    path = tmp_path / "ym.csv"
    rows.to_csv(path, index=False)
    code, _, err = run(["detect-series", str(path)], capsys)
    assert code == 64
    assert "which column holds the times? The columns are year, month, value" in err


def test_years_written_as_numbers_are_years(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``year,volume`` with 1871, 1872...: the column named year holds the times, read as
    years (as epoch seconds they were the first hour of 1970)."""
    years = np.arange(1871, 1971)
    volume = np.where(years < 1899, 1100.0, 800.0) + 10 * (years % 7)  # a little texture
    path = tmp_path / "nile.csv"
    pd.DataFrame({"year": years, "volume": volume.astype(int)}).to_csv(path, index=False)
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0
    assert err.endswith(
        "one value per year: judged per year (calendar months, not fixed-width buckets)\n"
    )
    assert found["change_points"] == ["1899-01-01T00:00:00Z"]
    weekday = tmp_path / "weekday.csv"  # a column named day holding 1-7 is no time
    weekday.write_text("day,value\n1,3\n2,4\n3,5\n")
    code, _, err = run(["detect-series", str(weekday)], capsys)
    assert code == 64 and "which column holds the times? The columns are day, value" in err
    times, reasons = parse_times(pd.Series([1871, 1872, None], dtype="float64"), years=True)
    assert times.dt.strftime("%Y-%m-%d").tolist()[:2] == ["1871-01-01", "1872-01-01"]
    assert reasons.tolist() == [None, None, "missing time"]
    times, reasons = parse_times(pd.Series(["1500", "1871"]), years=True)  # before ns times
    assert reasons.tolist() == ["time out of range '1500-01-01'", None]
    early = tmp_path / "early.csv"
    early.write_text("year,volume\n1500,3\n1501,4\n1871,5\n")
    code, _, err = run(["detect-series", str(early)], capsys)
    assert code == 65
    assert (
        "line 2: 'year' is outside the times this tool reads (1677-09-22 to 2262-04-10): "
        "'1500'" in err
    )
    # not named year (elapsed seconds, say), or not all years: epoch seconds, as before
    for values in (pd.Series([1200, 1871]), pd.Series([0, 1871])):
        times, _ = parse_times(values)
        assert times.dt.strftime("%Y-%m-%d").tolist() == ["1970-01-01", "1970-01-01"]
    seconds = tmp_path / "seconds.csv"
    seconds.write_text("time,value\n" + "".join(f"{1200 + k},{k % 3}\n" for k in range(30)))
    code, found, _ = run(["detect-series", str(seconds)], capsys)
    assert code == 0 and found["missing"]["values"] == 0


def _tcpd(path: Path, *, raw_times: bool = True) -> Path:
    """A TCPD dataset file: yearly values with a missing one (1921) and a step in 1950."""
    years = list(range(1913, 1990))
    values: list[float | None] = [300.0 if y < 1950 else 200.0 for y in years]
    values = [v + (k % 5) for k, v in enumerate(values)]  # a little texture
    values[years.index(1921)] = None
    time = {"type": "string", "format": "%Y", "index": list(range(len(years)))}
    if raw_times:
        time["raw"] = [str(y) for y in years]
    data = {
        "name": "coal",
        "longname": "Coal",
        "n_obs": len(years),
        "n_dim": 1,
        "time": time,
        "series": [{"label": "V1", "type": "int", "raw": values}],
    }
    path.write_text(json.dumps(data))
    return path


def test_a_tcpd_dataset_file_is_read_as_it_comes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _tcpd(tmp_path / "coal.json")
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0
    assert err == (
        "reading times from 'time' and values from 'V1'\n"
        "one value per year: judged per year (calendar months, not fixed-width buckets)\n"
    )
    assert found["change_points"] == ["1950-01-01T00:00:00Z"]
    assert found["missing"] == {
        "values": 1,
        "first": "1921-01-01T00:00:00Z",
        "handled": "interpolated",
    }
    bare = _tcpd(tmp_path / "bare.json", raw_times=False)
    code, found, err = run(["detect-series", str(bare), "--mode", "offline"], capsys)
    assert code == 0
    assert f"{bare}: no times in the file: its points are read as days from 2000-01-01" in err
    assert found["change_points"] == ["2000-02-07T00:00:00Z"]  # point 37, as in 1950
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"name": "x", "values": [1, 2]}))
    code, _, err = run(["detect-series", str(other)], capsys)
    assert code == 65
    assert "one JSON object (keys: name, values) holding no records" in err
    one = tmp_path / "one.jsonl"  # JSON Lines of one record: one object, read as a record
    one.write_text('{"time": "2026-01-05T10:00:00Z", "value": 3}\n')
    code, found, _ = run(["detect-series", str(one)], capsys)
    assert code == 0 and found["incidents"] == [] and found["model"] == "poisson"
    export = tmp_path / "export.json"
    rows = [{"time": f"2026-01-05T{h:02d}:00:00Z", "value": 3 + (h == 20) * 30} for h in range(24)]
    export.write_text(json.dumps({"data": rows, "meta": {"result_count": 24}}))
    code, found, _ = run(["detect-series", str(export)], capsys)
    assert code == 0 and found["model"] in ("poisson", "robust")
