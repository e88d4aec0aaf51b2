"""What the live status page reads: services by status and volume, a day of one service.

Read-only, from the database every worker shares (never from a worker's memory). The
page's "now" is event time: the newest post's ``created_at`` (the clock detection
follows), so a replayed export shows its own day. Incidents and series come from
:mod:`detector.api.queries`; this module adds the per-service volume of the last day,
an hourly sparkline of it, and the top terms of an incident's sample posts.

>>> import os, tempfile
>>> db = Database(os.path.join(tempfile.mkdtemp(), "state.db"), bucket_seconds=60)
>>> with db.write() as con:  # now: 2 Jan 1970 01:00; the Gmail post at 00:59 on 1 Jan is older
...     _ = con.execute("INSERT INTO counters VALUES ('max_event', 90000)")
...     _ = con.executemany("INSERT INTO counts (service, bucket, all_posts, outage_posts) "
...                         "VALUES (?, ?, ?, ?)", [("Gmail", 3540, 7, 7), ("Gmail", 3660, 9, 1),
...                                                 ("Slack", 90000, 5, 4)])
...     _ = con.execute("INSERT INTO service_state (service, next_bucket, status) "
...                     "VALUES ('Gmail', 3720, 'possible')")
>>> class Names(list):
...     names = ("Gmail", "Slack", "Zoom")
>>> view = overview(db, Names(Names.names))
>>> [(r.name, r.status, r.outage_posts, r.hourly[:1], r.hourly[-1:]) for r in view.rows]
[('Gmail', 'possible', 1, (1,), (0,)), ('Slack', 'ok', 4, (0,), (4,))]
>>> view.quiet, len(view.rows[0].hourly)
(('Zoom',), 24)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detector.api.db import Database
from detector.api.intake import ALL_SERVICES
from detector.api.queries import DAY, counter, list_services, series

#: Bucket of the 24-hour graph (the stored one-minute counts summed to 288 bars).
GRAPH_BUCKET = 300
#: Buckets of the sparkline on the service list.
SPARK_BUCKET = 3600
_RANK = {"outage": 2, "possible": 1, "ok": 0}


@dataclass(frozen=True)
class ServiceRow:
    """One line of the service list."""

    name: str
    status: str
    outage_posts: int
    all_posts: int
    #: Outage posts per hour over the last 24 hours, oldest first (the hours end with the
    #: newest post's bucket, so they sum to *outage_posts*).
    hourly: tuple[int, ...] = ()
    open_since: pd.Timestamp | None = None
    severity: str | None = None
    #: ``(started_at, resolved_at, severity)`` of the latest incident resolved in the day.
    resolved: tuple[pd.Timestamp | None, pd.Timestamp | None, str] | None = None

    @property
    def rank(self) -> tuple[int, int, int, str]:
        """Sort key: worst status first, then most outage posts, then most posts."""
        return (
            -_RANK.get(self.status, 0),
            -self.outage_posts,
            -self.all_posts,
            self.name.casefold(),
        )


@dataclass(frozen=True)
class Overview:
    """The service list: watched services with posts in the last day, and the rest."""

    now: pd.Timestamp | None
    judged: pd.Timestamp | None
    rows: tuple[ServiceRow, ...]
    everything: ServiceRow | None
    quiet: tuple[str, ...]


def _ts(epoch: int | None) -> pd.Timestamp | None:
    return None if epoch is None else pd.Timestamp(int(epoch), unit="s", tz="UTC")


def clock(db: Database) -> tuple[int | None, int | None]:
    """``(newest post, judged until)`` in epoch seconds, ``None`` before any post."""
    return counter(db, "max_event"), counter(db, "judged_until")


def day_window(now: int, bucket_seconds: int) -> tuple[int, int]:
    """``(start, end)`` in epoch seconds of the last 24 hours before *now*: the stored
    buckets of the day that ends with the bucket *now* falls in (*end* excluded).

    Exactly a day: a post 24 h 45 min before *now* is outside it.

    >>> day_window(90_030, 60)  # now 2 Jan 1970 01:00:30: from the minute 01:01 on 1 Jan on
    (3660, 90060)
    """
    end = now - now % bucket_seconds + bucket_seconds
    return end - DAY, end


def overview(db: Database, catalog: Any) -> Overview:
    """Every service, sorted by status then volume over the 24 hours before the newest post
    (:func:`day_window`)."""
    now, judged = clock(db)
    known = list_services(db, catalog)
    statuses = {s["name"]: s["status"] for s in known}
    if now is None:
        return Overview(None, None, (), None, tuple(s["name"] for s in known))
    start, end = day_window(now, db.bucket_seconds)
    con = db.read()
    hours = -(-(end - start) // SPARK_BUCKET)
    volume: dict[str, list[Any]] = {}
    for service, hour, outage, total in con.execute(
        "SELECT service, (bucket - ?) / ?, sum(outage_posts), sum(all_posts) FROM counts "
        "WHERE bucket >= ? AND bucket < ? GROUP BY service, (bucket - ?) / ?",
        (start, SPARK_BUCKET, start, end, start, SPARK_BUCKET),
    ):
        cell = volume.setdefault(service, [0, 0, np.zeros(hours, dtype=int)])
        cell[0] += int(outage)
        cell[1] += int(total)
        if 0 <= hour < hours:
            cell[2][int(hour)] = int(outage)
    opened: dict[str, tuple[pd.Timestamp | None, str]] = {}
    for service, started, severity in con.execute(
        "SELECT service, started_at, severity FROM incidents WHERE status = 'open' "
        "ORDER BY started_at"
    ):
        opened.setdefault(service, (_ts(started), severity))
    resolved = {
        service: (_ts(started), _ts(ended), severity)
        for service, started, ended, severity in con.execute(
            "SELECT service, started_at, resolved_at, severity FROM incidents "
            "WHERE status = 'resolved' AND resolved_at >= ? ORDER BY resolved_at",
            (start,),
        )
    }
    rows = []
    everything = None
    for name in sorted(set(volume) | set(opened)):
        outage, total, hourly = volume.get(name, [0, 0, np.zeros(hours, dtype=int)])
        since, severity = opened.get(name, (None, None))
        row = ServiceRow(
            name=name,
            status=statuses.get(name, "ok"),
            outage_posts=outage,
            all_posts=total,
            hourly=tuple(int(v) for v in hourly),
            open_since=since,
            severity=severity,
            resolved=resolved.get(name),
        )
        if name == ALL_SERVICES:
            everything = row
        else:
            rows.append(row)
    rows.sort(key=lambda r: r.rank)
    shown = {r.name for r in rows} | {ALL_SERVICES}
    quiet = tuple(s["name"] for s in known if s["name"] not in shown)
    return Overview(_ts(now), _ts(judged), tuple(rows), everything, quiet)


def day_frame(db: Database, service: str, now: int, *, bucket: int = GRAPH_BUCKET) -> pd.DataFrame:
    """The day before *now* of *service*: ``bucket_start, outage_posts, all_posts,
    baseline, status`` per *bucket* seconds, baseline NaN and status ``None`` where not
    judged yet (the detector's own expectation and verdict, summed from its steps)."""
    rows = series(db, service, bucket=bucket, since=now - DAY + bucket, until=now)
    frame = pd.DataFrame(
        rows, columns=["bucket_start", "outage_posts", "all_posts", "baseline", "status"]
    )
    frame["bucket_start"] = pd.to_datetime(frame["bucket_start"], utc=True)
    for column in ("outage_posts", "all_posts", "baseline"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


__all__ = [
    "DAY",
    "GRAPH_BUCKET",
    "Overview",
    "ServiceRow",
    "clock",
    "day_frame",
    "day_window",
    "overview",
]
