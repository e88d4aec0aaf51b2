"""FastAPI dependencies as ``Annotated`` aliases: the runtime, the settings, access checks.

Routes declare what they need (``RuntimeDep``, ``SettingsDep``) and which access they
require (``dependencies=[WriteAccess]``). The settings are the ones ``create_app`` was
given (by default :func:`~detector.api.settings.get_settings`, the cached reading of
the environment); tests pass their own or override :func:`app_settings`. The
dependencies are ``async`` because they never block: a sync one would cost a thread
hop per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request
from fastapi.openapi.models import APIKey, APIKeyIn
from fastapi.security.base import SecurityBase

from detector.api.runtime import Runtime
from detector.api.security import check_key
from detector.api.settings import Settings


async def get_runtime(request: Request) -> Runtime:
    """The worker's loaded model, catalog and database (set by the lifespan)."""
    return request.app.state.runtime


async def app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


class AccessCheck(SecurityBase):
    """The key check of reads or of writes, as a FastAPI security dependency.

    Writes need the API key whenever one is configured; reads when reads are closed
    (``OUTAGE_READS_OPEN=false``). Being a :class:`SecurityBase`, FastAPI lists it in
    the OpenAPI document as the security requirement ``read-access`` or
    ``write-access``, which :mod:`detector.api.openapi` turns into the key's real
    schemes (one check per request, as before: no extra dependency).
    """

    def __init__(self, access: Literal["read", "write"]) -> None:
        self.access = access
        self.scheme_name = f"{access}-access"
        self.model = APIKey(**{"in": APIKeyIn.header}, name="X-API-Key")  # type: ignore[arg-type]

    async def __call__(self, request: Request, settings: SettingsDep) -> None:
        if self.access == "write":
            check_key(request, settings.api_key, "writes")
        elif not settings.reads_open:
            check_key(request, settings.api_key, "reads")


#: Writes need the API key whenever one is configured.
require_write = AccessCheck("write")
#: Reads need the API key when reads are closed (``OUTAGE_READS_OPEN=false``).
require_read = AccessCheck("read")


WriteAccess = Depends(require_write)
ReadAccess = Depends(require_read)


@asynccontextmanager
async def busy_slot(places: asyncio.Semaphore, what: str) -> AsyncIterator[None]:
    """Hold one of *places* for the request, or answer 503 with ``Retry-After: 1``
    when none is free (*what* names the requests that hold them)."""
    if places.locked():
        raise HTTPException(
            503,
            f"the server is busy with other {what}; retry after a second",
            headers={"Retry-After": "1"},
        )
    async with places:
        yield
