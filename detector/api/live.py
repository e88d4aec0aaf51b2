"""Live detection: judge each service's closed buckets in event time, open and close incidents.

Event time is the posts' own ``created_at``. The watermark is the latest post time seen;
a bucket is *closed* once the watermark has passed its end by ``late_buckets`` buckets
(the allowance for late posts). Closed buckets are judged in order, per service, by a
:class:`~detector.series.baseline.SeasonalBaseline` (what is normal) and an
:class:`~detector.changepoint.online.OnlineDetector` (is this bucket abnormal). A post
that arrives after its bucket was judged is still stored and counted in the series, but
the bucket is not judged again.

Incidents follow the detector's status: one opens when a bucket is judged ``outage``
(``started_at`` is the CUSUM onset estimate, the first bucket of the excursion of the
detector's score above zero; ``detected_at`` the bucket that raised the alarm),
escalates from ``warning`` to ``major`` when a bucket has at least ``major_ratio`` times
its baseline and ``major_min_posts`` outage posts, and resolves after ``resolve_after``
consecutive ``ok`` buckets (default 1: the detector already holds its alarm for a few
quiet buckets; ``resolved_at`` is the first ``ok`` bucket).

Every judged bucket, the progress per service and each incident step are written in
one transaction, with the webhook deliveries they cause (an outbox). Only one process
judges at a time (the *leader*, holding a lock file next to the database); the detector
objects live in its memory and are rebuilt at start by replaying the stored counts,
so a restart continues where the last commit left off. When event time jumps by more
than ``max_gap_buckets`` with no posts at all, detection restarts after the gap
(open incidents resolve at the gap) instead of judging every empty bucket; likewise a
service without posts for that long is not judged (so per-bucket work is bounded by
the services seen recently), and resumes when its posts do.
"""

from __future__ import annotations

import bisect
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from detector.api.db import Database
from detector.api.intake import ALL_SERVICES
from detector.api.settings import Settings

log = logging.getLogger(__name__)


def _crosses(points: list[int], after: int, upto: int) -> bool:
    """Whether a sorted list has a point in ``(after, upto]``.

    >>> _crosses([10, 20], 10, 19), _crosses([10, 20], 10, 20)
    (False, True)
    """
    return bisect.bisect_right(points, upto) > bisect.bisect_right(points, after)


