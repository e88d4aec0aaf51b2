"""``GET /v1/incidents``: incidents found in the ingested posts, with their history."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from detector.api.deps import ReadAccess, RuntimeDep
from detector.api.openapi import errors
from detector.api.queries import epoch, list_incidents, resolve_service
from detector.api.schemas import MAX_NAME, IncidentsOut, UtcTime

router = APIRouter(prefix="/v1", tags=["incidents"], dependencies=[ReadAccess])


@router.get("/incidents", response_model=IncidentsOut, responses=errors(404))
def get_incidents(
    runtime: RuntimeDep,
    service: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    status: Literal["open", "resolved"] | None = None,
    since: Annotated[
        UtcTime | None, Query(description="Only incidents open at or after this time.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> IncidentsOut:
    """Incidents, newest detection first; filter by service, status and time."""
    name = None
    if service is not None:
        name = resolve_service(runtime.db, runtime.scorer.catalog, service)
        if name is None:
            raise HTTPException(404, unknown_service(service))
    found = list_incidents(
        runtime.db,
        runtime.scorer.catalog,
        service=name,
        status=status,
        since=None if since is None else epoch(since),
        limit=limit,
        redact=runtime.settings.redact,
    )
    return IncidentsOut.model_validate({"incidents": found})


def unknown_service(name: str) -> str:
    """The 404 message for a service name nobody knows."""
    return (
        f"unknown service {name!r}: it is neither in the service catalog nor named by any "
        "ingested post; GET /v1/services lists every name this API knows"
    )
