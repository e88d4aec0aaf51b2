"""What one worker loads at start and shares between requests, and its background loop.

:func:`start` opens the database, loads the model and the catalog once, and tries to
become the detection leader. The leader replays stored counts into its detectors, then
judges closed buckets (after each of its own ingests, and every ``detect_interval``
seconds for posts that other workers ingested) and sends alerts. The other workers
only ingest and answer; they take over the lead if the leader's process ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from detector.api.alerts import AlertSender, enqueue
from detector.api.db import Database
from detector.api.live import Event, LeaderLock, LiveDetector
from detector.api.metrics import Metrics
from detector.api.scoring import MicroBatcher, Scorer, Verdicts, text_weight
from detector.api.settings import Settings
from detector.api.supervise import stop_if_orphaned

log = logging.getLogger(__name__)

#: Engine steps a ``POST /v1/posts`` request judges before it answers (about 0.2 s); the
#: background loop judges whatever is left.
REQUEST_STEPS = 20_000
#: Characters of text a classify batch may hold and still run in the event loop (about
#: 2 ms of model time); larger batches run in the classify thread.
INLINE_CHARS = 4_000


@dataclass
class Runtime:
    """The loaded model, catalog, database and detection state of one worker."""

    settings: Settings
    db: Database
    scorer: Scorer
    model_name: str
    live: LiveDetector
    leader: LeaderLock
    metrics: Metrics
    batcher: MicroBatcher[str, Verdicts]
    #: Requests doing model or engine work at once (``OUTAGE_MAX_BUSY``).
    busy: asyncio.Semaphore
    #: ``POST /v1/detect`` requests running at once (a quarter of ``OUTAGE_MAX_BUSY``,
    #: at least one): each holds the GIL for up to seconds on a long series.
    detecting: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))
    sender: AlertSender | None = None
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def after_ingest(
        self, *, budget: int | None = REQUEST_STEPS, wait: bool = False
    ) -> list[Event]:
        """Judge newly closed buckets now when this worker leads (called in a thread).

        A request judges at most *budget* engine steps and does not wait while the
        background loop is judging: the loop judges the rest (``budget=None, wait=True``).
        A failure here is logged, not raised: the posts are committed already, and the
        background loop judges the buckets on its next round.
        """
        if not self.leader.held:
            return []
        try:
            events = self.live.catch_up(budget=budget, wait=wait)
        except Exception:
            log.exception("detection after ingest failed; the background loop retries")
            return []
        if events and self.sender is not None:
            self.sender.wake()
        return events

    def _lead(self) -> None:
        replayed = self.live.restore()
        log.info("detection leader (pid %d): replayed %d buckets", os.getpid(), replayed)
        if self.settings.webhooks:
            self.sender = AlertSender(
                self.db,
                self.settings.webhooks,
                attempts=self.settings.webhook_attempts,
                backoff=self.settings.webhook_backoff,
                timeout=self.settings.webhook_timeout,
            )
            self.sender.start()

    async def _loop(self) -> None:
        interval = self.settings.detect_interval
        while True:
            stop_if_orphaned()  # the master is gone: this worker must not serve on alone
            try:
                if self.leader.held:
                    await asyncio.to_thread(self.after_ingest, budget=None, wait=True)
                elif self.leader.acquire():
                    await asyncio.to_thread(self._lead)
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must survive a busy database or a bad bucket
                log.exception("background detection failed; retrying")
            await asyncio.sleep(interval if self.leader.held else max(interval, 2.0))

    def start_background(self) -> None:
        """Start the detection loop on the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop the loop, the alert sender and the classify thread; close the database."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.sender is not None:
            await asyncio.to_thread(self.sender.stop)
        self.batcher.close()
        # the cancelled loop's judging thread may still run: it must end before the
        # database closes under it
        await asyncio.to_thread(self.live.close)
        self.leader.release()
        self.db.close()


#: Model and catalog loaded by ``serve`` before uvicorn starts, for a one-worker server
#: (same process) to use instead of loading them again.
_preloaded: dict[tuple[str, str | None], Any] = {}


def preload(settings: Settings) -> Any:
    """Open the database, load the model and the catalog: fail early, load once.
    Returns the model (for its card)."""
    from detector.text.catalog import Catalog
    from detector.text.modelstore import load_model

    Database(
        settings.db_path, bucket_seconds=settings.bucket_seconds, synchronous=settings.db_sync
    ).close()
    _preloaded[("catalog", settings.catalog)] = Catalog.load(settings.catalog)
    # only predict_posts is used: a fast model is read without scikit-learn (a second less)
    model = _preloaded[("model", settings.model)] = load_model(settings.model, compact=True)
    return model


def start(settings: Settings) -> Runtime:
    """Open the database, load the model and catalog, and try to lead detection."""
    from detector.text.catalog import Catalog
    from detector.text.modelstore import load_model

    db = Database(
        settings.db_path, bucket_seconds=settings.bucket_seconds, synchronous=settings.db_sync
    )
    model = _preloaded.pop(("model", settings.model), None) or load_model(
        settings.model, compact=True
    )
    catalog = _preloaded.pop(("catalog", settings.catalog), None) or Catalog.load(settings.catalog)
    catalog.compile()  # now, not in the first request
    scorer = Scorer(model, catalog)
    urls = settings.webhooks
    live = LiveDetector(
        db, settings, on_events=(lambda con, events: enqueue(con, events, urls)) if urls else None
    )
    runtime = Runtime(
        settings=settings,
        db=db,
        scorer=scorer,
        model_name=str(getattr(model, "name", None) or settings.model or "default"),
        live=live,
        leader=LeaderLock(settings.db_path),
        metrics=Metrics(),
        # Small batches in the event loop (the model holds the GIL anyway, and a thread
        # would only add hand-offs); large ones in the classify thread, so they never
        # stall the loop. Requests read while a batch runs form the next batch.
        batcher=MicroBatcher(
            scorer.score, inline=True, weight=text_weight, inline_max=INLINE_CHARS
        ),
        busy=asyncio.Semaphore(settings.max_busy),
        detecting=asyncio.Semaphore(max(1, settings.max_busy // 4)),
    )
    if runtime.leader.acquire():
        runtime._lead()
    return runtime
