"""`outage-detector detect-series`: formats, modes, output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def _frame() -> pd.DataFrame:
    index = pd.date_range("2026-01-05", periods=600, freq="5min", tz="UTC")
    rate = np.full(600, 3.0)
    rate[400:430] *= 8
    counts = np.random.default_rng(0).poisson(rate)
    frame = pd.DataFrame({"ts": index.strftime("%Y-%m-%dT%H:%M:%SZ"), "n": counts})
    return frame[frame.n > 0]  # missing buckets (no posts) must come back as zeros


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "series.csv"
    _frame().to_csv(path, index=False)
    return path


def test_online_csv_to_stdout(csv_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        [
            "detect-series",
            str(csv_file),
            "--time-col",
            "ts",
            "--value-col",
            "n",
            "--service",
            "Outlook",
        ],
        capsys,
    )
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert sorted(result) == ["change_points", "incidents", "missing", "model"]
    assert result["model"] == "poisson"
    assert result["missing"] == {"values": 0, "first": None, "handled": "none"}
    (inc,) = result["incidents"]
    assert (inc["service"], inc["started_at"], inc["status"]) == (
        "Outlook",
        "2026-01-06T09:20:00Z",
        "resolved",
    )
    assert result["change_points"][0] == "2026-01-06T09:20:00Z"


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".parquet"])
def test_offline_other_formats_to_file(
    tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _frame()
    path = tmp_path / f"series{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records", lines=suffix == ".jsonl")
    out_file = tmp_path / "out" / "result.json"
    code, out, err = run(
        [
            "detect-series",
            str(path),
            "--time-col",
            "ts",
            "--value-col",
            "n",
            "--mode",
            "offline",
            "--bucket",
            "5min",
            "--out",
            str(out_file),
        ],
        capsys,
    )
    assert (code, out) == (0, "")
    assert "wrote 1 incident(s)" in err
    result = json.loads(out_file.read_text())
    assert result["change_points"] == ["2026-01-06T09:20:00Z", "2026-01-06T11:50:00Z"]
    assert result["incidents"][0]["resolved_at"] == "2026-01-06T11:50:00Z"


def test_coarser_bucket_sums(csv_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "detect-series",
            str(csv_file),
            "--time-col",
            "ts",
            "--value-col",
            "n",
            "--bucket",
            "1h",
            "--mode",
            "offline",
        ],
        capsys,
    )
    assert code == 0
    starts = [i["started_at"] for i in json.loads(out)["incidents"]]
    assert starts == ["2026-01-06T09:00:00Z"]


def test_missing_column_exit_65(csv_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        ["detect-series", str(csv_file), "--time-col", "time", "--value-col", "n"], capsys
    )
    assert (code, out) == (65, "")
    assert err == f"error: {csv_file}: column(s) 'time' not found; the columns are: ts, n\n"


def test_missing_file_exit_66(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["detect-series", str(tmp_path / "nope.csv"), "--time-col", "ts", "--value-col", "n"],
        capsys,
    )
    assert code == 66
    assert err.startswith("error: input file not found:") and "nope.csv" in err


@pytest.mark.parametrize("bucket", ["fast", "0min", "-5min"])
def test_bad_bucket_exit_64(
    csv_file: Path, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        [
            "detect-series",
            str(csv_file),
            "--time-col",
            "ts",
            "--value-col",
            "n",
            f"--bucket={bucket}",
        ],
        capsys,
    )
    assert code == 64
    assert (
        f"The '--bucket' option must be a fixed pandas offset like '5min' or '1h'. Got '{bucket}'"
        in err
    )


def test_bad_mode_exit_64(csv_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["detect-series", str(csv_file), "--time-col", "ts", "--value-col", "n", "--mode", "live"],
        capsys,
    )
    assert code == 64 and "'live' is not one of 'online', 'offline'" in err


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("ts,n\n2026-01-01T00:00Z,1\nyesterday,2\n", "line 3: 'ts' is not a time: 'yesterday'"),
        ("ts,n\n2026-01-01T00:00Z,1\n2026-01-01T00:05Z,many\n", "line 3: 'n' is not a number"),
        ("ts,n\n", "no rows"),
    ],
)
def test_bad_values_exit_65(
    tmp_path: Path, rows: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(rows)
    code, _, err = run(["detect-series", str(path), "--time-col", "ts", "--value-col", "n"], capsys)
    assert code == 65
    assert message in err


def _european(path: Path, *, sep: str = ";", encoding: str = "utf-8") -> None:
    """300 hourly latencies written the European way (dotted day-first times, decimal
    commas), stepping up by 8 ms at row 200 (2025-03-09 08:00)."""
    values = np.random.default_rng(0).normal(10.0, 1.0, 300)
    values[200:] += 8.0
    times = pd.date_range("2025-03-01", periods=300, freq="1h")
    rows = [f"zeit{sep}latenz_ms"] + [
        f"{t:%d.%m.%Y %H:%M}{sep}" + f"{v:.2f}".replace(".", ",")
        for t, v in zip(times, values, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n", encoding=encoding)


@pytest.mark.parametrize(
    ("sep", "encoding"), [(";", "utf-8"), ("\t", "utf-8-sig")], ids=["semicolons", "tabs-bom"]
)
def test_a_european_csv_is_read_as_score_reads_it(
    tmp_path: Path, sep: str, encoding: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latenz.csv"
    _european(path, sep=sep, encoding=encoding)
    assert path.read_text(encoding="utf-8-sig").splitlines()[1] == f"01.03.2025 00:00{sep}10,13"
    args = ["detect-series", str(path), "--time-col", "zeit", "--value-col", "latenz_ms"]
    code, out, err = run([*args, "--mode", "offline"], capsys)
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["model"] == "robust"
    assert result["change_points"] == ["2025-03-09T08:00:00Z"]


def test_a_comma_in_a_comma_separated_file_is_not_taken_for_a_decimal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "thousands.csv"
    path.write_text('ts,n\n2025-03-01T00:00:00Z,"1,234"\n2025-03-01T01:00:00Z,"1,240"\n')
    code, _, err = run(["detect-series", str(path), "--time-col", "ts", "--value-col", "n"], capsys)
    assert code == 65
    assert "line 2: 'n' is not a number: '1,234'" in err


def test_the_columns_are_found_when_not_named(
    csv_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A two-column file (NAB's ``timestamp,value``, or ``ts,n`` here) needs no options:
    the column that reads as times and the other numeric one, said on stderr."""
    code, named, _ = run(
        ["detect-series", str(csv_file), "--time-col", "ts", "--value-col", "n"], capsys
    )
    assert code == 0
    code, found, err = run(["detect-series", str(csv_file)], capsys)
    assert code == 0
    assert found == named
    assert err == "reading times from 'ts' and values from 'n'\n"
    two = tmp_path / "two.csv"
    _frame().assign(m=1).to_csv(two, index=False)
    code, _, err = run(["detect-series", str(two)], capsys)
    assert code == 64
    assert "which column holds the values? The columns are ts, n, m; pass --value-col" in err
    code, _, err = run(["detect-series", str(two), "--value-col", "n"], capsys)
    assert code == 0 and err == "reading times from 'ts' and values from 'n'\n"
