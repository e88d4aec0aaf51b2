"""``GET /healthz`` (liveness, always open) and ``GET /metrics`` (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from detector import __version__
from detector.api.deps import ReadAccess, RuntimeDep
from detector.api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
def healthz(runtime: RuntimeDep) -> HealthOut:
    """The worker is up, its model and catalog are loaded and its database answers."""
    runtime.db.read().execute("SELECT 1").fetchone()
    return HealthOut(
        status="ok",
        version=__version__,
        model=runtime.model_name,
        services_in_catalog=len(runtime.scorer.catalog.names),
        detection_leader=runtime.leader.held,
    )


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    dependencies=[ReadAccess],
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(runtime: RuntimeDep) -> PlainTextResponse:
    """Requests by route and status, latency histograms, posts ingested, open incidents."""
    db = runtime.db
    open_incidents = (
        db.read().execute("SELECT count(*) FROM incidents WHERE status = 'open'").fetchone()[0]
    )
    failed = (
        db.read().execute("SELECT count(*) FROM deliveries WHERE status = 'failed'").fetchone()[0]
    )
    gauges = {
        "outage_posts_ingested_total": (
            "counter",
            "Posts counted by POST /v1/posts (duplicates excluded).",
            db.counter("posts_ingested"),
        ),
        "outage_outage_posts_ingested_total": (
            "counter",
            "Ingested posts classified as outage complaints.",
            db.counter("outage_posts_ingested"),
        ),
        "outage_open_incidents": ("gauge", "Incidents currently open.", open_incidents),
        "outage_event_time_seconds": (
            "gauge",
            "Latest post time seen (event-time watermark), Unix seconds.",
            db.counter("max_event"),
        ),
        "outage_judged_until_seconds": (
            "gauge",
            "Buckets before this time (Unix seconds) are judged.",
            db.counter("judged_until"),
        ),
        "outage_alert_deliveries_failed": (
            "gauge",
            "Webhook deliveries that gave up after all retries.",
            failed,
        ),
    }
    return PlainTextResponse(
        runtime.metrics.render(gauges), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
