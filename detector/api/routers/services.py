"""``GET /v1/services`` and ``GET /v1/services/{name}/status``: is a service failing now?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from detector.api.deps import ReadAccess, RuntimeDep
from detector.api.openapi import errors
from detector.api.queries import list_services, resolve_service, service_status
from detector.api.routers.incidents import unknown_service
from detector.api.schemas import MAX_NAME, ServicesOut, ServiceStatusOut

router = APIRouter(prefix="/v1/services", tags=["services"], dependencies=[ReadAccess])


@router.get("", response_model=ServicesOut)
def get_services(runtime: RuntimeDep) -> ServicesOut:
    """Every service name the status endpoint accepts: the catalog's and those seen in posts."""
    return ServicesOut.model_validate(
        {"services": list_services(runtime.db, runtime.scorer.catalog)}
    )


@router.get("/{name:path}/status", response_model=ServiceStatusOut, responses=errors(404))
def get_status(
    name: Annotated[str, Path(min_length=1, max_length=MAX_NAME)], runtime: RuntimeDep
) -> ServiceStatusOut:
    """``ok``, ``possible`` or ``outage`` for the latest judged bucket, with volume and baseline.

    Names are matched exactly, by catalog alias ("ms teams") or ignoring case (an exact
    match wins).
    """
    service = resolve_service(runtime.db, runtime.scorer.catalog, name)
    if service is None:
        raise HTTPException(404, unknown_service(name))
    return ServiceStatusOut.model_validate(
        service_status(runtime.db, runtime.scorer.catalog, service, redact=runtime.settings.redact)
    )
