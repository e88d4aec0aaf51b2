"""Live detection: feed each service's closed buckets to the incident engine, keep its incidents.

Event time is the posts' own ``created_at``. The watermark is the latest post time seen;
a bucket is *closed* once the watermark has passed its end by ``late_buckets`` buckets
(the allowance for late posts). Closed buckets are fed in order, per service, to the
same :class:`~detector.incidents.tracker.IncidentTracker` batch ``score`` runs (one step
per bucket; the default bucket is the engine's one-minute step, so batch and live give
the same incidents). The tracker decides everything (baseline, alarm, onset, severity,
resolution); this module only persists what it decided. A post that arrives after its
bucket was judged is still stored and counted in the series, but the bucket is not
judged again.

Every judged bucket, the progress per service and each incident step (``open``,
``escalate``, ``resolve``) are written in one transaction, with the webhook deliveries
they cause (an outbox). Only one process judges at a time (the *leader*, holding a lock
file next to the database); the trackers live in its memory, are saved whole now and
then (``engine_snapshots``, :mod:`detector.incidents.snapshot`) and are rebuilt at start
from the saved engine plus the stored counts judged after it, so a restart continues
exactly where the last commit left off.
When event time jumps by more than ``max_gap_buckets`` with no posts at all, the
engines' windows restart after the gap, their baselines kept as batch ``score`` keeps them
(open incidents resolve at the gap), instead of judging every empty bucket; likewise a
service without posts for that long is not judged (so per-bucket work is bounded by the
services seen recently), and resumes when its posts do.
"""

from __future__ import annotations

import bisect
import copy
import fcntl
import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from detector.api.db import Database
from detector.api.intake import ALL_SERVICES
from detector.api.queries import incident_terms
from detector.api.settings import Settings

log = logging.getLogger(__name__)

#: Incidents count ``peak_posts`` per 5 minutes (or per bucket when buckets are wider),
#: as batch ``score`` does with its default bucket.
PEAK_BUCKET_SECONDS = 300


def peak_seconds(bucket_seconds: int) -> int:
    """Width (seconds) in which incidents count ``peak_posts`` and ``baseline_posts``.

    >>> peak_seconds(60), peak_seconds(3600)
    (300, 3600)
    """
    return max(bucket_seconds, PEAK_BUCKET_SECONDS)


#: Engine steps judged per write transaction: about 0.1 s of work, so a writer waiting
#: behind detection waits that long at most.
CHUNK_STEPS = 10_000
#: A service's engine is saved (``engine_snapshots``) about once per this much event
#: time, staggered per service; a restart loads it and replays only what came after.
SNAPSHOT_SECONDS = 86_400


