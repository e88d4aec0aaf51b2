"""Review of the local engine's eager pool and of the batch pseudonyms: edge cases that
must hold (a reading error with the workers already started, one chunk, one worker,
keys of any length)."""

from __future__ import annotations

import hmac
from collections.abc import Iterator

import pandas as pd
import pytest

from detector.batch.chunks import ScorerSpec
from detector.batch.engine_local import ScoringPool
from detector.batch.outputs import Pseudonymiser
from detector.ingest import ColumnMapping, read_posts
from detector.paths import project_path


@pytest.fixture(scope="module")
def chunks() -> list[pd.DataFrame]:
    sample = project_path("data", "samples", "exchange-outage.csv")
    posts = pd.concat(list(read_posts([sample], ColumnMapping())), ignore_index=True)
    return [posts.iloc[i : i + 1500] for i in range(0, 4500, 1500)]


@pytest.fixture(scope="module")
def expected(chunks: list[pd.DataFrame]) -> list[pd.DataFrame]:
    with ScoringPool(ScorerSpec(), workers=1, pseudonym_key=b"k") as pool:
        return [scored for scored, _ in pool.score(chunks)]


def test_eager_pool_reading_error_one_chunk_and_map(
    chunks: list[pd.DataFrame], expected: list[pd.DataFrame]
) -> None:
    """Workers started before reading: a reading error reaches the caller as itself; one
    chunk is scored on the workers as in one process; the pool then maps on them."""

    def failing() -> Iterator[pd.DataFrame]:
        yield from chunks[:2]
        raise ValueError("the input broke")

    eager = ScoringPool(ScorerSpec(), workers=2, eager=True, pseudonym_key=b"k")
    with pytest.raises(ValueError, match="the input broke"), eager as pool:
        [(scored, _)] = list(pool.score(chunks[:1]))
        pd.testing.assert_frame_equal(scored, expected[0])
        assert pool.map(abs, [-2, 3]) == [2, 3]
        results = pool.imap(abs, [-4, 5, -6])  # one by one, in order
        assert next(results) == 4
        assert list(results) == [5, 6]
        for _ in pool.score(failing()):
            pass


def test_eager_pool_of_one_worker_runs_here(
    chunks: list[pd.DataFrame], expected: list[pd.DataFrame]
) -> None:
    with ScoringPool(ScorerSpec(), workers=1, eager=True, pseudonym_key=b"k") as pool:
        got = [scored for scored, _ in pool.score(chunks)]
        assert pool._executor is None  # noqa: SLF001 - no process was started
    for a, b in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("length", [0, 1, 31, 63, 64, 65, 127, 128, 129, 1000])
def test_pseudonyms_equal_hmac_for_keys_of_any_length(length: int) -> None:
    key = bytes((7 * i + 3) % 256 for i in range(length))
    authors = pd.Series(["alice", "", "bob", None, "😀", "a" * 200], dtype="string")
    got = Pseudonymiser(key).series(authors)
    want = [
        None if a is pd.NA else "u_" + hmac.digest(key, a.encode(), "sha256").hex()[:16]
        for a in authors
    ]
    assert [None if v is pd.NA else v for v in got] == want
    assert Pseudonymiser(key).one("alice") == want[0]


def test_eager_pool_starts_in_the_background_and_keeps_the_order(
    chunks: list[pd.DataFrame], expected: list[pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks read while the workers start wait their turn: results come in input order,
    equal to one process's; a start that fails is raised where the pool is needed."""
    with ScoringPool(ScorerSpec(), workers=2, eager=True, pseudonym_key=b"k") as pool:
        assert pool._ready is not None  # noqa: SLF001 - started in the background
        got = [scored for scored, _ in pool.score(chunks)]
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(a, b)

    def no_fork_server(self: ScoringPool) -> None:
        raise OSError("no fork server here")

    monkeypatch.setattr(ScoringPool, "_new_executor", no_fork_server)
    failing = ScoringPool(ScorerSpec(), workers=2, eager=True)
    with failing as pool, pytest.raises(OSError, match="no fork server here"):
        list(pool.score(chunks))
    with ScoringPool(ScorerSpec(), workers=2, eager=True):
        pass  # never needed: its failed start changes nothing


def test_a_pool_left_while_it_starts_shuts_its_workers_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl+C may leave the pool before its background start ends: the start then shuts
    down the executor it built instead of handing it over."""
    import threading

    built = []
    release = threading.Event()
    original = ScoringPool._new_executor

    def slow_start(self: ScoringPool):  # noqa: ANN202 - the pool's own return type
        release.wait(10)
        built.append(original(self))
        return built[-1]

    monkeypatch.setattr(ScoringPool, "_new_executor", slow_start)
    pool = ScoringPool(ScorerSpec(), workers=2, eager=True).__enter__()
    with pool._lock:  # noqa: SLF001 - what __exit__ does first, before it waits
        pool._closed = True  # noqa: SLF001
    release.set()
    assert pool._ready is not None and pool._ready.wait(30)  # noqa: SLF001
    assert pool._executor is None  # noqa: SLF001 - never handed over
    assert built and built[0]._shutdown_thread  # noqa: SLF001 - and shut down
    pool.__exit__(None, None, None)
