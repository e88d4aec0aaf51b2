"""``score --engine dask``: errors of workers, schedulers without workers, Ctrl-C, ports.

- A worker reading an input that is gone (or unreadable) reported a gzip, bz2 or xz
  file as "compressed data is truncated or corrupt" (exit 65) and a zstd file as an
  internal error (exit 70); it now reports what a missing input gets anywhere else,
  "<name>: no such file" (exit 66). Corrupt data is still "truncated or corrupt".
- A ``--scheduler`` without workers made ``score`` wait forever, silently: it now waits
  ``OUTAGE_DASK_WAIT`` seconds (default 30), saying so once on stderr, then fails with
  exit 69; a scheduler that cannot be reached exits 69 too (it was 64, a usage error).
- A Ctrl-C (SIGINT to the process group) reached the LocalCluster's worker processes,
  which printed 50-114 lines of tracebacks; the workers now never take SIGINT, the
  client stops them: one line on stderr, exit 130, --out untouched.
- A default run bound the scheduler's HTTP server on 127.0.0.1:8787, with distributed's
  "Port 8787 is already in use" warning when taken; ``--verbose`` linked to a dashboard
  page saying only that bokeh is missing.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard
from support import run_cli

from detector.batch import engine_dask
from detector.errors import DataError, InputMissingError, UsageError
from detector.ingest.columns import ColumnMapping
from detector.ingest.shares import count_quotes, plan_inputs, plan_shares, record_keys
from detector.paths import project_path

POSTS = (
    b'{"id": "1", "text": "outlook is down for everyone", "created_at": "2025-03-01T10:00:00Z"}\n'
    b'{"id": "2", "text": "lunch was great", "created_at": "2025-03-01T10:01:00Z"}\n'
)
COMPRESS = {
    "plain": ("a.jsonl", lambda data: data),
    "gzip": ("a.jsonl.gz", gzip.compress),
    "bz2": ("a.jsonl.bz2", bz2.compress),
    "xz": ("a.jsonl.xz", lzma.compress),
    "zstd": ("a.jsonl.zst", zstandard.ZstdCompressor().compress),
}


# -- a worker reading a file that is gone ----------------------------------------------
@pytest.mark.parametrize("kind", list(COMPRESS))
def test_a_worker_reading_a_file_gone_says_no_such_file(tmp_path: Path, kind: str) -> None:
    name, compress = COMPRESS[kind]
    path = tmp_path / name
    path.write_bytes(compress(POSTS))
    plans, _ = plan_inputs([path], ColumnMapping())
    [share] = plan_shares(plans)
    path.unlink()  # gone between planning (the client) and reading (a worker)
    with pytest.raises(InputMissingError) as info:
        record_keys(share, "id")
    assert str(info.value) == f"{path}: no such file"
    assert info.value.exit_code == 66


def test_a_worker_counting_quotes_of_a_file_gone_says_no_such_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,text,created_at\n" + "1,mail is down,2025-03-01T10:00:00Z\n" * 50)
    plans, _ = plan_inputs([path], ColumnMapping())
    shares = plan_shares(plans, split_bytes=500)
    path.unlink()
    with pytest.raises(InputMissingError, match=rf"^{path}: no such file$"):
        count_quotes(shares[1])


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz", "zstd"])
def test_corrupt_data_is_still_truncated_or_corrupt(tmp_path: Path, kind: str) -> None:
    name, compress = COMPRESS[kind]
    path = tmp_path / name
    path.write_bytes(compress(POSTS * 20))
    plans, _ = plan_inputs([path], ColumnMapping())
    [share] = plan_shares(plans)
    path.write_bytes(compress(POSTS * 20)[:-12])  # cut short after planning
    with pytest.raises(DataError) as info:
        record_keys(share, "id")
    assert str(info.value) == f"{path}: compressed data is truncated or corrupt"


# -- schedulers without workers, or not there --------------------------------------------
@pytest.fixture()
def empty_scheduler() -> Iterator[str]:
    """The address of a scheduler (in this process) with no worker."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=0,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


