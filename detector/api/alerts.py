"""Incident alerts to configured webhooks, through an outbox in the database.

Each incident step (open, escalate, resolve) adds one ``deliveries`` row per configured
URL in the same transaction that records the step, so no alert is lost by a crash and
none is invented. A background thread of the detection leader posts them: JSON with a
Slack-compatible ``text`` field plus the structured event; failures are retried with
exponential backoff (``backoff * 2**(attempt - 1)`` seconds) up to ``attempts`` times;
every attempt is recorded in ``delivery_attempts``. Only URLs from the configuration
are ever called, and redirects are not followed (a target cannot move the alert
elsewhere).

>>> from detector.api.live import Event
>>> body = payload(Event(1, 7, "open", "Gmail", 1763474700, "warning", 4.2,
...                      {"peak_posts": 40, "baseline_posts": 3.5, "started_at": 1763474400,
...                       "peak_seconds": 300}))
>>> print(body["text"])  # doctest: +NORMALIZE_WHITESPACE
[outage-detector] Gmail: incident OPENED (warning) at 2025-11-18T14:05:00Z - peak 40 outage
posts per 5 min, baseline 3.5; started 2025-11-18T14:00:00Z
>>> body["event"]["kind"], body["event"]["incident_id"]
('open', 7)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import httpx
import pandas as pd

from detector.api.db import Database
from detector.api.intake import ALL_SERVICES
from detector.api.live import PEAK_BUCKET_SECONDS, Event
from detector.incidents.incident import iso
from detector.incidents.svg import fmt_duration

log = logging.getLogger(__name__)

_VERB = {"open": "OPENED", "escalate": "ESCALATED", "resolve": "RESOLVED"}
_RETRY_STATUS = {408, 425, 429}


def _iso(epoch: int | None) -> str | None:
    return None if epoch is None else iso(pd.Timestamp(epoch, unit="s", tz="UTC"))


def payload(event: Event) -> dict[str, Any]:
    """The JSON body of one alert (``text`` for Slack, ``event`` for programs).

    ``peak_posts`` and ``baseline_posts`` count outage posts per the incident's peak
    bucket (``peak_seconds``: 5 minutes, or the server's bucket when that is wider).
    """
    extra = event.extra
    seconds = int(extra.get("peak_seconds", PEAK_BUCKET_SECONDS))
    per = fmt_duration(pd.Timedelta(seconds=seconds))
    text = (
        f"[outage-detector] {event.service}: incident {_VERB[event.kind]} ({event.severity})"
        f" at {_iso(event.at)} - peak {extra.get('peak_posts', 0):g} outage posts per {per},"
        f" baseline {extra.get('baseline_posts', 0):g}; started {_iso(extra.get('started_at'))}"
    )
    return {
        "text": text,
        "event": {
            "kind": event.kind,
            "incident_id": event.incident_id,
            "service": event.service,
            "at": _iso(event.at),
            "severity": event.severity,
            "score": event.score,
            "started_at": _iso(extra.get("started_at")),
            "peak_posts": extra.get("peak_posts"),
            "baseline_posts": extra.get("baseline_posts"),
        },
    }


def enqueue(con: Any, events: list[Event], urls: tuple[str, ...]) -> None:
    """Add one pending delivery per event and URL (call inside the step's transaction).

    An incident of the pseudo-service ``all services`` is alerted only when no named
    service had an open incident as it opened (otherwise it repeats that alert).
    """
    now = time.time()
    wanted = [e for e in events if e.service != ALL_SERVICES or _unexplained(con, e)]
    con.executemany(
        "INSERT INTO deliveries (event_id, url, payload, next_attempt_at) VALUES (?, ?, ?, ?)",
        [(e.id, url, json.dumps(payload(e)), now) for e in wanted for url in urls],
    )


def _unexplained(con: Any, event: Event) -> bool:
    if event.kind != "open":  # follow the decision taken when it opened
        return (
            con.execute(
                "SELECT 1 FROM deliveries d JOIN incident_events e ON d.event_id = e.id "
                "WHERE e.incident_id = ? AND e.kind = 'open' LIMIT 1",
                (event.incident_id,),
            ).fetchone()
            is not None
        )
    named = con.execute(
        "SELECT 1 FROM incidents WHERE service != ? AND status = 'open' LIMIT 1", (ALL_SERVICES,)
    ).fetchone()
    return named is None


class AlertSender:
    """Background thread that posts pending deliveries, with retries and a record."""

    def __init__(
        self,
        db: Database,
        urls: tuple[str, ...],
        *,
        attempts: int = 5,
        backoff: float = 1.0,
        timeout: float = 5.0,
        poll: float = 1.0,
    ) -> None:
        self.db = db
        self.urls = frozenset(urls)
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the sender thread."""
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for new deliveries now."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the delivery in flight."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 2)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    wait = self.send_due(client)
                except Exception:  # keep alerting alive; the error is in the log
                    log.exception("alert delivery loop failed")
                    wait = self.poll
                self._wake.wait(timeout=wait)
                self._wake.clear()

    def send_due(self, client: httpx.Client) -> float:
        """Try every due delivery once; returns seconds until the next one is due."""
        con = self.db.read()
        now = time.time()
        due = con.execute(
            "SELECT id, url, payload, attempts FROM deliveries "
            "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT 100",
            (now,),
        ).fetchall()
        for delivery_id, url, body, attempts in due:
            if self._stop.is_set():
                break
            self._deliver(client, delivery_id, url, body, attempts + 1)
        row = con.execute(
            "SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'"
        ).fetchone()
        if row[0] is None:
            return self.poll
        return max(0.0, min(self.poll, row[0] - time.time()))

    def _deliver(
        self, client: httpx.Client, delivery_id: int, url: str, body: str, attempt: int
    ) -> None:
        http_status: int | None = None
        error: str | None = None
        retry = True
        if url not in self.urls:  # configuration changed since it was queued
            error, retry = "URL no longer configured; not sent", False
        else:
            try:
                response = client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
                http_status = response.status_code
                if not 200 <= http_status < 300:
                    error = f"HTTP {http_status}"
                    retry = http_status >= 500 or http_status in _RETRY_STATUS
            except httpx.HTTPError as err:
                error = f"{type(err).__name__}: {err}"[:500]
        ok = error is None
        now = time.time()
        if ok:
            status, next_at = "delivered", now
        elif retry and attempt < self.attempts:
            status, next_at = "pending", now + self.backoff * 2 ** (attempt - 1)
        else:
            status, next_at = "failed", now
        with self.db.write() as con:
            con.execute(
                "INSERT INTO delivery_attempts (delivery_id, attempt, at, ok, http_status, error) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (delivery_id, attempt, now, int(ok), http_status, error),
            )
            con.execute(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
                "last_error = ?, delivered_at = ? WHERE id = ?",
                (status, attempt, next_at, error, now if ok else None, delivery_id),
            )
        if not ok:
            log.warning("webhook %s attempt %d failed: %s", url, attempt, error)
