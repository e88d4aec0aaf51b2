"""The API's state in one SQLite file (WAL mode), shared by every worker process.

Tables: ``posts`` (ids, for idempotency), ``samples`` (a few outage posts per service
and bucket, as incident examples), ``counts`` (posts per service and bucket, with
the baseline and status the detector gave each closed bucket), ``symptoms``,
``service_state`` (how far detection has run per service), ``engine_snapshots`` (each
service's incident engine as of a bucket, what a restart resumes from), ``incidents`` with
``incident_events`` (open / escalate / resolve), ``deliveries`` with
``delivery_attempts`` (webhook outbox) and ``counters`` (posts ingested).

Writers take the write lock up front (``BEGIN IMMEDIATE``) and wait for each other
(``busy_timeout``); a committed transaction survives a killed process.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "state.db")
>>> db = Database(path, bucket_seconds=300)
>>> with db.write() as con:
...     _ = con.execute("INSERT INTO counters VALUES ('x', 1)")
>>> db.read().execute("SELECT value FROM counters WHERE name = 'x'").fetchone()[0]
1
>>> db.close()
>>> Database(path, bucket_seconds=60)
Traceback (most recent call last):
...
detector.errors.UsageError: The database ... was created with a bucket of 300 s; ...
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from detector.errors import OutputError, UsageError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    is_outage INTEGER NOT NULL,
    services TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS samples (
    service TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    post_id TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (service, bucket, post_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counts (
    service TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    all_posts INTEGER NOT NULL DEFAULT 0,
    outage_posts INTEGER NOT NULL DEFAULT 0,
    baseline REAL,
    status TEXT,
    score REAL,
    PRIMARY KEY (service, bucket)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counts_bucket ON counts (bucket);
CREATE TABLE IF NOT EXISTS symptoms (
    service TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    symptom TEXT NOT NULL,
    posts INTEGER NOT NULL,
    PRIMARY KEY (service, bucket, symptom)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS services (
    service TEXT PRIMARY KEY,
    first_bucket INTEGER NOT NULL,
    last_bucket INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS service_state (
    service TEXT PRIMARY KEY,
    next_bucket INTEGER NOT NULL,
    bucket INTEGER,
    status TEXT NOT NULL DEFAULT 'ok',
    score REAL NOT NULL DEFAULT 0,
    outage_posts INTEGER NOT NULL DEFAULT 0,
    all_posts INTEGER NOT NULL DEFAULT 0,
    baseline REAL,
    run_start INTEGER,
    quiet INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS engine_snapshots (
    service TEXT PRIMARY KEY,
    next_bucket INTEGER NOT NULL,
    state BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    detected_at INTEGER NOT NULL,
    resolved_at INTEGER,
    peak_at INTEGER,
    peak_posts REAL NOT NULL DEFAULT 0,
    baseline_posts REAL NOT NULL DEFAULT 0,
    severity TEXT NOT NULL,
    score REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS incidents_service ON incidents (service, status);
CREATE TABLE IF NOT EXISTS incident_events (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    recorded_at REAL NOT NULL,
    severity TEXT NOT NULL,
    score REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES incident_events (id),
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    delivered_at REAL
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS delivery_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    attempt INTEGER NOT NULL,
    at REAL NOT NULL,
    ok INTEGER NOT NULL,
    http_status INTEGER,
    error TEXT
);
"""


#: Columns added since the first schema: ``(table, column, declaration)``, added to older
#: databases when they are opened.
_ADDED_COLUMNS = (
    ("incidents", "warmup", "INTEGER NOT NULL DEFAULT 0"),  # raised while warming up
    ("incidents", "top_terms", "TEXT"),  # JSON list, stored when the incident resolves
)


class Database:
    """Per-thread SQLite connections to one file, with a write-transaction helper.

    Creates the schema when missing and refuses a file made with another bucket width
    (its counts would not line up).
    """

    def __init__(self, path: str | Path, *, bucket_seconds: int, synchronous: str = "NORMAL"):
        self.path = str(path)
        self.bucket_seconds = bucket_seconds
        self.synchronous = synchronous.upper()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writer = threading.Lock()
        parent = Path(self.path).parent
        if not parent.is_dir():  # the settings cannot tell whether a flag or the variable named it
            raise OutputError(
                f"cannot create the database {self.path!r} (--db / OUTAGE_DB): its folder "
                f"{str(parent)!r} does not exist"
            )
        self._write_fd = -1
        self._write_fd = os.open(self.path + ".write.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._create_schema(bucket_seconds)
        except BaseException:
            self.close()  # no open file or connection left behind by a refused database
            raise

    def _create_schema(self, bucket_seconds: int) -> None:
        self.read().executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        with self.write() as con:
            for table, column, declaration in _ADDED_COLUMNS:
                present = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
                if column not in present:  # a database written by an earlier version
                    con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('bucket_seconds', ?), ('schema', ?)",
                (str(bucket_seconds), str(SCHEMA_VERSION)),
            )
            stored = int(
                con.execute("SELECT value FROM meta WHERE key = 'bucket_seconds'").fetchone()[0]
            )
        if stored != bucket_seconds:
            raise UsageError(
                f"The database {self.path!r} was created with a bucket of {stored} s; "
                f"the 'OUTAGE_BUCKET' setting asks for {bucket_seconds} s. Use the same bucket "
                "or another database file."
            )

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(f"PRAGMA synchronous={self.synchronous}")
        con.execute("PRAGMA busy_timeout=60000")
        con.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            self._all.append(con)
        return con

    def read(self) -> sqlite3.Connection:
        """This thread's connection (autocommit: each statement sees the latest commit)."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = self._connect()
        return con

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rollback on error).

        Writers queue on a thread lock and an ``flock`` on ``<db>.write.lock`` first:
        a waiter wakes the moment the previous writer is done, instead of polling
        SQLite's lock with the busy handler's growing sleeps (up to 100 ms each).
        """
        con = self.read()
        with self._writer:
            fcntl.flock(self._write_fd, fcntl.LOCK_EX)
            try:
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                fcntl.flock(self._write_fd, fcntl.LOCK_UN)

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same committed state."""
        con = self.read()
        con.execute("BEGIN")
        try:
            yield con
        finally:
            con.execute("COMMIT")

    def counter(self, name: str) -> int:
        """Value of one row of ``counters`` (0 when absent)."""
        row = self.read().execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Close every connection this object opened (in any thread)."""
        with self._lock:
            for con in self._all:
                with contextlib.suppress(sqlite3.ProgrammingError):
                    con.close()
            self._all.clear()
        self._local = threading.local()
        if self._write_fd >= 0:
            os.close(self._write_fd)
            self._write_fd = -1