class Track:
    """The streaming detector of one service: baseline + online alarm."""

    def __init__(self) -> None:
        from detector.changepoint.online import OnlineDetector
        from detector.series.baseline import SeasonalBaseline

        self.baseline = SeasonalBaseline()
        self.detector = OnlineDetector()

    def step(self, bucket: int, outage_posts: int, all_posts: int) -> tuple[float, str, float]:
        """Judge one closed bucket; returns ``(expected, status, score)``."""
        ts = pd.Timestamp(bucket, unit="s", tz="UTC")
        expected = float(self.baseline.expected(ts, total=all_posts, count=outage_posts))
        self.detector.update(outage_posts, expected)
        # As detect_online does it: no learning of an outage as normal while alarmed.
        self.baseline.update(outage_posts, ts, total=all_posts, anomalous=self.detector.anomalous)
        return expected, str(self.detector.status), float(self.detector.score)


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
    run_start: int | None = None
    quiet: int = 0


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
        self._lock = threading.Lock()
        self._restored = False

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
        bs = self.bucket
        con = self.db.read()
        states = con.execute("SELECT service, next_bucket FROM service_state").fetchall()
        self._tracks = {}
        replayed = 0
        # Judged buckets all have a row with a status; a jump between consecutive judged
        # buckets of 'all services' is a skipped silent gap, where detection restarted.
        overall = [
            b
            for (b,) in con.execute(
                "SELECT bucket FROM counts WHERE service = ? AND status IS NOT NULL "
                "ORDER BY bucket",
                (ALL_SERVICES,),
            )
        ]
        restarts = [q for p, q in zip(overall, overall[1:], strict=False) if q - p > bs]
        for service, next_bucket in states:
            start = next_bucket - self.settings.replay_buckets * bs
            rows = con.execute(
                "SELECT bucket, outage_posts, all_posts FROM counts WHERE service = ? "
                "AND bucket >= ? AND bucket < ? AND status IS NOT NULL ORDER BY bucket",
                (service, start, next_bucket),
            ).fetchall()
            track = Track()
            previous = None
            for b, o, a in rows:
                if previous is not None and _crosses(restarts, previous, b):
                    track = Track()
                track.step(b, o, a)
                previous = b
                replayed += 1
            if previous is not None and _crosses(restarts, previous, next_bucket - 1):
                track = Track()  # detection restarted after this service's last judged bucket
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

    def catch_up(self) -> list[Event]:
        """Judge every closed bucket not judged yet; returns the incident steps it caused."""
        with self._lock:
            if not self._restored:
                self._restore()
            try:
                return self._catch_up()
            except BaseException:
                # The transaction rolled back but the detectors moved on: rebuild them.
                self._restore()
                raise

    def _catch_up(self) -> list[Event]:
        frontier = self.frontier()
        if frontier is None:
            return []
        con = self.db.read()
        known = con.execute("SELECT service, first_bucket, last_bucket FROM services").fetchall()
        firsts = {name: first for name, first, _ in known}
        lasts = {name: last for name, _, last in known}
        states = {
            row[0]: _State(*row[1:])
            for row in con.execute(
                "SELECT service, next_bucket, bucket, status, score, outage_posts, all_posts, "
                "baseline, run_start, quiet FROM service_state"
            )
        }
        for service, first in firsts.items():
            if service not in states:
                states[service] = _State(next_bucket=first)
        todo = {s: st for s, st in states.items() if st.next_bucket < frontier}
        if not todo:
            return []
        low = min(st.next_bucket for st in todo.values())
        events: list[Event] = []
        with self.db.write() as con:
            counts: dict[str, dict[int, tuple[int, int]]] = {}
            for service, b, o, a in con.execute(
                "SELECT service, bucket, outage_posts, all_posts FROM counts "
                "WHERE bucket >= ? AND bucket < ?",
                (low, frontier),
            ):
                counts.setdefault(service, {})[b] = (o, a)
            active = sorted(b for b in counts.get(ALL_SERVICES, {}))
            opened = self._open_incidents(con)
            judged_rows: list[tuple[Any, ...]] = []
            # Time-major: every service's bucket b is judged before any bucket after b, and
            # 'all services' last, so each step sees the other services' incidents up to b.
            order = sorted(todo, key=lambda name: (name == ALL_SERVICES, name))
            for service in order:
                if service not in self._tracks:
                    self._tracks[service] = Track()
            for b in self._timeline(low, frontier, active):
                if b is None:  # a silent gap: start afresh after it
                    for service in order:
                        self._gap(con, service, todo[service], opened, events)
                        self._tracks[service] = Track()
                    continue
                dormant = b - self.settings.max_gap_buckets * self.bucket
                for service in order:
                    st = todo[service]
                    if b < st.next_bucket:  # judged already, or no post yet
                        continue
                    if lasts.get(service, b) < dormant and service not in opened:
                        continue  # no post for longer than the gap limit: not judged
                    o, a = counts.get(service, {}).get(b, (0, 0))
                    expected, status, score = self._tracks[service].step(b, o, a)
                    judged_rows.append((service, b, round(expected, 4), status, round(score, 4)))
                    self._judge(con, service, st, opened, events, b, o, a, expected, status, score)
            for st in todo.values():
                st.next_bucket = frontier
            con.executemany(
                "INSERT INTO counts (service, bucket, baseline, status, score) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (service, bucket) DO UPDATE SET "
                "baseline = excluded.baseline, status = excluded.status, score = excluded.score",
                judged_rows,
            )
            con.executemany(
                "INSERT OR REPLACE INTO service_state (service, next_bucket, bucket, status, "
                "score, outage_posts, all_posts, baseline, run_start, quiet) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                        st.run_start,
                        st.quiet,
                    )
                    for s, st in todo.items()
                ],
            )
            con.execute(
                "INSERT INTO counters (name, value) VALUES ('judged_until', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (frontier,),
            )
        return events

    def _timeline(self, start: int, stop: int, active: list[int]) -> Iterable[int | None]:
        """Bucket starts from *start* to *stop*; ``None`` marks a skipped silent gap."""
        bs = self.bucket
        limit = self.settings.max_gap_buckets * bs
        b = start
        while b < stop:
            i = bisect.bisect_left(active, b)
            nxt = active[i] if i < len(active) else stop
            if nxt - b > limit:
                yield None
                b = nxt
                continue
            yield b
            b += bs

    def _open_incidents(self, con: Any) -> dict[str, _Open]:
        return {
            row[0]: _Open(*row[1:])
            for row in con.execute(
                "SELECT service, id, started_at, peak_at, peak_posts, baseline_posts, severity, "
                "score FROM incidents WHERE status = 'open'"
            )
        }

    def _judge(
        self,
        con: Any,
        service: str,
        st: _State,
        opened: dict[str, _Open],
        events: list[Event],
        b: int,
        outage_posts: int,
        all_posts: int,
        expected: float,
        status: str,
        score: float,
    ) -> None:
        s = self.settings
        st.bucket, st.status, st.score = b, status, score
        st.outage_posts, st.all_posts, st.baseline = outage_posts, all_posts, round(expected, 4)
        # Onset estimate as in CUSUM: the first bucket of the current excursion above 0.
        if score <= 0.0:
            st.run_start = None
        elif st.run_start is None:
            st.run_start = b
        st.quiet = st.quiet + 1 if status == "ok" else 0
        major = outage_posts >= s.major_min_posts and outage_posts >= s.major_ratio * max(
            expected, 1.0
        )
        inc = opened.get(service)
        if inc is None:
            if status == "outage":
                started = st.run_start if st.run_start is not None else b
                severity = "major" if major else "warning"
                cur = con.execute(
                    "INSERT INTO incidents (service, status, started_at, detected_at, peak_at, "
                    "peak_posts, baseline_posts, severity, score) "
                    "VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?)",
                    (service, started, b, b, outage_posts, round(expected, 4), severity, score),
                )
                inc = opened[service] = _Open(
                    cur.lastrowid, started, b, outage_posts, round(expected, 4), severity, score
                )
                self._event(con, events, inc, service, "open", b)
            return
        if outage_posts > inc.peak_posts:
            inc.peak_posts, inc.peak_at = outage_posts, b
        inc.score = max(inc.score, score)
        if major and inc.severity == "warning":
            inc.severity = "major"
            self._event(con, events, inc, service, "escalate", b)
        resolved = st.quiet >= s.resolve_after
        resolved_at = b - (s.resolve_after - 1) * self.bucket if resolved else None
        con.execute(
            "UPDATE incidents SET peak_at = ?, peak_posts = ?, severity = ?, score = ?, "
            "status = ?, resolved_at = ? WHERE id = ?",
            (
                inc.peak_at,
                inc.peak_posts,
                inc.severity,
                round(inc.score, 4),
                "resolved" if resolved else "open",
                resolved_at,
                inc.id,
            ),
        )
        if resolved:
            self._event(con, events, inc, service, "resolve", resolved_at)
            del opened[service]

    def _gap(
        self, con: Any, service: str, st: _State, opened: dict[str, _Open], events: list[Event]
    ) -> None:
        inc = opened.pop(service, None)
        st.run_start, st.quiet = None, 0
        if inc is None or st.bucket is None:
            return
        at = st.bucket + self.bucket
        con.execute(
            "UPDATE incidents SET status = 'resolved', resolved_at = ? WHERE id = ?", (at, inc.id)
        )
        self._event(con, events, inc, service, "resolve", at)

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
            },
        )
        events.append(event)
        if self.on_events is not None:  # decided now, seeing the state at this step
            self.on_events(con, [event])
