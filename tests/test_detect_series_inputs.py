"""``detect-series`` reading what users hand it: years in a column not named year, thousands
separators, JSON pairs and Prometheus answers, indexed Parquet, period labels, repeated
timestamps and services, local times (``--tz``), error lines and unwritable outputs."""

from __future__ import annotations

import json
from pathlib import Path

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
