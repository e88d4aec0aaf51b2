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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from detector import __version__
from detector.api import docs, handlers, openapi
from detector.api.guard import GuardMiddleware
from detector.api.metrics import Metrics
from detector.api.middleware import BodyLimitMiddleware, HeadMiddleware, MetricsMiddleware
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
from detector.api.supervise import bind_to_master

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

        bind_to_master()  # a worker of `serve --workers N` dies with its master
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
        # served by detector.api.docs instead: behind the read key, assets from this app
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    metrics = Metrics()
    app.state.metrics = metrics
    for module in (classify, posts, incidents, services, series, detect, health, status, docs):
        app.include_router(module.router)
    docs.mount_assets(app)
    openapi.install(app, settings)
    handlers.install(app)
    app.add_middleware(HeadMiddleware)  # innermost: routes see a GET
    app.add_middleware(BodyLimitMiddleware, max_body=settings.max_body)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(  # outermost: a bad Host or URL never reaches a route
        GuardMiddleware,
        allowed_hosts=settings.allowed_hosts,
        body_timeout=settings.body_timeout,
        min_body_rate=settings.min_body_rate,
    )
    return app
