"""Plain ASGI middleware that turns away what no route should see.

* a ``Host`` header not in ``OUTAGE_ALLOWED_HOSTS`` (DNS rebinding, stray virtual hosts):
  400;
* a path or query string that is not valid UTF-8 once percent-decoded (a lone
  surrogate, ``%ff``): 400, before any route or database sees it;
* a request body that arrives too slowly: the client has ``body_timeout`` seconds plus
  one second per ``min_body_rate`` bytes announced; then 408 and the connection closes
  (a client announcing 1,000 bytes and sending 8 no longer holds a connection).

>>> valid_utf8(b"service=Gmail&since=2026-01-01"), valid_utf8(b"id=%ED%B0%80"), valid_utf8(b"x=%ff")
(True, False, False)
>>> valid_utf8(b"/v1/services/%FF/status", plus_is_space=False)
False
>>> host_allowed(b"127.0.0.1:8000", ("127.0.0.1",)), host_allowed(b"evil.test", ("127.0.0.1",))
(True, False)
>>> host_allowed(b"[::1]:8000", ("[::1]",)), host_allowed(b"anything", ("*",))
(True, True)
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detector.api.middleware import reply


def valid_utf8(raw: bytes, *, plus_is_space: bool = True) -> bool:
    """Whether *raw* (a query string or path) percent-decodes to valid UTF-8, no surrogates."""
    try:
        unquote_to_bytes(raw.replace(b"+", b" ") if plus_is_space else raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def host_allowed(host: bytes, allowed: tuple[str, ...]) -> bool:
    """Whether a ``Host`` header names one of *allowed* (port ignored; ``*`` allows any)."""
    if "*" in allowed:
        return True
    try:
        name = host.decode("ascii").strip().lower()
    except UnicodeDecodeError:
        return False
    if name.startswith("["):  # [::1]:8000
        name = name[: name.find("]") + 1]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    return name in allowed or (name.startswith("[") and name[1:-1] in allowed)


class GuardMiddleware:
    """Host check, URL encoding check and the body-rate limit (see the module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: tuple[str, ...],
        body_timeout: float,
        min_body_rate: int,
    ) -> None:
        self.app = app
        self.allowed = tuple(h.lower() for h in allowed_hosts)
        self.body_timeout = body_timeout
        self.min_body_rate = min_body_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = 0
        host = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"content-length" and value.isdigit():
                length = int(value)
        if not host_allowed(host, self.allowed):
            await reply(send, 400, "the Host header names a host this server does not serve")
            return
        # The server decodes the path with replacement characters ("%FF" -> U+FFFD), so
        # the check runs on the raw bytes it received.
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogatepass")
        if not valid_utf8(raw_path, plus_is_space=False):
            await reply(send, 400, "the URL path is not valid UTF-8 once percent-decoded")
            return
        if not valid_utf8(scope.get("query_string", b"")):
            await reply(send, 400, "the query string is not valid UTF-8 once percent-decoded")
            return
        deadline = time.monotonic() + self.body_timeout + length / self.min_body_rate
        done = False

        async def timed() -> Message:
            nonlocal done
            if done:
                return await receive()
            remaining = deadline - time.monotonic()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(remaining, 0.001))
            except TimeoutError:
                raise HTTPException(
                    408,
                    "the request body arrived too slowly (OUTAGE_BODY_TIMEOUT, "
                    "OUTAGE_MIN_BODY_RATE)",
                    headers={"Connection": "close"},
                ) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                done = True
            return message

        await self.app(scope, timed, send)
