"""Read side of the live state: incidents, service status, series and service names.

Everything is read from the database (never from a worker's memory), so every worker
answers the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from detector.api.db import Database
from detector.api.intake import ALL_SERVICES
from detector.incidents.enrich import distinctive_terms, sample_texts, tokens
from detector.incidents.incident import iso

#: Most rows one ``/v1/series`` answer holds.
MAX_SERIES_ROWS = 10_000
_SEVERITY_ORDER = {"ok": 0, "possible": 1, "outage": 2}


def iso_s(epoch: int | float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC (``None`` stays ``None``).

    >>> iso_s(0), iso_s(None)
    ('1970-01-01T00:00:00Z', None)
    """
    return None if epoch is None else iso(pd.Timestamp(int(epoch), unit="s", tz="UTC"))


def epoch(ts: datetime) -> int:
    """A datetime (aware, or naive read as UTC) as epoch seconds.

    >>> epoch(datetime(1970, 1, 1, 0, 1, tzinfo=UTC)), epoch(datetime(1970, 1, 1, 0, 2))
    (60, 120)
    """
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return int(ts.timestamp())


def counter(db: Database, name: str) -> int | None:
    """A row of ``counters`` or ``None``."""
    row = db.read().execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return None if row is None else int(row[0])


# -- services -----------------------------------------------------------------------
def services_with_posts(db: Database) -> list[str]:
    """Services that have at least one post, by name."""
    return [r[0] for r in db.read().execute("SELECT service FROM services ORDER BY service")]


def resolve_service(db: Database, catalog: Any, name: str) -> str | None:
    """The stored or canonical name that *name* means (exact, alias, or case-insensitive).

    An exact match wins: a service that senders named ``ALL SERVICES`` is read by that
    name (as ``/v1/services`` and the status page list it), while ``All Services`` or
    any other case variant that is no stored name means the aggregate. The aggregate
    service (``all services``) always exists, even before the first post.
    """
    if name == ALL_SERVICES:
        return ALL_SERVICES
    con = db.read()
    if con.execute("SELECT 1 FROM services WHERE service = ?", (name,)).fetchone():
        return name
    if name in catalog:
        return name
    canonical = catalog.resolve(name)
    if canonical is not None:
        return canonical
    if name.casefold() == ALL_SERVICES.casefold():
        return ALL_SERVICES
    row = con.execute(
        "SELECT service FROM services WHERE lower(service) = lower(?) LIMIT 1", (name,)
    ).fetchone()
    if row:
        return str(row[0])
    folded = name.casefold()
    return next((n for n in catalog.names if n.casefold() == folded), None)


def list_services(db: Database, catalog: Any) -> list[dict[str, Any]]:
    """Every service known from the catalog or from posts, with its current status."""
    con = db.read()
    seen = set(services_with_posts(db))
    status = dict(con.execute("SELECT service, status FROM service_state").fetchall())
    names = sorted(set(catalog.names) | seen, key=str.casefold)
    return [
        {
            "name": n,
            "in_catalog": n in catalog,
            "has_posts": n in seen,
            "status": status.get(n, "ok"),
        }
        for n in names
    ]


# -- incidents ----------------------------------------------------------------------
_INCIDENT_COLUMNS = (
    "id, service, status, started_at, detected_at, resolved_at, peak_at, peak_posts, "
    "baseline_posts, severity, score, warmup, top_terms"
)


def list_incidents(
    db: Database,
    catalog: Any,
    *,
    service: str | None = None,
    status: str | None = None,
    since: int | None = None,
    limit: int = 100,
    redact: bool = True,
) -> list[dict[str, Any]]:
    """Incidents newest first; *since* keeps those still open or resolved after it.

    Sample posts have e-mail addresses, phone and account numbers replaced
    (:func:`detector.text.redact.redact`) unless *redact* is false (``OUTAGE_REDACT``).

    Without a *service* filter, an incident of the pseudo-service ``all services`` is
    shown only when no named service had an incident at the same time (a surge nobody
    attributed to a service), as in the batch report.
    """
    where, args = [], []
    if service is not None:
        where.append("service = ?")
        args.append(service)
    if status is not None:
        where.append("status = ?")
        args.append(status)
    if since is not None:
        where.append("(resolved_at IS NULL OR resolved_at >= ?)")
        args.append(since)
    sql = f"SELECT {_INCIDENT_COLUMNS} FROM incidents"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY detected_at DESC, id DESC LIMIT ? OFFSET ?"
    with db.snapshot() as con:
        rows = _kept_rows(con, sql, args, limit, hide_explained=service is None)
        judged = counter(db, "judged_until")
        return [_incident(db, con, catalog, row, judged, redact=redact) for row in rows]


