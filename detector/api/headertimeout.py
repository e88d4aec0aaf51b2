"""uvicorn's httptools protocol with a deadline for the request line and headers.

uvicorn bounds idle keep-alive connections (``timeout_keep_alive``) and this app
bounds slow bodies (:mod:`detector.api.guard`), but nothing bounds a client that
connects and never finishes its headers (slowloris): uvicorn holds such a connection
for ever. :class:`HeaderTimeoutProtocol` gives every request ``OUTAGE_HEADER_TIMEOUT``
seconds (default 10) from the connection, or from the request's first byte on a
kept-alive connection, to complete its headers; then it answers 408 and closes.

``serve`` runs uvicorn with ``http="detector.api.headertimeout:HeaderTimeoutProtocol"``.

>>> HEADER_TIMEOUT_RESPONSE.split(b"\\r\\n")[0]
b'HTTP/1.1 408 Request Timeout'
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_DETAIL = json.dumps(
    {"detail": "the request headers arrived too slowly (OUTAGE_HEADER_TIMEOUT)"}
).encode()
#: What a client gets when its headers are not complete in time.
HEADER_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
    b"connection: close\r\ncontent-length: " + str(len(_DETAIL)).encode() + b"\r\n\r\n" + _DETAIL
)


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that closes a connection whose headers take too long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from detector.api.settings import get_settings

        self.header_timeout = get_settings().header_timeout
        self._header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm()  # an answer is still being sent: do not cut it; check again later
            return
        self.transport.write(HEADER_TIMEOUT_RESPONSE)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        """A request's first byte: its headers must follow in time."""
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        """Headers done: the body has its own limit (:mod:`detector.api.guard`)."""
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._disarm()
        super().connection_lost(exc)