def test_a_scheduler_without_workers_is_waited_for_then_unavailable(
    tmp_path: Path,
    empty_scheduler: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "a.jsonl").write_bytes(POSTS)
    monkeypatch.setenv("OUTAGE_DASK_WAIT", "1.5")
    out = tmp_path / "out"
    argv = ["score", str(tmp_path / "a.jsonl"), "--out", str(out), "-q", "--engine", "dask"]
    started = time.monotonic()
    code, _, err = run_cli([*argv, "--scheduler", empty_scheduler], capsys)
    assert code == 69
    assert 1.5 <= time.monotonic() - started < 10
    assert err == (
        f"waiting up to 1.5 s for a worker to join the scheduler {empty_scheduler} "
        "(OUTAGE_DASK_WAIT)\n"
        f"error: scheduler {empty_scheduler} has no workers (waited 1.5 s; "
        f"start one with: dask worker {empty_scheduler})\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "0"])  # 0: distributed waits forever
def test_the_wait_for_workers_must_be_seconds(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("OUTAGE_DASK_WAIT", value)
    with pytest.raises(UsageError) as info:
        engine_dask.worker_wait()
    assert str(info.value) == (
        f"OUTAGE_DASK_WAIT must be a number of seconds above 0. Got {value!r}."
    )


def test_the_wait_for_workers_defaults_to_30_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OUTAGE_DASK_WAIT", raising=False)
    assert engine_dask.worker_wait() == 30.0
    monkeypatch.setenv("OUTAGE_DASK_WAIT", " 2.5 ")
    assert engine_dask.worker_wait() == 2.5


@pytest.mark.slow
def test_a_scheduler_not_listening_is_unavailable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """distributed tries to connect for the 10 s ``score`` gives it."""
    pytest.importorskip("distributed")
    (tmp_path / "a.jsonl").write_bytes(POSTS)
    with socket.socket() as sock:  # a port bound but not listening: connections refused
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
        argv = ["score", str(tmp_path / "a.jsonl"), "--out", str(tmp_path / "out"), "-q"]
        code, _, err = run_cli([*argv, "--engine", "dask", "--scheduler", address], capsys)
    assert code == 69
    assert err == (
        f"error: --scheduler {address}: cannot connect (Timed out trying to connect to "
        f"{address} after 10 s)\n"
    )


# -- Ctrl-C ---------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    """The processes whose parent is *pid* (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _workers(pid: int) -> int:
    """How many of *pid*'s children are multiprocessing workers (not its resource tracker)."""
    count = 0
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        count += b"spawn_main" in command
    return count


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("when", ["workers starting", "workers scoring"])
def test_ctrl_c_prints_one_line_and_leaves_out_untouched(tmp_path: Path, when: str) -> None:
    pytest.importorskip("distributed")
    sample = project_path("data", "samples", "exchange-outage.csv").read_bytes()
    inputs = [tmp_path / f"part-{i}.csv" for i in range(3)]  # some 10 s of scoring
    for path in inputs:
        path.write_bytes(sample)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "detector", "score", *map(str, inputs), "--out", str(out)]
        + ["-q", "--engine", "dask", "--workers", "2", "--dedupe", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wanted = 1 if when == "workers starting" else 2
        deadline = time.monotonic() + 60
        while _workers(proc.pid) < wanted and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1].decode()
            time.sleep(0.02)
        assert _workers(proc.pid) >= wanted, "the workers did not start"
        if when == "workers scoring":
            time.sleep(1.5)
        assert proc.poll() is None, "the run ended before the Ctrl-C"
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole group
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert err.decode() == "\nerror: interrupted\n"
    assert not out.exists()
    deadline = time.monotonic() + 10
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(proc.pid), "worker processes were left behind"


# -- HTTP ports and the dashboard --------------------------------------------------------
@pytest.fixture()
def port_8787_taken() -> Iterator[None]:
    """127.0.0.1:8787 taken for the test (by the test, unless something else has it)."""
    sock = socket.socket()
    try:
        try:
            sock.bind(("127.0.0.1", 8787))
            sock.listen()
        except OSError:
            pass  # taken already: all the same for the test
        yield
    finally:
        sock.close()


@pytest.mark.slow
def test_a_quiet_run_leaves_port_8787_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], port_8787_taken: None
) -> None:
    pytest.importorskip("distributed")
    (tmp_path / "a.jsonl").write_bytes(POSTS)
    argv = ["score", str(tmp_path / "a.jsonl"), "--out", str(tmp_path / "out"), "-q"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = run_cli([*argv, "--engine", "dask", "--workers", "1"], capsys)
    assert code == 0, err
    assert err == ""
    assert [str(w.message) for w in caught if "8787" in str(w.message)] == []


@pytest.mark.slow
def test_verbose_without_bokeh_says_how_to_get_the_dashboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], port_8787_taken: None
) -> None:
    pytest.importorskip("distributed")
    if engine_dask._has_bokeh():  # noqa: SLF001 - the condition under test
        pytest.skip("bokeh is installed: the dashboard is served")
    (tmp_path / "a.jsonl").write_bytes(POSTS)
    argv = ["score", str(tmp_path / "a.jsonl"), "--out", str(tmp_path / "out"), "-q"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = run_cli([*argv, "--engine", "dask", "--workers", "1", "--verbose"], capsys)
    assert code == 0, err
    lines = err.splitlines()
    assert lines.count("dask dashboard needs bokeh (pip install bokeh)") == 1
    assert not [line for line in lines if line.startswith("dask dashboard: ")]
    assert [str(w.message) for w in caught if "8787" in str(w.message)] == []