def _kept_rows(
    con: Any, sql: str, args: list[Any], limit: int, *, hide_explained: bool
) -> list[tuple[Any, ...]]:
    """Up to *limit* rows of *sql* (ordered, ending ``LIMIT ? OFFSET ?``), in its order.

    With *hide_explained*, ``all services`` incidents that a named service's incident
    explains are dropped, and further pages are read until *limit* rows are kept or
    none are left: the limit counts what is returned, not what was read.
    """
    kept: list[tuple[Any, ...]] = []
    offset = 0
    page = max(limit, 100) if hide_explained else limit
    while len(kept) < limit:
        rows = con.execute(sql, (*args, page, offset)).fetchall()
        offset += len(rows)
        exhausted = len(rows) < page
        if hide_explained:
            rows = [r for r in rows if r[1] != ALL_SERVICES or not _explained(con, r)]
        kept += rows[: limit - len(kept)]
        if exhausted:
            break
    return kept


def _explained(con: Any, row: tuple[Any, ...]) -> bool:
    """Whether an ``all services`` incident overlaps an incident of a named service."""
    started, resolved = row[3], row[5]
    hit = con.execute(
        "SELECT 1 FROM incidents WHERE service != ? AND started_at <= ? "
        "AND (resolved_at IS NULL OR resolved_at >= ?) LIMIT 1",
        (ALL_SERVICES, resolved if resolved is not None else 2**62, started),
    ).fetchone()
    return hit is not None


def open_incident(
    db: Database, catalog: Any, service: str, *, redact: bool = True
) -> dict[str, Any] | None:
    """The open incident of *service*, if any."""
    found = list_incidents(db, catalog, service=service, status="open", limit=1, redact=redact)
    return found[0] if found else None


def _incident(
    db: Database,
    con: Any,
    catalog: Any,
    row: tuple[Any, ...],
    judged: int | None,
    *,
    redact: bool = True,
) -> dict[str, Any]:
    (iid, service, status, started, detected, resolved, peak_at, peak, base, severity, score,
     warmup, stored_terms) = row  # fmt: skip
    # the incident's buckets: up to its resolution (excluded), as batch score counts its posts
    end = resolved - 1 if resolved is not None else (judged if judged is not None else detected)
    sym = con.execute(
        "SELECT symptom, sum(posts) FROM symptoms WHERE service = ? AND bucket >= ? "
        "AND bucket <= ? GROUP BY symptom",
        (service, started, end),
    ).fetchall()
    total = sum(n for _, n in sym) or 1
    if stored_terms is not None:
        terms = json.loads(stored_terms)
    elif status == "open":  # its posts still come: worked out again once new posts came
        terms = _open_terms(db, service, started, end)
    else:  # resolved before terms were kept (a database of an earlier version)
        terms = []
    texts = [
        text
        for (text,) in con.execute(
            "SELECT text FROM samples WHERE service = ? AND bucket >= ? AND bucket <= ? "
            "ORDER BY bucket = ? DESC, bucket LIMIT ?",
            (service, started, end, peak_at, SAMPLES_READ),
        )
    ]
    # as batch score picks them: most top terms covered first (the API keeps no
    # probabilities: then the peak bucket's posts, then the earliest)
    samples = sample_texts(texts, [1.0] * len(texts), terms, redact_posts=redact)
    history = [
        {
            "kind": kind,
            "at": iso_s(at),
            "recorded_at": iso(pd.Timestamp(recorded, unit="s", tz="UTC")),
            "severity": sev,
            "score": sc,
        }
        for kind, at, recorded, sev, sc in con.execute(
            "SELECT kind, at, recorded_at, severity, score FROM incident_events "
            "WHERE incident_id = ? ORDER BY id",
            (iid,),
        )
    ]
    return {
        "id": iid,
        "service": service,
        "status": status,
        "started_at": iso_s(started),
        "detected_at": iso_s(detected),
        "resolved_at": iso_s(resolved),
        "peak_at": iso_s(peak_at),
        "peak_posts": float(peak),
        "baseline_posts": float(base),
        "severity": severity,
        "score": round(float(score), 4),
        "symptoms": {s: round(n / total, 4) for s, n in sorted(sym, key=lambda x: -x[1])},
        "top_terms": terms,
        "sample_posts": samples,
        "related": _related(con, catalog, iid, service, started, end),
        "history": history,
        "warmup": bool(warmup),
    }


