"""`outage-detector simulate` through the real entry point: exit codes, files, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detector.cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def test_simulate_writes_export_and_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "posts.csv"
    code, stdout, stderr = run(
        [
            "simulate",
            "--scenario",
            "exchange-outage",
            "--out",
            str(out),
            "--seed",
            "3",
            "--posts",
            "2000",
        ],
        capsys,
    )
    assert code == 0, stderr
    assert out.is_file()
    truth = json.loads((tmp_path / "posts.truth.json").read_text())
    assert truth["scenario"] == "exchange-outage" and truth["seed"] == 3
    assert [o["service"] for o in truth["outages"]] == ["Exchange Online"]
    assert out.read_text().count("\n") >= 2000
    assert stdout.startswith("wrote 2,000 posts to ")
    assert "(1 outage)" in stdout


def test_same_command_same_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a", "b"):
        code, _, _ = run(
            [
                "simulate",
                "--scenario",
                "multi-outage",
                "--out",
                str(tmp_path / f"{name}.jsonl"),
                "--seed",
                "9",
                "--posts",
                "1000",
            ],
            capsys,
        )
        assert code == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_load_honours_posts_and_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "load.parquet"
    code, stdout, _ = run(
        ["simulate", "--scenario", "load", "--out", str(out), "--posts", "1234", "--days", "2"],
        capsys,
    )
    assert code == 0
    assert "wrote 1,234 posts" in stdout
    truth = json.loads((tmp_path / "load.truth.json").read_text())
    assert truth["start"] == "2025-03-03T00:00:00Z" and truth["end"] == "2025-03-05T00:00:00Z"


def test_unknown_scenario_is_a_usage_error_listing_the_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = run(
        ["simulate", "--scenario", "exchange", "--out", str(tmp_path / "x.csv")], capsys
    )
    assert code == 64
    assert stderr.strip() == (
        "error: Unknown scenario 'exchange'. Choose one of: "
        "exchange-outage, load, multi-outage, quiet-day."
    )
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "load", "--out", "x.xlsx"], "unsupported extension"),
        (["--scenario", "load", "--out", "x.csv", "--seed", "-1"], "'--seed'"),
        (["--scenario", "load", "--out", "x.csv", "--posts", "0"], "'--posts'"),
        (["--scenario", "load", "--out", "x.csv", "--days", "0"], "'--days'"),
        (["--scenario", "multi-outage", "--out", "x.csv", "--days", "1"], "must be >= 1.5"),
        (["--out", "x.csv"], "Missing option '--scenario'"),
    ],
)
def test_bad_options_exit_64_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, stderr = run(["simulate", *args], capsys)
    assert code == 64
    assert message in stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr


def test_help_documents_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(["simulate", "--help"], capsys)
    assert code == 0
    flat = " ".join(stdout.split())
    for name in ("exchange-outage:", "quiet-day:", "multi-outage:", "load:"):
        assert name in flat
    assert "--posts" in flat and "--days" in flat and ".truth.json" in flat


def test_unwritable_output_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    code, _, stderr = run(
        ["simulate", "--scenario", "quiet-day", "--out", str(blocker / "x.csv"), "--posts", "5"],
        capsys,
    )
    assert code == 73  # cannot create an output, as score says (it said 64, usage)
    assert stderr == (
        f"error: cannot create the output file '{blocker / 'x.csv'}': a folder on its path "
        "is a file\n"
    )


def _limit_file_size() -> None:  # runs in the child before exec
    import resource
    import signal

    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_a_file_too_large_exits_74(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "big.csv"
    done = subprocess.run(
        [sys.executable, "-m", "detector", "simulate", "--scenario", "quiet-day"]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        timeout=120,
    )
    assert done.returncode == 74, done.stderr
    assert done.stderr == f"error: writing the output file '{out}' failed (File too large)\n"
