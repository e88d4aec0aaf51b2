"""Count a batch of posts into the live state, exactly once per post id.

A batch is scored (model + catalog) outside the write lock, then one transaction
inserts the new post ids, adds the posts to their (service, bucket) counts and moves the
event-time watermark. A post id already stored is skipped, so a resent batch is not
counted twice; two workers racing on the same ids are serialised by the write lock and
the second one finds them stored.

A post counts for every service it names (the sender's ``service`` wins over the
catalog), and always for the pseudo-service ``all services``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from detector.api.db import Database
from detector.api.scoring import Scorer
from detector.errors import DataError
from detector.series.volume import ALL_SERVICES  # every post counts for it, as in batch

#: Outage posts kept per service and bucket as incident examples.
SAMPLES_PER_BUCKET = 5
#: Characters of an example post kept.
SAMPLE_CHARS = 280
_CHUNK = 500  # ids per "IN (...)" query, well under SQLite's variable limit


@dataclass(frozen=True, slots=True)
class NewPost:
    """One post as the API received it (already validated)."""

    id: str
    text: str
    created_at: int  # epoch seconds, UTC
    service: str | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Counts of one ingested batch (see ``IngestOut``)."""

    received: int
    accepted: int
    duplicates: int
    late: int
    blank: int
    outage_posts: int
    watermark: int | None
    judged_until: int | None


def _known(con, table: str, column: str, values: Sequence[str]) -> set[str]:  # type: ignore[no-untyped-def]
    """Those of *values* already in *table*.*column* (looked up in chunks of ``_CHUNK``)."""
    known: set[str] = set()
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT {column} FROM {table} WHERE {column} IN ({marks})"
        known.update(r[0] for r in con.execute(sql, chunk))
    return known


def _known_ids(con, ids: Sequence[str]) -> set[str]:  # type: ignore[no-untyped-def]
    return _known(con, "posts", "id", ids)


class TooManyNewServices(DataError):
    """A batch names more services the server has not seen than one request may add."""


def _known_services(con, names: Sequence[str]) -> set[str]:  # type: ignore[no-untyped-def]
    return _known(con, "services", "service", names)


def ingest(
    db: Database,
    scorer: Scorer,
    posts: Sequence[NewPost],
    *,
    max_new_services: int | None = None,
) -> IngestResult:
    """Score and count *posts*; returns what was new, duplicate, late and blank.

    A post whose text is empty or only whitespace is not counted (``score`` quarantines
    such rows as "missing text"), so both doors count the same posts.

    A batch naming more than *max_new_services* services that no earlier post named is
    refused whole (:class:`TooManyNewServices`, nothing counted): each new service is
    one more series to judge from then on.
    """
    bucket_seconds = db.bucket_seconds
    unique: dict[str, NewPost] = {}
    blank = 0
    for post in posts:
        if not post.text.strip():
            blank += 1  # no text to judge: not counted, as score quarantines such rows
            continue
        unique.setdefault(post.id, post)
    known = _known_ids(db.read(), list(unique))
    fresh = [p for p in unique.values() if p.id not in known]
    scored = scorer.score([p.text for p in fresh], match=[p.service is None for p in fresh])
    catalog = scorer.catalog

    with db.write() as con:
        # Another worker may have stored some of these ids since the check above.
        again = _known_ids(con, [p.id for p in fresh]) if fresh else set()
        rows = []
        counts: Counter[tuple[str, int]] = Counter()
        outage: Counter[tuple[str, int]] = Counter()
        symptoms: Counter[tuple[str, int, str]] = Counter()
        samples: list[tuple[str, int, str, str]] = []
        sample_slots: Counter[tuple[str, int]] = Counter()
        first_bucket: dict[str, int] = {}
        last_bucket: dict[str, int] = {}
        newest = None
        is_outage, symptom, matched = scored.is_outage, scored.symptom, scored.services
        for i, post in enumerate(fresh):
            if post.id in again:
                continue
            bucket = post.created_at - post.created_at % bucket_seconds
            named = [catalog.canonical(post.service)] if post.service is not None else matched[i]
            out = is_outage[i]
            # a JSON list: a name may hold any character (score escapes '|' in its own)
            rows.append((post.id, post.created_at, bucket, int(out), json.dumps(named)))
            if newest is None or post.created_at > newest:
                newest = post.created_at
            for service in (*named, ALL_SERVICES) if ALL_SERVICES not in named else named:
                key = (service, bucket)
                counts[key] += 1
                if first_bucket.get(service, bucket) >= bucket:
                    first_bucket[service] = bucket
                if last_bucket.get(service, bucket) <= bucket:
                    last_bucket[service] = bucket
                if out:
                    outage[key] += 1
                    symptoms[(service, bucket, symptom[i] or "other")] += 1
                    if sample_slots[key] < SAMPLES_PER_BUCKET:
                        sample_slots[key] += 1
                        samples.append((service, bucket, post.id, post.text[:SAMPLE_CHARS]))
        if max_new_services is not None and len(first_bucket) > max_new_services:
            names = sorted(n for n in first_bucket if n != ALL_SERVICES)
            new = len(names) - len(_known_services(con, names))
            if new > max_new_services:
                raise TooManyNewServices(
                    f"the batch names {new} services the server has not seen yet; at most "
                    f"{max_new_services} may be new per request (OUTAGE_MAX_NEW_SERVICES): "
                    "send them in smaller batches"
                )
        con.executemany(
            "INSERT INTO posts (id, created_at, bucket, is_outage, services) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        con.executemany(
            "INSERT INTO counts (service, bucket, all_posts, outage_posts) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (service, bucket) DO UPDATE SET "
            "all_posts = all_posts + excluded.all_posts, "
            "outage_posts = outage_posts + excluded.outage_posts",
            [(s, b, n, outage[(s, b)]) for (s, b), n in counts.items()],
        )
        con.executemany(
            "INSERT INTO symptoms (service, bucket, symptom, posts) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (service, bucket, symptom) DO UPDATE SET posts = posts + excluded.posts",
            [(s, b, sym, n) for (s, b, sym), n in symptoms.items()],
        )
        con.executemany(
            "INSERT OR IGNORE INTO samples (service, bucket, post_id, text) VALUES (?, ?, ?, ?)",
            samples,
        )
        con.executemany(
            "INSERT INTO services (service, first_bucket, last_bucket) VALUES (?, ?, ?) "
            "ON CONFLICT (service) DO UPDATE SET "
            "first_bucket = min(first_bucket, excluded.first_bucket), "
            "last_bucket = max(last_bucket, excluded.last_bucket)",
            [(name, first, last_bucket[name]) for name, first in first_bucket.items()],
        )
        accepted = len(rows)
        _add(con, "posts_ingested", accepted)
        _add(con, "outage_posts_ingested", sum(r[3] for r in rows))
        if newest is not None:
            con.execute(
                "INSERT INTO counters (name, value) VALUES ('max_event', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (newest,),
            )
        watermark = _get(con, "max_event")
        judged = _get(con, "judged_until")
    late = sum(1 for r in rows if judged is not None and r[2] < judged)
    return IngestResult(
        received=len(posts),
        accepted=accepted,
        duplicates=len(posts) - accepted - blank,
        late=late,
        blank=blank,
        outage_posts=sum(r[3] for r in rows),
        watermark=watermark,
        judged_until=judged,
    )


def _add(con, name: str, value: int) -> None:  # type: ignore[no-untyped-def]
    con.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
        (name, value),
    )


def _get(con, name: str) -> int | None:  # type: ignore[no-untyped-def]
    row = con.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else None
