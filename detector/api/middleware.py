"""Plain ASGI middleware: request metrics, the request-body size limit and HEAD.

Written against ASGI directly (not ``BaseHTTPMiddleware``) so they add microseconds,
not a task per request.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detector.api.metrics import Metrics


class MetricsMiddleware:
    """Record method, route template, status and latency of every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route: Any = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], path, status, time.perf_counter() - start)


class HeadMiddleware:
    """Answer ``HEAD`` wherever ``GET`` is answered (uptime checkers send ``HEAD /healthz``).

    FastAPI routes declared with ``GET`` answer ``HEAD`` with 405. The route runs as a
    ``GET`` on a copy of the request's scope; the server, which still sees ``HEAD`` in its
    own scope, sends the headers (with the ``GET`` answer's length) and no body. The
    route matched is copied back for the metrics.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, send)
        finally:
            if "route" in as_get:
                scope["route"] = as_get["route"]


class BodyLimitMiddleware:
    """Answer 413 to bodies over *max_body* bytes: by Content-Length, or while streaming."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    await reply(send, 400, "the Content-Length header is not a number")
                    return
                if length > limit:
                    await reply(send, 413, _too_large(limit, f"{length} bytes were announced"))
                    return
                break
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Raised where the app reads the body; FastAPI turns it into the 413.
                    raise HTTPException(413, _too_large(limit, "the streamed body is larger"))
            return message

        await self.app(scope, limited, send)


def _too_large(limit: int, what: str) -> str:
    return f"request body too large: the limit is {limit} bytes (OUTAGE_MAX_BODY); {what}"


async def reply(send: Send, status: int, detail: str) -> None:
    """Send a JSON ``{"detail": ...}`` answer and close the connection."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
