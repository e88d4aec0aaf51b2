"""The FastAPI application: ``create_app()`` and its ``lifespan``.

The lifespan loads the model and the catalog once per worker, opens the database and
starts the background detection (see :mod:`detector.api.runtime`). Each resource has
its own router; middleware records metrics and enforces the body-size limit; every
error answers JSON ``{"detail": ...}``.

Run it with ``outage-detector serve`` (which configures it through ``OUTAGE_*``
variables), or under any ASGI server as the factory ``detector.api.app:create_app``.
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from detector import __version__
from detector.api import handlers
from detector.api.metrics import Metrics
from detector.api.middleware import BodyLimitMiddleware, MetricsMiddleware
from detector.api.routers import (
    classify,
    detect,
    health,
    incidents,
    posts,
    series,
    services,
    status,
)
from detector.api.runtime import start
from detector.api.settings import Settings, get_settings

DESCRIPTION = """\
Send posts as they arrive (`POST /v1/posts`), ask which services are failing now
(`GET /v1/services/{name}/status`, `GET /v1/incidents`). Detection follows the posts'
own `created_at` (event time). Writes need the API key (`X-API-Key` or
`Authorization: Bearer`) when one is configured. See docs/api.md.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API; *settings* default to the ``OUTAGE_*`` environment variables."""
    settings = (settings or get_settings()).validate()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import asyncio

        runtime = await asyncio.to_thread(start, settings)
        runtime.metrics = metrics
        app.state.runtime = runtime
        # The model, catalog and libraries are loaded for good: keep them out of the
        # garbage collector's full passes, which would otherwise pause requests.
        gc.collect()
        gc.freeze()
        runtime.start_background()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="outage-detector",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    metrics = Metrics(worker=str(os.getpid()))
    app.state.metrics = metrics
    for module in (classify, posts, incidents, services, series, detect, health, status):
        app.include_router(module.router)
    handlers.install(app)
    app.add_middleware(BodyLimitMiddleware, max_body=settings.max_body)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: sees every answer
    return app
