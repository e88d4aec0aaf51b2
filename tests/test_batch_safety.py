"""``score`` on real-world breakage: nothing lost, nothing silent, nothing half-written.

Covers issue 10: broken quotes resynchronised, deep JSON quarantined, no scored
row exits 65 naming the cause, most rows quarantined warns, staged outputs and
interrupted runs, inputs never outputs, exit 73/74 for output problems,
duplicates.csv and ``--dedupe``, ``--tz``.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from detector.batch.outputs import STAGING_PREFIX
from detector.cli.main import main

HEADER = "id,text,created_at"


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def stamp(i: int) -> str:
    return f"2024-05-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"


def write_rows(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return path


def summary_of(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_two_stray_quotes_in_60k_lines_lose_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = []
    for i in range(2, 60_002):  # physical line i holds post i
        text = f"mail down {i}"
        rows.append(f'{i},"{text},{stamp(i)}' if i in (100, 30_100) else f"{i},{text},{stamp(i)}")
    path = write_rows(tmp_path / "big.csv", rows)
    out = tmp_path / "out"
    started = time.perf_counter()
    code, _, err = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    seconds = time.perf_counter() - started
    assert (code, err) == (0, "")
    summary = summary_of(out)
    assert (summary["rows_read"], summary["rows_scored"], summary["rows_quarantined"]) == (
        60_000,
        59_998,
        2,
    )
    assert (summary["lines_read"], summary["lines_scored"], summary["lines_quarantined"]) == (
        60_000,
        59_998,
        2,
    )
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert quarantine["line"].tolist() == [100, 30_100]
    assert quarantine["reason"].tolist() == [
        "unterminated quoted field (broken quote) on line 100: it would have absorbed "
        "lines 101-1099 and more (over 1,000 lines)",
        "unterminated quoted field (broken quote) on line 30100: it would have absorbed "
        "lines 30101-31099 and more (over 1,000 lines)",
    ]
    posts = pd.read_parquet(out / "posts.parquet", columns=["line", "id", "text"])
    assert sorted(posts["line"]) == [n for n in range(2, 60_002) if n not in (100, 30_100)]
    assert (posts["id"].astype(int) == posts["line"]).all()
    assert posts["text"].str.len().max() < 20  # no post swallowed other lines
    assert seconds < 60


def test_stray_quote_closed_by_a_later_one_resynchronises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The two quotes pair up into one well-formed 3-field record spanning lines
    # 3-6: it must not be taken as one post.
    rows = [
        f"1,ok,{stamp(1)}",
        f'2,"opens here,{stamp(2)}',
        f"3,inside,{stamp(3)}",
        f"4,inside,{stamp(4)}",
        f'5,closes here",{stamp(5)}',
        f"6,after,{stamp(6)}",
    ]
    out = tmp_path / "out"
    path = write_rows(tmp_path / "x.csv", rows)
    code, _, _ = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    assert code == 0
    posts = pd.read_parquet(out / "posts.parquet", columns=["line"])
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert sorted(posts["line"]) == [2, 4, 5, 6, 7]  # line 6 reads on its own (quote kept)
    assert quarantine[["line", "reason"]].to_dict("records") == [
        {
            "line": 3,
            "reason": "unterminated quoted field (broken quote) on line 3: "
            "it would have absorbed lines 4-6",
        }
    ]


def test_deeply_nested_json_line_is_quarantined(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [
        json.dumps({"id": str(i), "text": f"mail down {i}", "created_at": stamp(i)})
        for i in range(3)
    ]
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join([good[0], "[" * 1000 + "]" * 1000, good[1], good[2]]) + "\n")
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    assert (code, err) == (0, "")
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert quarantine[["line", "reason"]].to_dict("records") == [
        {"line": 2, "reason": "JSON nested deeper than 64 levels"}
    ]
    assert summary_of(out)["rows_scored"] == 3


def test_no_scored_row_exits_65_and_leaves_out_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_rows(tmp_path / "x.csv", [f"{i},mail down,yesterday" for i in range(4)])
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(path), "--out", str(out)], capsys)
    assert code == 65
    assert err == (
        "error: no row could be scored: all 4 rows were quarantined "
        "(4 unparseable time, first on line 2: unparseable time 'yesterday')\n"
    )
    assert not out.exists()  # absent before the run, absent after


def test_clock_only_time_column_is_joined_with_the_date_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"{i},mail down {i},22-04-2015,22-Apr-15,0{i}:53:50 PM" for i in range(1, 5)]
    path = write_rows(tmp_path / "x.csv", rows, header="Ticket #,text,Date,Month,Time")
    out = tmp_path / "out"
    code, _, _ = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    assert code == 0
    summary = summary_of(out)
    assert summary["rows_scored"] == 4
    assert summary["time_columns"] == {str(path): "Date + Time"}
    posts = pd.read_parquet(out / "posts.parquet", columns=["created_at"])
    assert posts["created_at"].iloc[0] == pd.Timestamp("2015-04-22 13:53:50", tz="UTC")
    code, _, err = run_cli(
        ["score", str(path), "--out", str(tmp_path / "o2"), "--time-col", "Time"], capsys
    )
    assert code == 65
    assert err.count("\n") == 1
    assert "column 'Time' holds clock times only (e.g. '01:53:50 PM'); the dates are in "
    assert "column 'Date'" in err


def test_comcast_complaints_are_scored(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = shared_data / "streams" / "comcast_fcc_complaints_2015.csv"
    out = tmp_path / "out"
    args = ["score", str(path), "--text-col", "Customer Complaint", "-q"]
    code, _, err = run_cli([*args, "--out", str(out)], capsys)
    assert (code, err) == (0, "")
    summary = summary_of(out)
    # 1,988 tickets; none lost as a duplicate (no id, no author: whole rows compared)
    assert (summary["rows_read"], summary["rows_scored"], summary["rows_duplicate"]) == (
        1988,
        1988,
        0,
    )
    code, _, err = run_cli([*args, "--out", str(tmp_path / "o2"), "--time-col", "Time"], capsys)
    assert code == 65
    assert err.startswith("error: no row could be scored: all 1,988 rows were quarantined")
    assert "the dates are in column 'Date'" in err and err.count("\n") == 1


def test_most_rows_quarantined_warns_on_stderr_summary_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"{i},mail down {i},{stamp(i)}" for i in range(2)]
    rows += [f"{i},mail down {i},never" for i in range(2, 5)]
    path = write_rows(tmp_path / "x.csv", rows)
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    assert code == 0
    warning = (
        "3 of 5 rows (60%) were quarantined (3 unparseable time, first on line 4: "
        "unparseable time 'never'); see quarantine.csv"
    )
    assert err == f"warning: {warning}\n"
    assert summary_of(out)["warnings"] == [warning]
    assert "Warning: 3 of 5 rows (60%) were quarantined" in (out / "report.html").read_text()


@pytest.mark.parametrize("name", ["posts.parquet", "quarantine.csv", "summary.json"])
def test_an_input_that_is_an_output_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    source = write_rows(tmp_path / "x.csv", [f"1,mail down,{stamp(1)}"])
    target = out / name
    target.write_bytes(source.read_bytes())
    code, _, err = run_cli(["score", str(target), "--out", str(out)], capsys)
    assert code == 64
    assert err == (
        f"error: {target}: is also an output of this run (it would be overwritten); "
        "write to another --out\n"
    )
    assert target.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in out.iterdir()) == [name]


def test_an_input_inside_out_with_another_name_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    path = write_rows(out / "export.csv", [f"1,mail down,{stamp(1)}"])
    before = path.read_bytes()
    code, _, _ = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    assert code == 0 and path.read_bytes() == before


def test_out_under_a_regular_file_exits_73(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_rows(tmp_path / "x.csv", [f"1,mail down,{stamp(1)}"])
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    code, _, err = run_cli(["score", str(path), "--out", str(blocker / "sub")], capsys)
    assert (code, err) == (
        73,
        f"error: --out {blocker / 'sub'}: cannot create it, a parent is a file\n",
    )
    code, _, err = run_cli(["score", str(path), "--out", str(blocker)], capsys)
    assert (code, err) == (73, f"error: --out {blocker}: exists and is not a directory\n")


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")
def test_out_where_no_folder_can_be_made_exits_73(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_rows(tmp_path / "x.csv", [f"1,mail down,{stamp(1)}"])
    code, _, err = run_cli(["score", str(path), "--out", "/proc/outage-detector-test"], capsys)
    assert code == 73
    assert err.startswith("error: --out /proc/outage-detector-test: cannot create the folder (")
    assert err.count("\n") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_unwritable_out_exits_73(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_rows(tmp_path / "x.csv", [f"1,mail down,{stamp(1)}"])
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        code, _, err = run_cli(["score", str(path), "--out", str(out)], capsys)
    finally:
        out.chmod(0o700)
    assert (code, err) == (73, f"error: --out {out}: folder is not writable (permission denied)\n")


def test_disk_full_while_writing_exits_74(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from detector.batch import pipeline

    def full(obj: object, path: Path) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pipeline, "write_json", full)
    path = write_rows(tmp_path / "x.csv", [f"1,mail down,{stamp(1)}"])
    out = tmp_path / "out"
    code, _, err = run_cli(["score", str(path), "--out", str(out)], capsys)
    assert code == 74
    assert err == (f"error: --out {out}: writing incidents.json failed (No space left on device)\n")
    assert not out.exists()  # it was absent before: the staging folder and --out are gone


def _limit_file_size() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_file_too_large_for_the_process_limit_exits_74(tmp_path: Path) -> None:
    rows = [f"{i},mail is down again number {i},{stamp(i)}" for i in range(3000)]
    path = write_rows(tmp_path / "x.csv", rows)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "detector", "score", str(path), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        timeout=120,
    )
    assert done.returncode == 74, done.stderr
    assert done.stderr.startswith(f"error: --out {out}: writing ")
    assert "File too large" in done.stderr and done.stderr.count("\n") == 1
    assert not out.exists()  # absent before the run, absent after


def _start_and_interrupt(
    args: list[str], out: Path, sig: int = signal.SIGINT
) -> subprocess.CompletedProcess[str]:
    """Start ``score``, send *sig* once its staging folder holds a posts.parquet.

    The child gets SIGINT's default action back before it starts: a shell starts a
    background job (``pytest ... &``) with SIGINT ignored, children inherit that, and a
    Python started with SIGINT ignored never raises KeyboardInterrupt: the run would
    finish and exit 0 (as it should for a user's background job)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "detector", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        staged = [p for p in out.glob(f"{STAGING_PREFIX}*/posts.parquet") if p.stat().st_size]
        if staged:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def slow_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export big enough to interrupt mid-way on a busy machine (1M posts, chunks of 50k)."""
    path = tmp_path_factory.mktemp("slow") / "slow.csv"
    rows = [f"{i},outlook is down for me {i % 977},{stamp(i % 86_400)}" for i in range(1_000_000)]
    return write_rows(path, rows)


def test_interrupted_rerun_keeps_the_previous_outputs(tmp_path: Path, slow_export: Path) -> None:
    out = tmp_path / "out"
    small = write_rows(tmp_path / "small.csv", [f"{i},mail down {i},{stamp(i)}" for i in range(9)])
    first = subprocess.run(
        [sys.executable, "-m", "detector", "score", str(small), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    done = _start_and_interrupt(
        ["score", str(slow_export), "--out", str(out), "-q", "--workers", "1"], out
    )
    assert done.returncode == 130
    assert done.stderr.strip() == "error: interrupted"  # click adds a newline after ^C
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_interrupted_first_run_leaves_no_outputs(tmp_path: Path, slow_export: Path) -> None:
    out = tmp_path / "fresh"
    done = _start_and_interrupt(
        ["score", str(slow_export), "--out", str(out), "-q", "--workers", "1"], out
    )
    assert done.returncode == 130
    assert not out.exists()  # absent before the run, absent after


def test_terminated_run_removes_its_staging_folder(tmp_path: Path, slow_export: Path) -> None:
    # `kill` (SIGTERM) used to end the process outright, leaving the hidden folder behind
    out = tmp_path / "out"
    (out).mkdir()
    (out / "keep.txt").write_text("mine")
    done = _start_and_interrupt(
        ["score", str(slow_export), "--out", str(out), "-q", "--workers", "1"],
        out,
        signal.SIGTERM,
    )
    assert done.returncode == 128 + signal.SIGTERM
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["missing.csv"], 66, "error: missing.csv: no such file\n"),
        (
            ["x.csv", "--tz", "Mars/X"],
            64,
            "error: --tz: unknown time zone 'Mars/X' (use an IANA name such as America/New_York)\n",
        ),
    ],
)
def test_a_failed_run_does_not_create_out(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_rows(tmp_path / "x.csv", [f"1,mail down,{stamp(1)}"])
    out = tmp_path / "new" / "out"
    got, _, err = run_cli(["score", *args, "--out", str(out)], capsys)
    assert (got, err) == (code, message)
    assert list(tmp_path.iterdir()) == [tmp_path / "x.csv"]


def test_stale_staging_folder_of_a_killed_run_is_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f"{STAGING_PREFIX}{dead.pid}-abc"
    stale.mkdir(parents=True)
    (stale / "posts.parquet").write_bytes(b"partial")
    path = write_rows(tmp_path / "x.csv", [f"1,mail down,{stamp(1)}"])
    code, _, _ = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    assert code == 0
    assert not stale.exists()


DUP_HEADER = "ticket,text,created_at,city"


def test_duplicates_are_listed_with_the_line_they_repeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No id and no author column: a repeated text is kept unless the whole row repeats.
    rows = [
        "1,slow internet,2015-04-22T10:00:00Z,Abingdon",  # line 2
        "2,slow internet,2015-04-22T10:00:00Z,Acworth",  # other ticket: kept
        "1,slow internet,2015-04-22T10:00:00Z,Abingdon",  # exact repeat of line 2
        "3,no service,2015-04-22T10:05:00Z,Boston",
    ]
    path = write_rows(tmp_path / "x.csv", rows, header=DUP_HEADER)
    out = tmp_path / "out"
    code, _, _ = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    assert code == 0
    duplicates = pd.read_csv(out / "duplicates.csv")
    assert duplicates.to_dict("records") == [
        {
            "source_file": str(path),
            "line": 4,
            "duplicate_of_file": str(path),
            "duplicate_of_line": 2,
            "key": "row",
            "raw": "1,slow internet,2015-04-22T10:00:00Z,Abingdon",
        }
    ]
    summary = summary_of(out)
    assert (summary["rows_scored"], summary["rows_duplicate"], summary["dedupe"]) == (3, 1, "id")
    # --dedupe text: same text in the same minute is one post, whatever the ticket
    code, _, _ = run_cli(["score", str(path), "--out", str(out), "-q", "--dedupe", "text"], capsys)
    assert code == 0
    duplicates = pd.read_csv(out / "duplicates.csv")
    assert duplicates[["line", "duplicate_of_line", "key"]].to_dict("records") == [
        {"line": 3, "duplicate_of_line": 2, "key": "text+minute"},
        {"line": 4, "duplicate_of_line": 2, "key": "text+minute"},
    ]
    # --dedupe none: every row is scored
    code, _, _ = run_cli(["score", str(path), "--out", str(out), "-q", "--dedupe", "none"], capsys)
    assert code == 0
    assert summary_of(out)["rows_scored"] == 4
    assert len(pd.read_csv(out / "duplicates.csv")) == 0


def test_duplicate_ids_across_files_name_the_first_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_rows(tmp_path / "a.csv", [f"7,mail down,{stamp(1)}"])
    b = write_rows(tmp_path / "b.csv", [f"8,other,{stamp(2)}", f"7,mail down again,{stamp(3)}"])
    out = tmp_path / "out"
    args = ["score", str(a), str(b), "--out", str(out), "-q", "--workers", "1"]
    code, _, _ = run_cli(args, capsys)
    assert code == 0
    duplicates = pd.read_csv(out / "duplicates.csv")
    assert duplicates[
        ["source_file", "line", "duplicate_of_file", "duplicate_of_line", "key"]
    ].to_dict("records") == [
        {
            "source_file": str(b),
            "line": 3,
            "duplicate_of_file": str(a),
            "duplicate_of_line": 2,
            "key": "id",
        }
    ]


def test_tz_applies_to_times_without_a_zone_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        "1,mail down,2/24/2015 11:35",
        "2,mail down again,2015-02-24T11:35:00Z",
        "3,still down,2015-02-24 11:35:00+01:00",
    ]
    path = write_rows(tmp_path / "x.csv", rows, header="id,text,created_at_local_pst")
    out = tmp_path / "out"
    args = ["score", str(path), "--out", str(out), "-q"]
    code, _, _ = run_cli([*args, "--tz", "America/Los_Angeles"], capsys)
    assert code == 0
    posts = pd.read_parquet(out / "posts.parquet", columns=["id", "created_at"])
    got = dict(zip(posts["id"], posts["created_at"].dt.strftime("%H:%M"), strict=True))
    assert got == {"1": "19:35", "2": "11:35", "3": "10:35"}
    assert summary_of(out)["tz"] == "America/Los_Angeles"
    assert "times without a zone read as America/Los_Angeles" in (out / "report.html").read_text()
    code, _, _ = run_cli(args, capsys)
    posts = pd.read_parquet(out / "posts.parquet", columns=["id", "created_at"])
    assert posts["created_at"].dt.strftime("%H:%M").tolist()[0] == "11:35"
    assert summary_of(out)["tz"] == "UTC"
    code, _, err = run_cli([*args, "--tz", "Mars/Olympus"], capsys)
    assert code == 64
    assert err == (
        "error: --tz: unknown time zone 'Mars/Olympus' "
        "(use an IANA name such as America/New_York)\n"
    )


def test_lines_are_accounted_for_with_multiline_records_and_blank_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        HEADER
        + "\n"
        + f'1,"two\nlines",{stamp(1)}\n'  # lines 2-3
        + "\n"  # line 4: blank
        + '2,"no time\nhere",\n'  # lines 5-6: quarantined, span in the reason
        + f"3,plain,{stamp(3)}\n"  # line 7
        + f"3,plain,{stamp(3)}\n"  # line 8: duplicate of line 7
    )
    out = tmp_path / "out"
    code, _, _ = run_cli(["score", str(path), "--out", str(out), "-q"], capsys)
    assert code == 0
    summary = summary_of(out)
    assert {k: v for k, v in summary.items() if k.startswith("lines_")} == {
        "lines_read": 7,
        "lines_scored": 3,
        "lines_quarantined": 2,
        "lines_duplicate": 1,
        "lines_blank": 1,
        "lines_header": 1,
    }
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert quarantine[["line", "reason"]].to_dict("records") == [
        {"line": 5, "reason": "missing time (record spans lines 5-6)"}
    ]
