"""A time column that is not one (zip codes, tweet ids) is read as epoch numbers; the
run says so instead of presenting "incidents" of 1970 or 1988 at face value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_cli


def _export(tmp_path: Path, column: str, values: list[str]) -> Path:
    path = tmp_path / "posts.csv"
    rows = [f"{i},outlook is down again,{v}\n" for i, v in enumerate(values)]
    path.write_text(f"id,text,{column}\n" + "".join(rows))
    return path


@pytest.mark.parametrize(
    ("column", "values", "first_day"),
    [
        ("Zip code", ["21009", "30062", "94110"], "1970-01-01"),  # epoch seconds
        ("tweet_id", ["569587371693355008", "569587242672398336"], "1988-01-19"),  # nanoseconds
    ],
)
def test_times_before_1990_are_flagged(
    column: str, values: list[str], first_day: str, tmp_path: Path, capsys
) -> None:
    source = _export(tmp_path, column, values)
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(source), "--out", str(out), "--time-col", column], capsys)
    assert code == 0
    expected = f"the posts' times start on {first_day}, before 1990: is '{column}' really"
    assert expected in err
    summary = json.loads((out / "summary.json").read_text())
    assert any(w.startswith(expected) for w in summary["warnings"])


def test_ordinary_times_raise_no_such_warning(tmp_path: Path, capsys) -> None:
    source = _export(tmp_path, "created_at", ["2019-06-19T23:59:35Z", "2019-06-20T00:10:00Z"])
    code, _, err = run_cli(["score", str(source), "--out", str(tmp_path / "out")], capsys)
    assert code == 0
    assert "before 1990" not in err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert not any("before 1990" in w for w in summary["warnings"])


def test_an_empty_input_beside_old_times_still_warns(tmp_path: Path, capsys) -> None:
    # an empty file has no time column (None in summary.json's time_columns): the warning
    # names the others' (sorting None with the names crashed the run, exit 70)
    source = _export(tmp_path, "Zip code", ["21009", "30062"])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    out = tmp_path / "out"
    argv = ["score", str(source), str(empty), "--out", str(out), "--time-col", "Zip code", "-q"]
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert None in summary["time_columns"].values()
    expected = "the posts' times start on 1970-01-01, before 1990: is 'Zip code' really"
    assert any(w.startswith(expected) for w in summary["warnings"])