def _seconds(ts: Any) -> int:
    """Epoch seconds of a timestamp."""
    return int(pd.Timestamp(ts).value // 1_000_000_000)


def _incident_row(inc: Any) -> tuple[Any, ...]:
    """``started_at, detected_at, peak_at, peak_posts, baseline_posts, severity, score``."""
    return (
        _seconds(inc.started_at),
        _seconds(inc.detected_at),
        _seconds(inc.peak_at if inc.peak_at is not None else inc.detected_at),
        float(inc.peak_posts),
        round(float(inc.baseline_posts), 4),
        inc.severity,
        round(float(inc.score), 4),
    )


def _crosses(points: list[int], after: int, upto: int) -> bool:
    """Whether a sorted list has a point in ``(after, upto]``.

    >>> _crosses([10, 20], 10, 19), _crosses([10, 20], 10, 20)
    (False, True)
    """
    return bisect.bisect_right(points, upto) > bisect.bisect_right(points, after)


class Track:
    """One service's :class:`~detector.incidents.tracker.IncidentTracker` (the batch engine)."""

    def __init__(self, service: str, bucket_seconds: int) -> None:
        from detector.incidents.tracker import IncidentTracker

        self.tracker = IncidentTracker(
            service,
            step=pd.Timedelta(seconds=bucket_seconds),
            peak_bucket=pd.Timedelta(seconds=peak_seconds(bucket_seconds)),
        )

    def restart(self, at: int) -> None:
        """A silent gap from *at*: the windows restart, the baseline is kept (as batch
        ``score`` does after a day without posts); the database resolves an open incident
        itself, so the engine's own resolve event is dropped."""
        self.tracker.restart(at)
        self.tracker.pop_events()

    def save(self) -> bytes:
        """The engine's state, for :meth:`load` after a restart."""
        from detector.incidents.snapshot import dump

        return dump(self.tracker)

    def load(self, state: bytes) -> None:
        """Resume from a state :meth:`save` returned (``SnapshotError`` when it cannot)."""
        from detector.incidents.snapshot import load

        self.tracker = load(state, self.tracker)

    def step(self, bucket: int, outage_posts: int, all_posts: int) -> tuple[float, str, float]:
        """Judge one closed bucket; returns ``(expected, status, evidence)``."""
        tracker = self.tracker.update(bucket, outage_posts, all_posts)
        return tracker.expected, tracker.status, tracker.evidence


@dataclass
class _State:
    """Progress of one service, mirrored in the ``service_state`` table."""

    next_bucket: int
    bucket: int | None = None
    status: str = "ok"
    score: float = 0.0
    outage_posts: int = 0
    all_posts: int = 0
    baseline: float | None = None


@dataclass
class _Open:
    """An open incident, mirrored in the ``incidents`` table."""

    id: int
    started_at: int
    peak_at: int
    peak_posts: float
    baseline_posts: float
    severity: str
    score: float


@dataclass
class Event:
    """One incident step, for alerts."""

    id: int
    incident_id: int
    kind: str
    service: str
    at: int
    severity: str
    score: float
    extra: dict[str, Any] = field(default_factory=dict)


class LeaderLock:
    """An exclusive ``flock`` on ``<db>.detect.lock``: released when the process dies."""

    def __init__(self, db_path: str) -> None:
        self.path = db_path + ".detect.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if free; ``True`` when this process holds it."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    @property
    def held(self) -> bool:
        """Whether this process is the leader."""
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class LiveDetector:
    """Judges closed buckets of every service and keeps incidents in the database.

    ``on_events(con, events)`` is called inside the same transaction (the alert outbox).
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        on_events: Callable[[Any, list[Event]], None] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.bucket = db.bucket_seconds
        self.on_events = on_events
        self._tracks: dict[str, Track] = {}
        # service -> (next bucket, engine steps) of its last saved engine
        self._saved: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self._restored = False
        self._stopping = threading.Event()  # set by close(): judge no further chunk

    def close(self) -> None:
        """Stop judging before the database closes: a judging thread (a request's, or the
        background loop's, which a cancelled task leaves running) ends after its current
        chunk, this call returns once it has, and later calls judge nothing. (Closing the
        database under a judging thread crashed the process: a segmentation fault in
        sqlite3.)"""
        self._stopping.set()
        with self._lock:
            pass

    # -- start --------------------------------------------------------------------
    def restore(self) -> int:
        """Rebuild every service's detector by replaying the buckets it judged.

        The stored counts of the judged buckets are fed again in order (a late post
        counted after its bucket was judged is included now), restarting where a
        silent gap restarted detection. Returns the number of buckets replayed. No
        incident is opened or closed here: the stored incidents are the truth.
        """
        with self._lock:
            return self._restore()

    def _restore(self) -> int:
        from detector.incidents.snapshot import SnapshotError

        bs = self.bucket
        con = self.db.read()
        states = con.execute("SELECT service, next_bucket FROM service_state").fetchall()
        saved = {
            service: (at, state)
            for service, at, state in con.execute(
                "SELECT service, next_bucket, state FROM engine_snapshots"
            )
        }
        self._tracks, self._saved = {}, {}
        replayed = 0
        # Every bucket with posts of 'all services' is judged; a silence between two of them
        # longer than the gap limit was skipped, and detection restarted after it.
        overall = [
            b
            for (b,) in con.execute(
                "SELECT bucket FROM counts WHERE service = ? AND status IS NOT NULL "
                "AND all_posts > 0 ORDER BY bucket",
                (ALL_SERVICES,),
            )
        ]
        limit = self.settings.max_gap_buckets * bs
        restarts = [q for p, q in zip(overall, overall[1:], strict=False) if q - p - bs > limit]
        for service, next_bucket in states:
            track = Track(service, bs)
            start = next_bucket - self.settings.replay * bs
            previous = None
            if service in saved and saved[service][0] <= next_bucket:
                try:
                    track.load(saved[service][1])
                except SnapshotError as exc:
                    log.info("replaying %s instead of its saved engine: %s", service, exc)
                    track = Track(service, bs)
                else:
                    start = saved[service][0]
                    previous = track.tracker.last_step
                    self._saved[service] = (start, track.tracker.n_updates)
            rows = con.execute(
                "SELECT bucket, outage_posts, all_posts FROM counts WHERE service = ? "
                "AND bucket >= ? AND bucket < ? AND status IS NOT NULL ORDER BY bucket",
                (service, start, next_bucket),
            ).fetchall()
            for b, o, a in rows:
                if previous is not None and _crosses(restarts, previous, b):
                    track.restart(previous + bs)
                track.step(b, o, a)
                track.tracker.pop_events()  # the stored incidents are the truth
                previous = b
                replayed += 1
            if previous is not None and _crosses(restarts, previous, next_bucket - 1):
                track.restart(previous + bs)  # restarted after this service's last bucket
            self._tracks[service] = track
        self._restored = True
        return replayed

    # -- judging ------------------------------------------------------------------
    def frontier(self) -> int | None:
        """Start of the first bucket not yet closed (all earlier buckets are closed)."""
        row = (
            self.db.read().execute("SELECT value FROM counters WHERE name = 'max_event'").fetchone()
        )
        if row is None:
            return None
        closes = int(row[0]) - self.settings.late_buckets * self.bucket
        return closes - closes % self.bucket

    def catch_up(self, *, budget: int | None = None, wait: bool = True) -> list[Event]:
        """Judge closed buckets not judged yet; returns the incident steps it caused.

        The work goes in chunks of about :data:`CHUNK_STEPS` engine steps: each chunk is
        judged from a read snapshot, outside the write lock, and then committed in one
        short write transaction (so other writers wait a fraction of a second at most).
        *budget* stops after that many steps (the rest waits for the next call, e.g. the
        background loop); ``wait=False`` returns at once when another thread is judging.
        """
        if not self._lock.acquire(blocking=wait):
            return []
        try:
            if self._stopping.is_set():
                return []
            if not self._restored:
                self._restore()
            events: list[Event] = []
            done = 0
            while (budget is None or done < budget) and not self._stopping.is_set():
                try:
                    steps, more = self._chunk(events)
                except BaseException:
                    # A transaction rolled back but the detectors moved on: rebuild them.
                    self._restore()
                    raise
                done += steps
                if not more:
                    break
            return events
        finally:
            self._lock.release()

    def _chunk(self, events: list[Event]) -> tuple[int, bool]:
        """Judge and commit one chunk; returns ``(steps, whether work is left)``.

        Only buckets that hold posts of a service are fed to its engine, plus every
        bucket while it is not quiet (status not ``ok`` or an incident open): an empty
        bucket of a quiet service cannot raise an alarm, and the engine counts the
        skipped buckets as zeros when the service's next posts come (a silence longer
        than its ``max_gap`` restarts its windows). So a back-dated post of a new
        service costs one step, not one step per bucket since then.
        """
        frontier = self.frontier()
        if frontier is None:
            return 0, False
        bs = self.bucket
        limit = self.settings.max_gap_buckets * bs
        with self.db.snapshot() as con:
            known = con.execute(
                "SELECT service, first_bucket, last_bucket FROM services"
            ).fetchall()
            lasts = {name: last for name, _, last in known}
            firsts = {name: first for name, first, _ in known}
            states = {
                row[0]: _State(*row[1:])
                for row in con.execute(
                    "SELECT service, next_bucket, bucket, status, score, outage_posts, "
                    "all_posts, baseline FROM service_state"
                )
            }
            for service, first, _ in known:
                if service not in states:  # its series starts where its posts start
                    states[service] = _State(next_bucket=first)
            todo = {s: st for s, st in states.items() if st.next_bucket < frontier}
            if not todo:
                return 0, False
            low = min(st.next_bucket for st in todo.values())
            # Buckets with posts (every post counts for 'all services'); a silence in them
            # longer than the gap limit restarts detection, measured from the last one judged.
            active = [
                b
                for (b,) in con.execute(
                    "SELECT bucket FROM counts WHERE service = ? AND all_posts > 0 "
                    "AND bucket >= ? AND bucket < ? ORDER BY bucket",
                    (ALL_SERVICES, low, frontier),
                )
            ]
            row = con.execute(
                "SELECT max(bucket) FROM counts WHERE service = ? AND all_posts > 0 "
                "AND status IS NOT NULL AND bucket < ?",
                (ALL_SERVICES, low),
            ).fetchone()
            previous: int | None = row[0] if row else None
            opened = self._open_incidents(con)
            order = sorted(todo, key=lambda name: (name == ALL_SERVICES, name))
            for service in order:
                if service not in self._tracks:
                    self._tracks[service] = Track(service, bs)
            # Where a service that is not quiet joins the judging: never jumped over.
            wakes = sorted(
                st.next_bucket
                for s, st in todo.items()
                if s in opened
                or self._tracks[s].tracker.status != "ok"
                or self._tracks[s].tracker.open_incident is not None
            )
            page_hi = low
            counts: dict[int, dict[str, tuple[int, int]]] = {}
            judged_rows: list[tuple[Any, ...]] = []
            ops: list[tuple[Any, ...]] = []
            steps = 0
            b = low
            stop = frontier
            while b < frontier:
                i = bisect.bisect_left(active, b)
                nxt = active[i] if i < len(active) else frontier
                since = b if previous is None else previous + bs
                if previous is not None and nxt - since > limit:
                    for service in order:  # a silent gap: the windows restart after it
                        st = todo[service]
                        if st.next_bucket <= b:
                            ops.append(("gap", service, st.bucket))
                            if st.bucket is not None:
                                self._tracks[service].restart(st.bucket + bs)
                            # nothing is known after the gap: no verdict from before it stays
                            st.status, st.score = "ok", 0.0
                    previous, b = None, nxt
                    continue
                if b >= page_hi:  # read the counts a page of buckets at a time
                    page_hi = min(frontier, b + max(CHUNK_STEPS // len(order), 1) * bs)
                    counts = {}
                    for service, cb, o, a in con.execute(
                        "SELECT service, bucket, outage_posts, all_posts FROM counts "
                        "WHERE bucket >= ? AND bucket < ? AND all_posts > 0",
                        (b, page_hi),
                    ):
                        counts.setdefault(cb, {})[service] = (o, a)
                here = counts.get(b, {})
                dormant = b - limit
                awake = False
                for service in order:
                    st = todo[service]
                    if b < st.next_bucket:  # judged already, or no post yet
                        continue
                    track = self._tracks[service]
                    posts = here.get(service)
                    quiet = track.tracker.status == "ok" and track.tracker.open_incident is None
                    if posts is None and quiet and service not in opened:
                        continue  # nothing can happen here; the engine fills it in later
                    if lasts.get(service, b) < dormant and service not in opened:
                        continue  # no post for longer than the gap limit: not judged
                    o, a = posts or (0, 0)
                    before = track.tracker.n_updates
                    expected, status, score = track.step(b, o, a)
                    steps += track.tracker.n_updates - before
                    judged_rows.append((service, b, round(expected, 4), status, round(score, 4)))
                    st.bucket, st.status, st.score = b, status, score
                    st.outage_posts, st.all_posts = o, a
                    st.baseline = round(expected, 4)
                    found = track.tracker.pop_events()
                    current = track.tracker.open_incident
                    if found or current is not None or service in opened:
                        ops.append(
                            (
                                "step",
                                service,
                                b,
                                [(kind, copy.copy(inc)) for kind, inc in found],
                                None if current is None else copy.copy(current),
                            )
                        )
                        # the database's open incidents as they will be after this step
                        if current is None:
                            opened.pop(service, None)
                        elif service not in opened:
                            opened[service] = _Open(0, 0, 0, 0.0, 0.0, "warning", 0.0)
                    if track.tracker.status != "ok" or current is not None:
                        awake = True
                if here:
                    previous = b
                b += bs
                if steps >= CHUNK_STEPS and b < frontier:
                    stop = b
                    break
                if not awake:  # every service is quiet: jump to the next posts
                    i = bisect.bisect_left(active, b)
                    j = bisect.bisect_left(wakes, b)
                    b = min(
                        active[i] if i < len(active) else frontier,
                        wakes[j] if j < len(wakes) else frontier,
                    )
        saves = self._due_saves(todo, stop, firsts)
        with self.db.write() as con:
            opened = self._open_incidents(con)
            for op in ops:
                if op[0] == "gap":
                    self._gap(con, op[1], op[2], opened, events)
                else:
                    _, service, b, found, current = op
                    self._persist(con, service, found, current, opened, events, b)
            for st in todo.values():
                st.next_bucket = max(st.next_bucket, stop)
            con.executemany(
                "INSERT INTO counts (service, bucket, baseline, status, score) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (service, bucket) DO UPDATE SET "
                "baseline = excluded.baseline, status = excluded.status, score = excluded.score",
                judged_rows,
            )
            con.executemany(
                "INSERT OR REPLACE INTO service_state (service, next_bucket, bucket, status, "
                "score, outage_posts, all_posts, baseline, run_start, quiet) "
                # run_start and quiet: columns of databases written before the one engine
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)",
                [
                    (
                        s,
                        st.next_bucket,
                        st.bucket,
                        st.status,
                        st.score,
                        st.outage_posts,
                        st.all_posts,
                        st.baseline,
                    )
                    for s, st in todo.items()
                ],
            )
            con.execute(
                "INSERT INTO counters (name, value) VALUES ('judged_until', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (stop,),
            )
            con.executemany(
                "INSERT OR REPLACE INTO engine_snapshots (service, next_bucket, state) "
                "VALUES (?, ?, ?)",
                [(service, at, state) for service, at, state, _ in saves],
            )
        for service, at, _, n in saves:
            self._saved[service] = (at, n)
        return steps, stop < frontier

    def _due_saves(
        self, todo: dict[str, _State], stop: int, firsts: dict[str, int]
    ) -> list[tuple[str, int, bytes, int]]:
        """Engines to save with this chunk: ``(service, next bucket, state, steps)``.

        An engine is saved once it has moved on and about :data:`SNAPSHOT_SECONDS` of
        event time (plus a per-service offset of up to as much again, so that services
        seen together are not all saved in the same chunk) passed since its last save
        or its first bucket.
        """
        every = max(1, SNAPSHOT_SECONDS // self.bucket)
        due = []
        for service, st in todo.items():
            track = self._tracks.get(service)
            if track is None:
                continue
            at = max(st.next_bucket, stop)
            steps = track.tracker.n_updates
            since, saved_steps = self._saved.get(service, (firsts.get(service, at), -1))
            wait = every + zlib.crc32(service.encode()) % every
            if steps != saved_steps and at - since >= wait * self.bucket:
                due.append((service, at, track.save(), steps))
        return due

    def _open_incidents(self, con: Any) -> dict[str, _Open]:
        return {
            row[0]: _Open(*row[1:])
            for row in con.execute(
                "SELECT service, id, started_at, peak_at, peak_posts, baseline_posts, severity, "
                "score FROM incidents WHERE status = 'open'"
            )
        }

    def _persist(
        self,
        con: Any,
        service: str,
        found: list[tuple[str, Any]],
        current: Any,
        opened: dict[str, _Open],
        events: list[Event],
        b: int,
    ) -> None:
        """Store what the engine decided at bucket *b*: incident steps and the open one."""
        for kind, inc in found:
            if kind == "open":
                if service in opened:  # restored state disagreed: the old one ends here
                    self._resolve(con, service, opened, events, b)
                row = _incident_row(inc)
                cur = con.execute(
                    "INSERT INTO incidents (service, status, started_at, detected_at, peak_at, "
                    "peak_posts, baseline_posts, severity, score, warmup) "
                    "VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?)",
                    (service, *row, int(inc.warmup)),
                )
                opened[service] = _Open(cur.lastrowid, row[0], *row[2:])
                self._event(con, events, opened[service], service, "open", row[1])
            elif kind == "escalate" and service in opened:
                opened[service].severity = inc.severity
                self._event(con, events, opened[service], service, "escalate", b)
            elif kind == "resolve" and service in opened:
                self._sync(opened[service], inc)
                at = _seconds(inc.resolved_at) if inc.resolved_at is not None else b
                self._resolve(con, service, opened, events, at)
        if service not in opened:
            return
        if current is None:  # restored from a state the replay did not reproduce
            self._resolve(con, service, opened, events, b)
            return
        inc = opened[service]
        self._sync(inc, current)
        con.execute(
            "UPDATE incidents SET peak_at = ?, peak_posts = ?, severity = ?, score = ? "
            "WHERE id = ?",
            (inc.peak_at, inc.peak_posts, inc.severity, round(inc.score, 4), inc.id),
        )

    @staticmethod
    def _sync(stored: _Open, inc: Any) -> None:
        if inc.peak_at is not None:
            stored.peak_at, stored.peak_posts = _seconds(inc.peak_at), float(inc.peak_posts)
        stored.severity = inc.severity
        stored.score = max(stored.score, float(inc.score))

    def _resolve(
        self, con: Any, service: str, opened: dict[str, _Open], events: list[Event], at: int
    ) -> None:
        inc = opened.pop(service)
        # its terms no longer change: kept, so that listing incidents does not redo them
        terms = incident_terms(con, service, inc.started_at, at - 1)
        con.execute(
            "UPDATE incidents SET status = 'resolved', resolved_at = ?, peak_at = ?, "
            "peak_posts = ?, severity = ?, score = ?, top_terms = ? WHERE id = ?",
            (
                at,
                inc.peak_at,
                inc.peak_posts,
                inc.severity,
                round(inc.score, 4),
                json.dumps(terms),
                inc.id,
            ),
        )
        self._event(con, events, inc, service, "resolve", at)

    def _gap(
        self,
        con: Any,
        service: str,
        last: int | None,
        opened: dict[str, _Open],
        events: list[Event],
    ) -> None:
        """A silent gap: an open incident resolves after *last*, the last judged bucket."""
        if service in opened and last is not None:
            self._resolve(con, service, opened, events, last + self.bucket)
        else:
            opened.pop(service, None)

    def _event(
        self, con: Any, events: list[Event], inc: _Open, service: str, kind: str, at: int
    ) -> None:
        cur = con.execute(
            "INSERT INTO incident_events (incident_id, kind, at, recorded_at, severity, score) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (inc.id, kind, at, time.time(), inc.severity, round(inc.score, 4)),
        )
        event = Event(
            cur.lastrowid,
            inc.id,
            kind,
            service,
            at,
            inc.severity,
            round(inc.score, 4),
            {
                "peak_posts": inc.peak_posts,
                "baseline_posts": inc.baseline_posts,
                "started_at": inc.started_at,
                "peak_seconds": peak_seconds(self.bucket),
            },
        )
        events.append(event)
        if self.on_events is not None:  # decided now, seeing the state at this step
            self.on_events(con, [event])
