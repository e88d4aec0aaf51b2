"""Live detection on the database: closing buckets in event time, incidents, restart replay."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from detector.api.alerts import enqueue
from detector.api.db import Database
from detector.api.intake import ALL_SERVICES
from detector.api.live import LiveDetector
from detector.api.settings import Settings
from detector.errors import UsageError

BS = 300
T0 = 1_763_200_800  # 2025-11-15T10:00:00Z, a bucket start


def feed(db: Database, service: str, counts: list[tuple[int, int]], start: int = 0) -> None:
    """Store ``(outage_posts, all_posts)`` per bucket from bucket *start* on, as intake does."""
    with db.write() as con:
        for i, (outage, total) in enumerate(counts, start=start):
            bucket = T0 + i * BS
            for name in (service, ALL_SERVICES):
                con.execute(
                    "INSERT INTO counts (service, bucket, all_posts, outage_posts) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (service, bucket) DO UPDATE SET "
                    "all_posts = all_posts + excluded.all_posts, "
                    "outage_posts = outage_posts + excluded.outage_posts",
                    (name, bucket, total, outage),
                )
                con.execute(
                    "INSERT INTO services VALUES (?, ?, ?) ON CONFLICT (service) DO UPDATE SET "
                    "first_bucket = min(first_bucket, excluded.first_bucket), "
                    "last_bucket = max(last_bucket, excluded.last_bucket)",
                    (name, bucket, bucket),
                )
        newest = T0 + (start + len(counts) - 1) * BS + BS - 1
        con.execute(
            "INSERT INTO counters VALUES ('max_event', ?) ON CONFLICT (name) "
            "DO UPDATE SET value = max(value, excluded.value)",
            (newest,),
        )


def rows(db: Database, sql: str, *args: object) -> list[tuple]:
    return db.read().execute(sql, args).fetchall()


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "state.db", bucket_seconds=BS)
    yield database
    database.close()


SETTINGS = Settings(db="unused.db")
#: Enough quiet buckets (a day and an hour) for the engine to leave its warm-up.
N_QUIET = 300
QUIET = [(2, 10)] * N_QUIET
SURGE = [(40, 60)] * 4
AFTER = [(2, 10)] * 20  # the engine resolves after 45 min back to normal


def test_buckets_close_only_after_the_late_allowance(db: Database) -> None:
    live = LiveDetector(db, SETTINGS)
    feed(db, "Gmail", QUIET[:5])
    live.catch_up()
    # newest post in bucket 4; two buckets of allowance: buckets 0..1 are closed
    assert live.frontier() == T0 + 2 * BS
    judged = rows(db, "SELECT bucket FROM counts WHERE service = 'Gmail' AND status IS NOT NULL")
    assert [b for (b,) in judged] == [T0, T0 + BS]
    assert db.counter("judged_until") == T0 + 2 * BS


def test_a_surge_opens_escalates_and_resolves_an_incident(db: Database) -> None:
    live = LiveDetector(db, SETTINGS)
    feed(db, "Gmail", QUIET + SURGE + AFTER)
    events = live.catch_up()
    kinds = [(e.service, e.kind) for e in events]
    assert ("Gmail", "open") in kinds and ("Gmail", "resolve") in kinds
    (inc,) = rows(
        db,
        "SELECT status, started_at, detected_at, resolved_at, peak_posts, severity "
        "FROM incidents WHERE service = 'Gmail'",
    )
    status, started, detected, resolved, peak, severity = inc
    assert status == "resolved"
    surge = T0 + N_QUIET * BS
    assert started == surge < detected <= surge + 3 * BS
    assert resolved == surge + len(SURGE) * BS  # the estimated return to the baseline
    assert peak == 40 and severity == "major"
    for service in ("Gmail", ALL_SERVICES):
        history = rows(
            db,
            "SELECT kind FROM incident_events e JOIN incidents i ON e.incident_id = i.id "
            "WHERE service = ? ORDER BY e.id",
            service,
        )
        assert [k for (k,) in history if k != "escalate"] == ["open", "resolve"]


def test_the_outbox_gets_one_delivery_per_event_and_url(db: Database) -> None:
    urls = ("http://127.0.0.1:9/a", "http://127.0.0.1:9/b")
    live = LiveDetector(db, SETTINGS, on_events=lambda con, ev: enqueue(con, ev, urls))
    feed(db, "Gmail", QUIET + SURGE + AFTER)
    events = live.catch_up()
    deliveries = rows(db, "SELECT event_id, url, payload, status FROM deliveries")
    gmail = [e.id for e in events if e.service == "Gmail"]
    # 'all services' only repeats Gmail's incident here: it is not alerted
    assert sorted(d[0] for d in deliveries) == sorted(gmail * 2) and len(events) > len(gmail)
    body = json.loads(deliveries[0][2])
    assert body["text"].startswith("[outage-detector] ")
    assert {d[3] for d in deliveries} == {"pending"}


def test_a_restart_continues_exactly_where_the_last_commit_left_off(tmp_path: Path) -> None:
    before, after = QUIET + SURGE * 2, SURGE + AFTER
    straight = Database(tmp_path / "a.db", bucket_seconds=BS)
    one = LiveDetector(straight, SETTINGS)
    feed(straight, "Gmail", before)
    one.catch_up()
    feed(straight, "Gmail", after, start=len(before))
    one.catch_up()

    split = Database(tmp_path / "b.db", bucket_seconds=BS)
    feed(split, "Gmail", before)
    LiveDetector(split, SETTINGS).catch_up()
    open_before = rows(split, "SELECT id FROM incidents WHERE status = 'open'")
    restarted = LiveDetector(split, SETTINGS)  # a new process: replays the stored counts
    # the newest bucket and the two of the late allowance are still open
    assert restarted.restore() == 2 * (len(before) - 1 - SETTINGS.late_buckets)
    feed(split, "Gmail", after, start=len(before))
    restarted.catch_up()

    query = "SELECT service, bucket, baseline, status, score FROM counts ORDER BY service, bucket"
    assert rows(straight, query) == rows(split, query)
    query = "SELECT service, status, started_at, detected_at, resolved_at, severity FROM incidents"
    assert rows(straight, query) == rows(split, query)
    assert open_before  # open across the restart, then resolved by the new process
    assert rows(split, "SELECT status FROM incidents WHERE id = ?", open_before[0][0]) == [
        ("resolved",)
    ]


def test_a_restart_after_a_silent_gap_and_a_dormant_service_matches_no_restart(
    tmp_path: Path,
) -> None:
    settings = Settings(db="unused.db", max_gap_buckets=12)

    def story(db: Database, restart: bool) -> None:
        live = LiveDetector(db, settings)
        feed(db, "Slack", [(1, 3)] * 20)
        feed(db, "Gmail", [(2, 10)] * 40)  # Slack goes quiet: dormant after 12 buckets
        live.catch_up()
        feed(db, "Gmail", QUIET, start=100)  # a silent gap of 60 buckets
        live.catch_up()
        if restart:
            live = LiveDetector(db, settings)
        feed(db, "Gmail", SURGE * 2 + AFTER, start=100 + len(QUIET))
        feed(db, "Slack", [(1, 3)] * 5, start=100 + len(QUIET))
        live.catch_up()

    straight = Database(tmp_path / "a.db", bucket_seconds=BS)
    split = Database(tmp_path / "b.db", bucket_seconds=BS)
    story(straight, restart=False)
    story(split, restart=True)
    query = "SELECT service, bucket, baseline, status, score FROM counts ORDER BY service, bucket"
    assert rows(straight, query) == rows(split, query)
    query = "SELECT service, status, started_at, detected_at, resolved_at, severity FROM incidents"
    assert rows(straight, query) == rows(split, query)
    assert rows(split, "SELECT count(*) FROM incidents WHERE service = 'Gmail'") == [(1,)]


def test_a_silent_gap_restarts_detection_instead_of_judging_every_empty_bucket(
    db: Database,
) -> None:
    settings = Settings(db="unused.db", max_gap_buckets=12)
    live = LiveDetector(db, settings)
    busy = QUIET + SURGE * 2
    feed(db, "Gmail", busy)
    live.catch_up()
    assert rows(db, "SELECT count(*) FROM incidents WHERE status = 'open'") == [(2,)]
    feed(db, "Gmail", QUIET[:5], start=len(busy) + 30)  # 2.5 hours later
    live.catch_up()
    judged = rows(db, "SELECT count(*) FROM counts WHERE service = 'Gmail' AND status NOT NULL")
    assert judged == [(len(busy) + 2,)]  # the busy buckets and 2 after the gap, none between
    assert rows(db, "SELECT status, resolved_at FROM incidents WHERE service = 'Gmail'") == [
        ("resolved", T0 + len(busy) * BS)  # resolved where the posts stopped
    ]


def test_a_database_made_with_another_bucket_is_refused(tmp_path: Path) -> None:
    Database(tmp_path / "s.db", bucket_seconds=300).close()
    with pytest.raises(UsageError, match="created with a bucket of 300 s"):
        Database(tmp_path / "s.db", bucket_seconds=60)


def test_state_is_a_plain_sqlite_file_in_wal_mode(db: Database) -> None:
    con = sqlite3.connect(db.path)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    con.close()


def test_a_quiet_service_is_judged_only_where_it_has_posts(
    db: Database,
) -> None:
    live = LiveDetector(db, Settings(db="unused.db", max_gap_buckets=12))
    feed(db, "Gmail", [(1, 2)] * 5)
    feed(db, "Slack", [(1, 2)] * 60)
    live.catch_up()

    def judged(service: str) -> list[int]:
        found = rows(
            db,
            "SELECT (bucket - ?) / ? FROM counts WHERE service = ? AND status NOT NULL "
            "ORDER BY bucket",
            T0,
            BS,
            service,
        )
        return [b for (b,) in found]

    # Gmail's last post is in bucket 4 and it stays 'ok': its empty buckets cannot raise an
    # alarm, so they are not judged one by one (the engine counts them as zeros later)
    assert judged("Gmail") == list(range(0, 5))
    assert judged("Slack") == list(range(0, 57))
    feed(db, "Gmail", [(1, 2)] * 10, start=60)  # Gmail is talked about again
    live.catch_up()
    assert judged("Gmail")[5:] == list(range(60, 67))
    assert live._tracks["Gmail"].tracker.n_updates == 67  # the 55 silent buckets as zeros


def test_back_dated_posts_of_new_services_cost_one_step_each_in_short_transactions(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import detector.api.live as live_module

    monkeypatch.setattr(live_module, "CHUNK_STEPS", 500)
    live = LiveDetector(db, SETTINGS)
    feed(db, "Gmail", [(1, 3)] * 2000)  # a week of posts: Gmail and 'all services' are judged
    live.catch_up(budget=1000)  # two transactions of 250 buckets, then it stops
    assert db.counter("judged_until") == T0 + 500 * BS
    live.catch_up()  # the rest, 500 steps per transaction
    assert db.counter("judged_until") == live.frontier()
    judged_before = rows(db, "SELECT count(*) FROM counts WHERE status NOT NULL")[0][0]
    for i in range(300):  # 300 services never seen, one post each, dated 6 days back
        feed(db, f"new-{i}", [(0, 1)], start=200)
    assert live.catch_up() == []
    judged = rows(db, "SELECT count(*) FROM counts WHERE status NOT NULL")[0][0]
    assert judged - judged_before == 300  # one judged bucket per new service
    assert rows(db, "SELECT count(DISTINCT next_bucket) FROM service_state") == [(1,)]


def test_a_week_of_silence_keeps_the_baseline_as_batch_score_does(db: Database) -> None:
    """A replay of a sparse export: no post at all for a week (more than the gap limit),
    then a surge. The windows restart after the gap and the baseline is kept, so the live
    judgement equals batch ``score``'s engine on the same counts (a fresh engine after the
    gap warmed up again, and the shared app reviews gave 1 incident live, 4 in batch)."""
    import pandas as pd

    from detector.incidents.tracker import track_series

    live = LiveDetector(db, SETTINGS)  # the default gap limit, 2016 buckets
    before, after = QUIET * 4, QUIET + SURGE * 2 + AFTER
    start = len(before) + 2100  # a week of 5-minute buckets later
    feed(db, "Gmail", before)
    live.catch_up()
    feed(db, "Gmail", after, start=start)
    live.catch_up()
    judged = rows(
        db,
        "SELECT bucket, baseline, status FROM counts WHERE service = 'Gmail' "
        "AND status NOT NULL ORDER BY bucket",
    )
    offsets = [*range(len(before)), *range(start, start + len(after))]
    counts = [*before, *after]
    batch = track_series(
        [T0 + i * BS for i in offsets],
        [o for o, _ in counts],
        [a for _, a in counts],
        step=pd.Timedelta(seconds=BS),
        peak_bucket=pd.Timedelta(seconds=BS),
    )
    steps = batch.steps.set_index(pd.DatetimeIndex(batch.steps["at"]).as_unit("s").asi8)
    assert len(judged) > len(before) + len(QUIET)
    expected = [(b, round(steps.at[b, "expected"], 4), steps.at[b, "status"]) for b, _, _ in judged]
    assert expected == [(b, e, s) for b, e, s in judged]
    incidents = rows(db, "SELECT started_at, detected_at FROM incidents WHERE service = 'Gmail'")
    assert [
        (int(i.started_at.value // 10**9), int(i.detected_at.value // 10**9))
        for i in batch.incidents
    ] == incidents
    assert len(incidents) == 1


def _story(db: Database, settings: Settings, restart: bool) -> None:
    """A day of quiet posts, (a restart,) then a surge."""
    live = LiveDetector(db, settings)
    feed(db, "Gmail", QUIET)
    live.catch_up()
    if restart:
        live = LiveDetector(db, settings)
    feed(db, "Gmail", SURGE * 2 + AFTER, start=N_QUIET)
    live.catch_up()


JUDGED = "SELECT service, bucket, baseline, status, score FROM counts ORDER BY service, bucket"
INCIDENTS = "SELECT service, status, started_at, detected_at, resolved_at, severity FROM incidents"


def test_a_restart_resumes_from_saved_engines_whatever_the_replay_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import detector.api.live as live_module

    settings = Settings(db="unused.db", replay_buckets=24)  # replays 2 hours at most
    monkeypatch.setattr(live_module, "SNAPSHOT_SECONDS", 3600)  # saved every 1-2 hours
    straight = Database(tmp_path / "a.db", bucket_seconds=BS)
    _story(straight, settings, restart=False)
    split = Database(tmp_path / "b.db", bucket_seconds=BS)
    _story(split, settings, restart=True)
    assert rows(straight, JUDGED) == rows(split, JUDGED)
    assert rows(straight, INCIDENTS) == rows(split, INCIDENTS)
    saved = rows(split, "SELECT service, next_bucket FROM engine_snapshots ORDER BY service")
    assert [s for s, _ in saved] == ["Gmail", ALL_SERVICES]
    # the replay window alone would not do: without saved engines the restart differs
    monkeypatch.setattr(live_module, "SNAPSHOT_SECONDS", 10**9)
    replayed = Database(tmp_path / "c.db", bucket_seconds=BS)
    _story(replayed, settings, restart=True)
    assert rows(replayed, "SELECT count(*) FROM engine_snapshots") == [(0,)]
    assert rows(straight, JUDGED) != rows(replayed, JUDGED)


def test_a_damaged_saved_engine_is_replayed_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import detector.api.live as live_module

    monkeypatch.setattr(live_module, "SNAPSHOT_SECONDS", 3600)
    straight = Database(tmp_path / "a.db", bucket_seconds=BS)
    _story(straight, SETTINGS, restart=False)
    split = Database(tmp_path / "b.db", bucket_seconds=BS)
    live = LiveDetector(split, SETTINGS)
    feed(split, "Gmail", QUIET)
    live.catch_up()
    with split.write() as con:
        con.execute("UPDATE engine_snapshots SET state = x'00' WHERE service = 'Gmail'")
    live = LiveDetector(split, SETTINGS)
    with caplog.at_level("INFO", logger="detector.api.live"):
        live.restore()
    assert "replaying Gmail instead of its saved engine: damaged snapshot" in caplog.text
    feed(split, "Gmail", SURGE * 2 + AFTER, start=N_QUIET)
    live.catch_up()
    # the default window (28 days) replays the whole day: the same result
    assert rows(straight, JUDGED) == rows(split, JUDGED)
    assert rows(straight, INCIDENTS) == rows(split, INCIDENTS)


def test_a_resolved_incident_keeps_its_terms_and_lists_like_batch_score(db: Database) -> None:
    from detector.api.queries import list_incidents
    from detector.text.catalog import Catalog

    live = LiveDetector(db, SETTINGS)
    feed(db, "Gmail", QUIET + SURGE + AFTER)
    surge = T0 + N_QUIET * BS
    with db.write() as con:
        for i in range(len(SURGE)):
            bucket = surge + i * BS
            for k, text in enumerate(["gmail down, inbox not loading", "inbox not loading ugh"]):
                con.execute(
                    "INSERT INTO samples VALUES ('Gmail', ?, ?, ?)", (bucket, f"{i}-{k}", text)
                )
            con.execute("INSERT INTO symptoms VALUES ('Gmail', ?, 'app', 30)", (bucket,))
        # posts of the bucket where the incident resolved are not the incident's
        con.execute(
            "INSERT INTO samples VALUES ('Gmail', ?, 'after', 'all good now')",
            (surge + len(SURGE) * BS,),
        )
        con.execute(
            "INSERT INTO symptoms VALUES ('Gmail', ?, 'access', 5)", (surge + len(SURGE) * BS,)
        )
    live.catch_up()
    (stored,) = rows(db, "SELECT top_terms FROM incidents WHERE service = 'Gmail'")
    assert json.loads(stored[0])[:3] == ["inbox", "loading", "not"]
    (inc,) = list_incidents(db, Catalog.load(), service="Gmail")
    assert inc["status"] == "resolved" and inc["warmup"] is False
    assert inc["top_terms"] == json.loads(stored[0])
    assert inc["symptoms"] == {"app": 1.0}
    assert inc["sample_posts"] == ["gmail down, inbox not loading", "inbox not loading ugh"]


def test_a_database_of_an_earlier_version_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE incidents (id INTEGER PRIMARY KEY, service TEXT NOT NULL, "
        "status TEXT NOT NULL, started_at INTEGER NOT NULL, detected_at INTEGER NOT NULL, "
        "resolved_at INTEGER, peak_at INTEGER, peak_posts REAL NOT NULL DEFAULT 0, "
        "baseline_posts REAL NOT NULL DEFAULT 0, severity TEXT NOT NULL, "
        "score REAL NOT NULL DEFAULT 0);"
        "INSERT INTO incidents VALUES (1, 'Gmail', 'resolved', 0, 60, 600, 60, 9, 1, "
        "'warning', 12);"
    )
    con.close()
    Database(path, bucket_seconds=BS).close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT warmup, top_terms FROM incidents").fetchall() == [(0, None)]
    con.close()


def test_series_give_quiet_minutes_the_baseline_of_the_judged_ones(db: Database) -> None:
    from detector.api.queries import series

    live = LiveDetector(db, SETTINGS)
    for i in range(0, 60, 3):  # a post every third bucket: the two between are not judged
        feed(db, "Gmail", [(1, 2)], start=i)
    feed(db, "Slack", [(1, 1)] * 70)  # keeps event time going
    live.catch_up()
    judged = dict(
        rows(db, "SELECT bucket, baseline FROM counts WHERE service = 'Gmail' AND status = 'ok'")
    )
    assert sorted(judged) == [T0 + i * BS for i in range(0, 60, 3)]
    out = series(db, "Gmail", bucket=3 * BS, since=T0, until=T0 + 59 * BS)
    assert len(out) == 20 and all(r["status"] == "ok" for r in out)
    # each 15-minute bucket: its judged first third, and twice that for the other two
    assert [r["baseline"] for r in out] == [
        round(3 * judged[T0 + i * BS], 4) for i in range(0, 60, 3)
    ]


def test_a_silent_gap_clears_a_verdict_from_before_it(db: Database) -> None:
    settings = Settings(db="unused.db", max_gap_buckets=12)
    live = LiveDetector(db, settings)
    feed(db, "Gmail", QUIET + [(10, 18)] * 4)  # ends 'possible', no incident
    live.catch_up()
    feed(db, "Slack", QUIET[:5], start=N_QUIET + 40)  # only Slack after a 3-hour silence
    live.catch_up()
    query = "SELECT status, bucket, next_bucket FROM service_state WHERE service = 'Gmail'"
    # judged last before the gap, 'possible' there; nothing known after it: ok, not possible
    assert rows(db, query) == [("ok", T0 + (N_QUIET + 3) * BS, T0 + (N_QUIET + 42) * BS)]
    assert rows(db, "SELECT count(*) FROM incidents") == [(0,)]
    assert rows(
        db,
        "SELECT status FROM counts WHERE service = 'Gmail' AND bucket = ?",
        T0 + (N_QUIET + 3) * BS,
    ) == [("possible",)]


def test_close_ends_a_judging_thread_before_the_database_closes(db: Database) -> None:
    """Shutting the API down closed the database under the background loop's judging
    thread (a cancelled task leaves its thread running): a segmentation fault in sqlite3
    (seen in session 21's test runs). close() lets the current chunk end and stops."""
    live = LiveDetector(db, SETTINGS)
    total = 12_000  # 24,000 engine steps with 'all services': three chunks
    feed(db, "Gmail", [(2, 10)] * total)
    thread = threading.Thread(target=live.catch_up, kwargs={"budget": None, "wait": True})
    thread.start()
    while not live._lock.locked():  # noqa: SLF001 - judging has started
        time.sleep(0.001)
    live.close()
    assert not thread.is_alive()  # close() returned only once the judging thread ended
    judged = db.counter("judged_until")
    assert judged < T0 + (total - 3) * BS  # it stopped after a chunk, not at the end
    assert live.catch_up(budget=None, wait=True) == []
    assert db.counter("judged_until") == judged