#: Sample posts read per incident to choose its :data:`~detector.incidents.enrich.N_SAMPLES`.
SAMPLES_READ = 20
DAY = 86_400


#: Open incidents' terms already worked out, by database, service, window and posts ingested.
_OPEN_TERMS: dict[tuple[str, str, int, int, int], list[str]] = {}
_OPEN_TERMS_KEPT = 64


def _open_terms(db: Database, service: str, start: int, end: int) -> list[str]:
    """:func:`incident_terms` of an open incident, kept until new posts arrive (a status
    page reloading every minute, or a client polling the status, does not tokenize the
    same posts again)."""
    key = (db.path, service, start, end, counter(db, "posts_ingested") or 0)
    found = _OPEN_TERMS.get(key)
    if found is None:
        found = incident_terms(db.read(), service, start, end)
        if len(_OPEN_TERMS) >= _OPEN_TERMS_KEPT:
            _OPEN_TERMS.pop(next(iter(_OPEN_TERMS)))
        _OPEN_TERMS[key] = found
    return found


def incident_terms(con: Any, service: str, start: int, end: int, *, n: int = 10) -> list[str]:
    """Terms over-represented in *service*'s sample posts in the buckets ``[start, end]``.

    Against the sample posts of other services and of *service* outside the window in
    the day before it (all of them outage posts), so what is left is what this
    incident's posts say that complaints usually do not.
    """
    inside = [
        text
        for (text,) in con.execute(
            "SELECT text FROM samples WHERE service = ? AND bucket >= ? AND bucket <= ? LIMIT 5000",
            (service, start, end),
        )
    ]
    outside = [
        text
        for (text,) in con.execute(
            "SELECT text FROM samples WHERE service != ? AND service != ? AND bucket >= ? "
            "AND bucket <= ? UNION ALL SELECT text FROM samples WHERE service = ? "
            "AND bucket >= ? AND bucket < ? LIMIT 3000",
            (service, ALL_SERVICES, start - DAY, end, service, start - DAY, start),
        )
    ]
    # the service's own name says nothing the incident does not already say
    named = set(tokens(service)) | {"".join(tokens(service))}
    found = distinctive_terms(inside, outside, n=n + len(named))
    return [term for term in found if term not in named][:n]


def _related(con: Any, catalog: Any, iid: int, service: str, start: int, end: int) -> list[str]:
    """Other services failing at the same time under a common upstream provider."""
    if service not in catalog:
        return []
    others = con.execute(
        "SELECT DISTINCT service FROM incidents WHERE id != ? AND service != ? "
        "AND started_at <= ? AND (resolved_at IS NULL OR resolved_at >= ?)",
        (iid, service, end, start),
    ).fetchall()
    return sorted(
        o for (o,) in others if o in catalog and catalog.common_provider(service, o) is not None
    )


# -- status and series ----------------------------------------------------------------
def service_status(
    db: Database, catalog: Any, service: str, *, redact: bool = True, with_incident: bool = True
) -> dict[str, Any]:
    """Latest judged bucket, the still-open newest bucket and the open incident
    (``None`` without looking when *with_incident* is false).

    The latest judged bucket is the service's newest closed one. A quiet service's
    minutes without posts are not judged one by one (they cannot raise an alarm; see
    :func:`series`): when the newest closed bucket is such a minute, it is reported as
    its series row shows it (its posts, none unless late ones came; the expectation of
    the service's last judged minute), with the service's verdict (``ok``) and score 0
    (no evidence of a rise), not the last minute the engine stepped, which may be long ago.
    """
    con = db.read()
    row = con.execute(
        "SELECT bucket, status, score, outage_posts, all_posts, baseline, next_bucket "
        "FROM service_state WHERE service = ?",
        (service,),
    ).fetchone()
    bucket, status, score, outage, total, baseline, judged_to = row or (
        None, "ok", 0.0, 0, 0, None, None
    )  # fmt: skip
    if bucket is not None and judged_to is not None and judged_to - db.bucket_seconds > bucket:
        bucket = judged_to - db.bucket_seconds  # closed since the last step, without one
        posts = con.execute(
            "SELECT outage_posts, all_posts FROM counts WHERE service = ? AND bucket = ?",
            (service, bucket),
        ).fetchone()
        outage, total = posts or (0, 0)
        if status == "ok":
            score = 0.0
    # the bucket event time is in now (the newest post's), still open for late posts
    newest = counter(db, "max_event")
    current = None
    if newest is not None:
        at = newest - newest % db.bucket_seconds
        posts = con.execute(
            "SELECT outage_posts, all_posts FROM counts WHERE service = ? AND bucket = ?",
            (service, at),
        ).fetchone()
        current = (at, *(posts or (0, 0)))
    return {
        "service": service,
        "status": status,
        "bucket_start": iso_s(bucket),
        "outage_posts": int(outage),
        "all_posts": int(total),
        "baseline": baseline,
        "score": round(float(score), 4),
        "current_bucket_start": iso_s(current[0]) if current else None,
        "current_outage_posts": int(current[1]) if current else 0,
        "current_all_posts": int(current[2]) if current else 0,
        "open_incident": (
            open_incident(db, catalog, service, redact=redact) if with_incident else None
        ),
    }


