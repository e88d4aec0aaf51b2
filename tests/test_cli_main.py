"""The command line's shared behaviour: help, version, exit codes, --debug."""

from __future__ import annotations

import subprocess
import sys

import pytest

from detector import __version__
from detector.cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert (code, out.strip()) == (0, f"outage-detector, version {__version__}")


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for command in (
        "score",
        "demo",
        "simulate",
        "detect-series",
        "train",
        "evaluate",
        "serve",
        "models",
    ):
        assert command in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["frobnicate"], capsys)
    assert code == 64
    assert err == "error: No such command 'frobnicate'. (see: outage-detector --help)\n"


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(FileNotFoundError):
        main(["--debug", "score", "nowhere.csv", "--out", "unused-out"])


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "detector", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"outage-detector, version {__version__}"