def series(
    db: Database,
    service: str,
    *,
    bucket: int,
    since: int | None = None,
    until: int | None = None,
) -> list[dict[str, Any]]:
    """Zero-filled rows of *service* in buckets of *bucket* seconds (a multiple of the stored).

    Without *since*, the last day of event time up to the newest post (or from the
    service's first post, if later). Every row is a whole bucket: the rows are those of
    the buckets that *since* and *until* fall in and every bucket between, and each row
    counts all of its bucket's posts, so a bucket has the same value in every window
    that holds it (a window may therefore count posts just before *since* or after
    *until*, in its first and last bucket).
    """
    stored = db.bucket_seconds
    newest = counter(db, "max_event")
    if newest is None:
        return []
    stop = until if until is not None else newest
    if since is not None:
        start = since
    else:
        first = (
            db.read()
            .execute("SELECT first_bucket FROM services WHERE service = ?", (service,))
            .fetchone()
        )
        start = max(stop - 86400, first[0] if first else stop)
    start -= start % bucket
    end = stop - stop % bucket + bucket  # the end of the last row's bucket (excluded)
    rows = (
        db.read()
        .execute(
            "SELECT bucket, outage_posts, all_posts, baseline, status FROM counts "
            "WHERE service = ? AND bucket >= ? AND bucket < ? ORDER BY bucket",
            (service, start, end),
        )
        .fetchall()
    )
    judged = counter(db, "judged_until") or 0
    out: dict[int, list[Any]] = {}
    for b, o, a, base, st in rows:
        key = b - b % bucket
        cell = out.setdefault(key, [0, 0, 0.0, None, 0, None])
        cell[0] += o
        cell[1] += a
        if base is not None:
            cell[2] += base
            cell[4] += 1
            cell[5] = base  # the bucket's last judged minute (rows come in time order)
        if st is not None and (cell[3] is None or _SEVERITY_ORDER[st] > _SEVERITY_ORDER[cell[3]]):
            cell[3] = st
    # A quiet service's minutes without posts are not judged one by one (they cannot raise
    # an alarm): such a minute is 'ok' and expects what the judged minutes of its bucket
    # expected (their mean), or in a bucket without any, what the service's last judged
    # minute before it expected, the baseline moving slowly from hour to hour. Both
    # depend on the bucket alone, never on where the window starts.
    before = (
        db.read()
        .execute(
            "SELECT baseline FROM counts WHERE service = ? AND bucket < ? "
            "AND baseline IS NOT NULL ORDER BY bucket DESC LIMIT 1",
            (service, start),
        )
        .fetchone()
    )
    rate = None if before is None else float(before[0])
    parts = bucket // stored
    result = []
    for key in range(start, end, bucket):
        o, a, base, st, n_base, last = out.get(key, (0, 0, 0.0, None, 0, None))
        closed = key + bucket <= judged
        expected = None
        if closed and (n_base or rate is not None):
            within = base / n_base if n_base else rate
            expected = round(base + (parts - n_base) * within, 4)
            st = st or "ok"
        if last is not None:
            rate = float(last)
        result.append(
            {
                "bucket_start": iso_s(key),
                "outage_posts": int(o),
                "all_posts": int(a),
                "baseline": expected,
                "status": st if closed else None,
            }
        )
    return result


def series_row_count(start: int, stop: int, bucket: int) -> int:
    """How many rows :func:`series` would return for this window.

    >>> series_row_count(0, 3600, 300)
    13
    """
    start -= start % bucket
    return max(0, (stop - stop % bucket - start) // bucket + 1)
